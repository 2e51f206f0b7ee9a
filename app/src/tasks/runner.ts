// Runs tasks on a cell with the handler registry: at most `concurrency` at once, each stopped at
// its deadline (status timed_out) or when cancelled.
import type { Job, JobOutcome, OutcomeStatus } from "./protocol.ts";
import { checkTask, TASK_HANDLERS } from "./registry.ts";
import { TaskError } from "./handler.ts";
import type { TaskWorkerConfig } from "./config.ts";

interface Running {
  controller: AbortController;
  started_at: string;
  done: Promise<JobOutcome>;
}

class Deadline extends Error {}

export class TaskRunner {
  private readonly running = new Map<string, Running>();
  private readonly cellId: string;
  private readonly config: TaskWorkerConfig;
  /** Called whenever the set of running tasks changes. */
  onChange: () => void = () => {};

  constructor(cellId: string, config: TaskWorkerConfig) {
    this.cellId = cellId;
    this.config = config;
  }

  get capacity(): number {
    return this.config.concurrency;
  }

  get ids(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Starts a job, or returns the run already under way for its id (a repeated assignment).
   * Returns a reason instead when the cell is full.
   */
  start(job: Job): Running | { refused: string } {
    const existing = this.running.get(job.id);
    if (existing) return existing;
    if (this.running.size >= this.capacity) return { refused: `cell ${this.cellId} is at capacity (${this.capacity} tasks running)` };
    const controller = new AbortController();
    const started_at = new Date().toISOString();
    const timer = setTimeout(() => controller.abort(new Deadline()), Math.max(0, job.timeout_ms));
    const done = this.execute(job, controller.signal).then((r): JobOutcome => {
      clearTimeout(timer);
      this.running.delete(job.id);
      this.onChange();
      return { id: job.id, attempt: job.attempt, cell_id: this.cellId, started_at, finished_at: new Date().toISOString(), ...r };
    });
    const run: Running = { controller, started_at, done };
    this.running.set(job.id, run);
    this.onChange();
    return run;
  }

  private async execute(job: Job, signal: AbortSignal): Promise<{ status: OutcomeStatus; result?: unknown; error?: string }> {
    const check = checkTask(job.task_type, job.payload);
    if (!check.ok) return { status: "failed", error: check.message };
    try {
      const result = await TASK_HANDLERS[job.task_type]!.run(check.payload as never, { signal, cellId: this.cellId, config: this.config });
      return { status: "completed", result };
    } catch (err) {
      if (signal.aborted) {
        return signal.reason instanceof Deadline
          ? { status: "timed_out", error: `stopped after its timeout (${job.timeout_ms} ms)` }
          : { status: "failed", error: `cancelled: ${String((signal.reason as Error)?.message ?? signal.reason)}` };
      }
      return { status: "failed", error: err instanceof TaskError ? err.message : `${job.task_type} failed: ${(err as Error).message}` };
    }
  }

  cancel(id: string, reason: string): void {
    this.running.get(id)?.controller.abort(new Error(reason));
  }

  cancelAll(reason: string): void {
    for (const r of this.running.values()) r.controller.abort(new Error(reason));
  }
}
