// The cell's task worker: takes tasks from the dispatcher (aios.task.assign.<cell>) and the
// vscode-bridge (aios.task.exec.<cell>), runs them with the handler registry, publishes each
// dispatched task's outcome to JetStream (retried until stored) and its load to aios_task_load.
import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import { Counter, Gauge } from "prom-client";
import { JSONCodec, StorageType, type KV, type Msg, type Subscription } from "nats";
import { parseTaskWorkerConfig } from "./config.ts";
import { TaskRunner } from "./runner.ts";
import { kvScope } from "../lib/signing.ts";
import {
  assignSubject,
  cancelSubject,
  ensureResultStream,
  execSubject,
  LOAD_BUCKET,
  resultSubject,
  type CellLoad,
  type Job,
  type JobOutcome,
  type JobReply,
} from "./protocol.ts";

const codec = JSONCodec();
const RESULT_RETRY_MS = 1000;
/** An outcome is retried this long while the bus is away, then dropped (the dispatcher re-queues it). */
const RESULT_GIVE_UP_MS = 24 * 3600 * 1000;

const taskWorker: FastifyPluginAsync = async (app) => {
  const config = parseTaskWorkerConfig(app.config.env);
  const { cellId, heartbeatMs } = app.config;
  const { bus } = app;
  const runner = new TaskRunner(cellId, config);
  const registers = [app.metrics.registry];
  const runningGauge = new Gauge({ name: "aios_tasks_running", help: "Tasks this cell is running now", registers });
  const executed = new Counter({
    name: "aios_tasks_executed_total",
    help: "Tasks this cell finished, by task type and outcome",
    labelNames: ["task_type", "status"],
    registers,
  });

  let kv: KV | undefined;
  let stopping = false;
  let publishing = false;
  let again = false;
  const loadRecord = (): CellLoad => ({
    cell_id: cellId,
    running: runner.ids.length,
    capacity: stopping ? 0 : runner.capacity,
    task_ids: runner.ids,
    updated_at: new Date().toISOString(),
  });
  /** Publishes the load now, coalescing calls made while a put is in flight. */
  const publishLoad = async (): Promise<void> => {
    if (publishing) {
      again = true;
      return;
    }
    publishing = true;
    try {
      do {
        again = false;
        if (kv && bus.connected) await kv.put(cellId, bus.seal(kvScope(LOAD_BUCKET, cellId), loadRecord())).catch(() => undefined);
      } while (again);
    } finally {
      publishing = false;
    }
  };
  runner.onChange = () => {
    runningGauge.set(runner.ids.length);
    void publishLoad();
  };

  const outcomes: JobOutcome[] = [];
  const publishOutcome = async (o: JobOutcome): Promise<boolean> => {
    if (!bus.connected || !bus.js) return false;
    try {
      const subject = resultSubject(o.cell_id, o.id);
      await bus.js.publish(subject, bus.seal(subject, o), { msgID: `${o.id}:${o.attempt}:${o.cell_id}`, timeout: 2000 });
      return true;
    } catch {
      return false;
    }
  };
  const retry = setInterval(() => {
    void (async () => {
      for (const o of outcomes.splice(0)) {
        const stale = Date.now() - Date.parse(o.finished_at) > RESULT_GIVE_UP_MS;
        if (!stale && !(await publishOutcome(o))) outcomes.push(o);
      }
    })();
  }, RESULT_RETRY_MS);
  retry.unref();

  /**
   * Decodes a job signed for `subject` by a member of `sender`'s role and starts it; answers a
   * refusal itself. The subject is the subscription's: what a consumer delivers onto it arrives
   * under the subject it was stored with (nats-io/nats-server#8274).
   */
  const take = (m: Msg, subject: string, sender: string): { job: Job; done: Promise<JobOutcome>; started_at: string } | undefined => {
    const job = bus.open<Job>("task", subject, m.string(), (s) => s.role === sender);
    if (!job) return undefined; // not a job this network sends
    const run = stopping ? { refused: `cell ${cellId} is stopping` } : runner.start(job);
    if ("refused" in run) {
      m.respond(codec.encode({ accepted: false, reason: run.refused } satisfies JobReply));
      return undefined;
    }
    return { job, done: run.done, started_at: run.started_at };
  };

  const onAssign = (m: Msg): void => {
    const taken = take(m, assignSubject(cellId), "task-dispatcher");
    if (!taken) return;
    m.respond(codec.encode({ accepted: true, started_at: taken.started_at } satisfies JobReply));
    void taken.done.then(async (o) => {
      if (stopping && o.status === "failed") return; // cut short by the stop: the dispatcher re-queues it
      executed.inc({ task_type: taken.job.task_type, status: o.status });
      if (!(await publishOutcome(o))) outcomes.push(o);
    });
  };

  const onExec = (m: Msg): void => {
    const taken = take(m, execSubject(cellId), "vscode-bridge");
    void taken?.done.then((o) => {
      executed.inc({ task_type: taken.job.task_type, status: o.status });
      m.respond(codec.encode(o));
    });
  };

  const subs: Subscription[] = [];
  bus.onUp(async (nc, js, jsm) => {
    kv = await js.views.kv(LOAD_BUCKET, { history: 1, storage: StorageType.File });
    await ensureResultStream(jsm);
    // subscriptions live on the connection, which the client re-establishes itself after a reconnect
    if (subs.length === 0) {
      subs.push(nc.subscribe(assignSubject(cellId), { callback: (err, m) => err || onAssign(m) }));
      subs.push(nc.subscribe(execSubject(cellId), { callback: (err, m) => err || onExec(m) }));
      subs.push(
        nc.subscribe(cancelSubject(cellId), {
          callback: (err, m) => {
            if (err) return;
            const cancel = bus.open<{ id: string; reason: string }>("task cancel", cancelSubject(cellId), m.string(), (s) => s.role === "task-dispatcher");
            if (cancel) runner.cancel(cancel.id, cancel.reason);
          },
        }),
      );
    }
    await publishLoad();
  });
  const heartbeat = setInterval(() => void publishLoad(), heartbeatMs);
  heartbeat.unref();

  app.addHook("preClose", async () => {
    stopping = true;
    clearInterval(heartbeat);
    clearInterval(retry);
    for (const s of subs.splice(0)) s.unsubscribe();
    runner.cancelAll(`cell ${cellId} is stopping`);
    if (kv && bus.connected) await kv.delete(cellId).catch(() => undefined);
  });
};

export default fp(taskWorker, { name: "task-worker", dependencies: ["config", "metrics", "bus"] });
