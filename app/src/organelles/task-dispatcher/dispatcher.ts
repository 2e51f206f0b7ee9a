// The dispatcher's engine. Every task record lives in the JetStream KV bucket aios_tasks (the
// 202 of a submit waits for it), so a dispatcher killed and restarted reloads every task and its
// status. Waiting tasks leave by priority to the least-loaded healthy cell; outcomes come back
// through the AIOS_TASK_RESULTS stream (stored while the dispatcher is down). A tick every
// TICK_MS marks tasks past their timeout and re-queues tasks whose cell went down or lost them.
import { randomUUID } from "node:crypto";
import { AckPolicy, DeliverPolicy, JSONCodec, nanos, StorageType, type JsMsg, type KV } from "nats";
import type { Bus } from "../../lib/bus.ts";
import { DurableConsumer } from "../../lib/durable-consumer.ts";
import type { Presence } from "../../lib/presence.ts";
import { kvScope } from "../../lib/signing.ts";
import type { CellLoads } from "../../tasks/cell-loads.ts";
import {
  assignSubject,
  cancelSubject,
  ensureResultStream,
  RESULT_STREAM,
  resultCell,
  TASK_BUCKET,
  TASK_STATUSES,
  type Job,
  type JobOutcome,
  type JobReply,
  type TaskStatus,
} from "../../tasks/protocol.ts";
import { PriorityQueue } from "./queue.ts";
import { deadlineOf, isFinished, type TaskRecord } from "./record.ts";

const codec = JSONCodec();
export const TICK_MS = 250;
const ASSIGN_TIMEOUT_MS = 2000;
/** A cell that refused a task is passed over this long (or until its load changes). */
const REFUSED_PAUSE_MS = 250;
/** A running task missing from its cell's load record this long was lost (the cell restarted). */
const LOST_AFTER_MS = 2000;
const RESULTS_CONSUMER = "task-dispatcher";
const RECORD_TTL_MS = 7 * 24 * 3600 * 1000;
const LATENCY_SAMPLES = 10_000;

export class Unavailable extends Error {}

export interface DispatcherDeps {
  bus: Bus;
  presence: Presence;
  loads: CellLoads;
  maxAttempts: number;
  log: { info(m: string): void; warn(m: string): void };
  onFinish?: (r: TaskRecord) => void;
  onStart?: (r: TaskRecord, latencyMs: number) => void;
}

export class Dispatcher {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly active = new Set<string>();
  private readonly counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  private readonly queue = new PriorityQueue();
  /** Tasks the dispatcher has on each cell: running, or being handed over. */
  private readonly onCell = new Map<string, Set<string>>();
  private readonly handingOver = new Set<string>();
  private readonly refusedUntil = new Map<string, number>();
  private readonly missingSince = new Map<string, number>();
  private readonly writes = new Map<string, Promise<boolean>>();
  private readonly dirty = new Set<string>();
  private readonly latencies: number[] = [];
  private kv: KV | undefined;
  private readonly results: DurableConsumer;
  private seq = 0;
  /** True once every stored task was read back (at the first connect). */
  loaded = false;
  private kicked = false;
  private timer: NodeJS.Timeout | undefined;
  readonly totals = { submitted: 0, finished: 0, reassigned: 0 };
  private readonly d: DispatcherDeps;

