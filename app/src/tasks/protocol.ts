// What cells, the task dispatcher and the vscode-bridge say to each other on the bus.
//  - aios.task.assign.<cell>  (request/reply) the dispatcher hands a task to a cell; the cell
//    answers at once (accepted, or refused with a reason) and later publishes the outcome to
//    the JetStream stream AIOS_TASK_RESULTS (aios.task.result.<cell>.<task>), so an outcome
//    survives a dispatcher restart.
//  - aios.task.exec.<cell>    (request/reply) run a task and answer with its outcome (bridge).
//  - aios.task.cancel.<cell>  stop a task the dispatcher gave up on (timed out).
//  - KV aios_task_load: each cell's running tasks and capacity (the dispatcher's load view).
//  - KV aios_tasks: the dispatcher's durable task records, keyed by task id.
import { RetentionPolicy, type JetStreamManager } from "nats";
import { ensureStream } from "../lib/streams.ts";

export const TASK_BUCKET = "aios_tasks";
export const LOAD_BUCKET = "aios_task_load";
export const RESULT_STREAM = "AIOS_TASK_RESULTS";

export const assignSubject = (cellId: string): string => `aios.task.assign.${cellId}`;
export const execSubject = (cellId: string): string => `aios.task.exec.${cellId}`;
export const cancelSubject = (cellId: string): string => `aios.task.cancel.${cellId}`;
/** A cell publishes outcomes under its own id (the bus lets it publish nowhere else), so the
 * dispatcher takes the cell from the subject, not from what the outcome says. */
export const resultSubject = (cellId: string, taskId: string): string => `aios.task.result.${cellId}.${taskId}`;
export const resultCell = (subject: string): string | undefined => {
  const t = subject.split(".");
  return t.length === 5 ? t[3] : undefined; // undefined: an outcome published before subjects named the cell
};

export const TASK_STATUSES = ["queued", "running", "completed", "failed", "timed_out"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type OutcomeStatus = "completed" | "failed" | "timed_out";

export interface Job {
  id: string;
  task_type: string;
  payload: unknown;
  /** How long the cell may run it before giving up (the rest of the task's timeout). */
  timeout_ms: number;
  attempt: number;
}

export type JobReply = { accepted: true; started_at: string } | { accepted: false; reason: string };

export interface JobOutcome {
  id: string;
  attempt: number;
  cell_id: string;
  status: OutcomeStatus;
  result?: unknown;
  error?: string;
  started_at: string;
  finished_at: string;
}

export interface CellLoad {
  cell_id: string;
  running: number;
  capacity: number;
  /** Ids of the tasks running now, so the dispatcher notices a task a restarted cell lost. */
  task_ids: string[];
  updated_at: string;
}

/** The results stream: work-queue retention, de-duplicated by outcome id. */
export const ensureResultStream = (jsm: JetStreamManager): Promise<void> =>
  ensureStream(jsm, { name: RESULT_STREAM, subjects: ["aios.task.result.>"], retention: RetentionPolicy.Workqueue });