  constructor(deps: DispatcherDeps) {
    this.d = deps;
    deps.loads.onChange = () => {
      this.refusedUntil.clear();
      this.kick();
    };
    this.results = new DurableConsumer(
      RESULT_STREAM,
      {
        durable_name: RESULTS_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(30_000),
        max_ack_pending: 1000,
      },
      (m) => this.onResult(m),
      deps.log,
    );
    deps.bus.onUp(async (_nc, js, jsm, cause) => {
      const kv = await js.views.kv(TASK_BUCKET, { history: 1, storage: StorageType.File, ttl: RECORD_TTL_MS });
      if (!this.loaded) await this.load(kv);
      this.kv = kv;
      this.loaded = true;
      for (const id of [...this.dirty]) void this.save(this.tasks.get(id)!);
      await ensureResultStream(jsm);
      await this.results.attach(js, jsm, cause);
      this.kick();
    });
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private async onResult(m: JsMsg): Promise<void> {
    // the bus lets a cell publish outcomes only under its own id, and the outcome carries that
    // cell's signature for this subject: trust the subject, not the body
    const cell = resultCell(m.subject);
    const o = this.d.bus.open<JobOutcome>("task outcome", m.subject, m.string(), (s) => s.member === cell);
    if (!o) {
      m.term();
      return;
    }
    await this.applyOutcome({ ...o, cell_id: cell ?? o.cell_id });
    m.ack();
  }

  /** Reads every stored task (the watch's initial values), once, at the first connect. */
  private async load(kv: KV): Promise<void> {
    let initialized!: () => void;
    const done = new Promise<void>((resolve) => (initialized = resolve));
    const iter = await kv.watch({ key: ">", initializedFn: () => initialized() });
    void (async () => {
      for await (const e of iter) {
        if (e.operation !== "PUT") continue;
        // written by a dispatcher; a record refused, or one this version cannot read, is left alone
        const r = this.d.bus.open<TaskRecord>("task record", kvScope(TASK_BUCKET, e.key), e.string(), (s) => s.role === "task-dispatcher");
        if (r?.id === e.key) this.adopt(r);
      }
    })();
    await done;
    iter.stop();
    this.d.log.info(`task records loaded: ${this.tasks.size} (${this.active.size} not finished)`);
  }

  private adopt(r: TaskRecord): void {
    if (this.tasks.has(r.id)) this.counts[this.tasks.get(r.id)!.status]--;
    this.tasks.set(r.id, r);
    this.counts[r.status]++;
    this.seq = Math.max(this.seq, r.seq);
    if (isFinished(r.status)) return;
    this.active.add(r.id);
    if (r.status === "queued") this.queue.push(r);
    else if (r.assigned_to) this.cellSet(r.assigned_to).add(r.id);
  }

  private cellSet(cellId: string): Set<string> {
    let s = this.onCell.get(cellId);
    if (!s) this.onCell.set(cellId, (s = new Set()));
    return s;
  }

  /** Stores a record; resolves false (and retries at the next connect) when the bus did not take it. */
  private save(r: TaskRecord): Promise<boolean> {
    const text = this.d.bus.seal(kvScope(TASK_BUCKET, r.id), r);
    const prev = this.writes.get(r.id) ?? Promise.resolve(true);
    const next = prev.then(async () => {
      try {
        if (!this.kv || !this.d.bus.connected) throw new Error("bus unavailable");
        await this.kv.put(r.id, text);
        this.dirty.delete(r.id);
        return true;
      } catch {
        this.dirty.add(r.id);
        return false;
      }
    });
    this.writes.set(r.id, next);
    void next.then(() => this.writes.get(r.id) === next && this.writes.delete(r.id));
    return next;
  }

  private setStatus(r: TaskRecord, status: TaskStatus): void {
    this.counts[r.status]--;
    this.counts[status]++;
    r.status = status;
    if (isFinished(status)) {
      this.active.delete(r.id);
      this.missingSince.delete(r.id);
      if (r.assigned_to) this.onCell.get(r.assigned_to)?.delete(r.id);
      r.finished_at ??= new Date().toISOString();
      this.totals.finished++;
      this.d.onFinish?.(r);
    }
  }

  get ready(): boolean {
    return this.loaded && this.kv !== undefined && this.d.bus.connected;
  }

  async submit(input: { task_type: string; priority: number; payload: unknown; timeout_seconds: number }): Promise<TaskRecord> {
    if (!this.ready) {
      throw new Unavailable(`cannot store the task: the bus is unavailable (${this.d.bus.lastError ?? "task records loading"})`);
    }
    const r: TaskRecord = {
      id: randomUUID(),
      ...input,
      status: "queued",
      seq: ++this.seq,
      attempts: 0,
      submitted_at: new Date().toISOString(),
      started_at: null,
      finished_at: null,
      assigned_to: null,
      error: null,
      reassignments: [],
    };
    this.adopt(r);
    if (!(await this.save(r))) {
      this.counts.queued--;
      this.tasks.delete(r.id);
      this.active.delete(r.id);
      this.dirty.delete(r.id);
      throw new Unavailable("cannot store the task: the bus did not acknowledge it");
    }
    this.totals.submitted++;
    this.kick();
    return r;
  }

  get(id: string): TaskRecord | undefined {
    return this.tasks.get(id);
  }

  /** Runs a dispatch round soon; rounds never overlap (handing over is asynchronous). */
  kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (!this.ready) return;
    const now = Date.now();
    for (;;) {
      const top = this.queue.peek();
      if (!top) return;
      const r = this.tasks.get(top.id);
      if (!r || r.status !== "queued" || this.handingOver.has(r.id)) {
        this.queue.pop();
        continue;
      }
      const cell = this.d.loads
        .candidates((id) => this.onCell.get(id)?.size ?? 0)
        .find((c) => c.running < c.capacity && (this.refusedUntil.get(c.cell_id) ?? 0) <= now);
      if (!cell) return;
      this.queue.pop();
      void this.handOver(r, cell.cell_id);
    }
  }

  private async handOver(r: TaskRecord, cellId: string): Promise<void> {
    const timeoutMs = deadlineOf(r) - Date.now();
    if (timeoutMs <= 0) return; // the tick marks it timed out
    const job: Job = { id: r.id, task_type: r.task_type, payload: r.payload, timeout_ms: timeoutMs, attempt: r.attempts + 1 };
    this.handingOver.add(r.id);
    this.cellSet(cellId).add(r.id);
    let reply: JobReply;
    try {
      const subject = assignSubject(cellId);
      const m = await this.d.bus.nc!.request(subject, this.d.bus.seal(subject, job), { timeout: ASSIGN_TIMEOUT_MS });
      reply = codec.decode(m.data) as JobReply;
    } catch (err) {
      reply = { accepted: false, reason: `no answer from ${cellId}: ${(err as Error).message}` };
    }
    this.handingOver.delete(r.id);
    if (!reply.accepted) {
      this.cellSet(cellId).delete(r.id);
      this.refusedUntil.set(cellId, Date.now() + REFUSED_PAUSE_MS);
      if (r.status === "queued") this.queue.push(r);
      this.kick();
      return;
    }
    if (r.status !== "queued") {
      // it finished while being handed over (timed out, or a late outcome of an earlier attempt)
      this.cellSet(cellId).delete(r.id);
      this.cancel(cellId, r.id, `task is ${r.status}`);
      return;
    }
    r.attempts = job.attempt;
    r.assigned_to = cellId;
    r.started_at = reply.started_at;
    this.setStatus(r, "running");
    const latency = Date.parse(reply.started_at) - Date.parse(r.submitted_at);
    this.latencies.push(latency);
    if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
    this.d.onStart?.(r, latency);
    void this.save(r);
  }

  private cancel(cellId: string, id: string, reason: string): void {
    const subject = cancelSubject(cellId);
    if (this.d.bus.connected) this.d.bus.nc?.publish(subject, this.d.bus.seal(subject, { id, reason }));
  }

  /** The first outcome wins, whichever attempt it comes from; later ones are dropped. */
  private async applyOutcome(o: JobOutcome): Promise<void> {
    const r = this.tasks.get(o.id);
    if (!r || isFinished(r.status)) return;
    if (r.assigned_to && r.assigned_to !== o.cell_id) this.onCell.get(r.assigned_to)?.delete(r.id);
    r.assigned_to = o.cell_id;
    r.started_at ??= o.started_at;
    r.finished_at = o.finished_at;
    r.result = o.result;
    r.error = o.error ?? null;
    this.setStatus(r, o.status);
    await this.save(r);
    this.kick();
  }

  private requeue(r: TaskRecord, reason: string): void {
    const from = r.assigned_to ?? "unknown";
    this.onCell.get(from)?.delete(r.id);
    this.missingSince.delete(r.id);
    r.reassignments.push({ from, at: new Date().toISOString(), reason });
    this.totals.reassigned++;
    if (r.attempts >= this.d.maxAttempts) {
      r.error = `given up after ${r.attempts} attempts; last: ${reason}`;
      this.setStatus(r, "failed");
    } else {
      r.assigned_to = null;
      r.started_at = null;
      this.setStatus(r, "queued");
      this.queue.push(r);
    }
    this.d.log.info(`task ${r.id}: ${reason}; ${r.status === "queued" ? "re-queued" : "failed"}`);
    void this.save(r);
  }

  private tick(): void {
    if (!this.loaded) return;
    const now = Date.now();
    for (const id of [...this.active]) {
      const r = this.tasks.get(id)!;
      if (now > deadlineOf(r)) {
        const where = r.status === "running" ? ` on ${r.assigned_to}` : " waiting for a cell";
        r.error = `no result within timeout_seconds=${r.timeout_seconds} (it was ${r.status}${where})`;
        if (r.status === "running" && r.assigned_to) this.cancel(r.assigned_to, r.id, "timed out");
        this.setStatus(r, "timed_out");
        void this.save(r);
        continue;
      }
      if (r.status !== "running" || !r.assigned_to || !this.d.presence.ready) continue;
      const cell = this.d.presence.get(r.assigned_to);
      if (!cell?.up) {
        this.requeue(r, `cell ${r.assigned_to} went down`);
        continue;
      }
      const load = this.d.loads.get(r.assigned_to);
      const lost = load && Date.parse(load.updated_at) > Date.parse(r.started_at!) && !load.task_ids.includes(id);
      if (!lost) this.missingSince.delete(id);
      else if (!this.missingSince.has(id)) this.missingSince.set(id, now);
      else if (now - this.missingSince.get(id)! >= LOST_AFTER_MS) this.requeue(r, `cell ${r.assigned_to} no longer runs it`);
    }
    this.kick();
  }

  stats() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pct = (p: number): number | null => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : null);
    let oldestQueued: number | null = null;
    for (const id of this.active) {
      const r = this.tasks.get(id)!;
      if (r.status === "queued") oldestQueued = Math.min(oldestQueued ?? Infinity, Date.parse(r.submitted_at));
    }
    return {
      tasks: { ...this.counts, total: this.tasks.size },
      totals: { ...this.totals },
      oldest_queued_age_ms: oldestQueued === null ? null : Date.now() - oldestQueued,
      submit_to_start_ms: { samples: sorted.length, p50: pct(0.5), p99: pct(0.99) },
      cells: this.d.loads.candidates((id) => this.onCell.get(id)?.size ?? 0).map((c) => ({
        ...c,
        dispatched_running: this.onCell.get(c.cell_id)?.size ?? 0,
      })),
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.results.stop();
  }
}
