// The task dispatcher against a real nats-server and real cell processes. The machines that run
// these suites are small, so each group starts its processes once and its tests run in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, JSONCodec, type NatsConnection } from "nats";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { api, TEST_TOKEN, type ServiceHandle } from "../helpers/service.ts";
import { waitFor } from "../helpers/ports.ts";
import { startCell, startDispatcher, stopAll, submit, task, waitCellReady, waitTask } from "./helpers.ts";

const LONG = { task_type: "echo", payload: { message: "long", delay_ms: 60_000 }, timeout_seconds: 120 };
const codec = JSONCodec();

async function cellLoads(url: string): Promise<Record<string, number>> {
  const stats = await api("GET", `${url}/dispatcher/stats`);
  return Object.fromEntries((stats.json.cells as { cell_id: string; running: number }[]).map((c) => [c.cell_id, c.running]));
}

describe.skipIf(!hasTool("nats-server"))("task-dispatcher with three cells", () => {
  let nats: NatsHandle;
  let nc: NatsConnection;
  let disp: ServiceHandle;
  let cells: Record<string, ServiceHandle>;
  beforeAll(async () => {
    nats = await startNats();
    const eight = { AIOS_TASK_CONCURRENCY: "8" };
    // one at a time: starting processes together only slows each past its health wait on 2 cores
    disp = await startDispatcher(nats.url, { AIOS_BODY_LIMIT: "2048" });
    cells = {};
    for (const id of ["cell-a", "cell-b", "cell-c"]) cells[id] = await startCell(nats.url, id, eight);
    nc = await connect({ servers: nats.url });
    await Promise.all(Object.keys(cells).map((id) => waitCellReady(disp.url, id)));
  }, 120_000);
  afterAll(async () => {
    await nc?.close();
    await stopAll([disp, ...Object.values(cells ?? {})]);
    await nats?.dispose();
  });

  it("sends each task to the least-loaded healthy cell", async () => {
    // other work (as the vscode-bridge sends) loads the cells a=3, b=1, c=0
    const load = (cell: string, n: number): void => {
      for (let i = 0; i < n; i++) {
        const job = { id: `outside-${cell}-${i}`, task_type: "echo", payload: { delay_ms: 60_000 }, timeout_ms: 60_000, attempt: 1 };
        nc.request(`aios.task.exec.${cell}`, codec.encode(job), { timeout: 90_000 }).catch(() => undefined);
      }
    };
    load("cell-a", 3);
    load("cell-b", 1);
    await waitFor("the cells' loads", async () => JSON.stringify(await cellLoads(disp.url)) === JSON.stringify({ "cell-c": 0, "cell-b": 1, "cell-a": 3 }));
    const runOne = async (): Promise<string> => {
      const id = await submit(disp.url, LONG);
      return (await waitTask(disp.url, id, "running", (t) => t.status === "running")).assigned_to!;
    };
    expect(await runOne()).toBe("cell-c");
    // the next four fill b and c up to a's three; none goes to a
    const next = [await runOne(), await runOne(), await runOne(), await runOne()];
    expect(next.filter((c) => c === "cell-a")).toEqual([]);
    expect(await cellLoads(disp.url)).toEqual({ "cell-a": 3, "cell-b": 3, "cell-c": 3 });
  });

  it("marks a task past timeout_seconds as timed out, and its cell stops it", async () => {
    const before = await cellLoads(disp.url);
    const id = await submit(disp.url, { ...LONG, timeout_seconds: 1 });
    const running = await waitTask(disp.url, id, "running", (x) => x.status === "running");
    const t = await waitTask(disp.url, id, "timed out", (x) => x.status === "timed_out");
    expect(t.error).toMatch(/timeout/);
    expect(t.assigned_to).toBe(running.assigned_to);
    await waitFor("the cell to free the slot", async () => JSON.stringify(await cellLoads(disp.url)) === JSON.stringify(before));
    expect((await task(disp.url, id)).status).toBe("timed_out");
  });

  it("rejects bad input with the reason (400, 401, 404, 413)", async () => {
    const post = (body: unknown, headers?: Record<string, string>) => api("POST", `${disp.url}/task/submit`, body, headers);
    const unknown = await post({ task_type: "compex", priority: "high", payload: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toBe('task_type: unknown "compex"; known task types: echo, code_analysis, http_probe, ai_completion');
    // the original design's own example gets the call to send instead, which then works
    const design = await post({ task_type: "complex", priority: "high", payload: { operation: "code_analysis", files: ["*.py"] }, timeout_seconds: 300 });
    expect(design.status).toBe(400);
    expect(design.json.message).toBe(
      'task_type: "complex" is not a task type: put the operation in task_type, e.g. ' +
        '{"task_type":"code_analysis","priority":"high","payload":{"file_path":"src/app.py"},"timeout_seconds":300}; ' +
        "payload.files (globs) is not supported: send one code_analysis task per file, with payload.file_path relative to the cell's AIOS_WORKSPACE_DIR, or payload.code; " +
        "known task types: echo, code_analysis, http_probe, ai_completion",
    );
    const suggested = await post({ task_type: "code_analysis", priority: "high", payload: { code: "def f():\n  return 1\n" }, timeout_seconds: 300 });
    expect(suggested.status).toBe(202);
    const done = await waitTask(disp.url, suggested.json.task_id as string, "completed", (t) => t.status === "completed");
    expect(done.result).toMatchObject({ language: "python", functions: ["f"] });
    const badUrl = await post({ task_type: "http_probe", payload: { url: "not a url" } });
    expect(badUrl.status).toBe(400);
    expect(badUrl.json.message).toMatch(/^payload\.url: /);
    const badPriority = await post({ task_type: "echo", priority: "urgent" });
    expect(badPriority.status).toBe(400);
    expect(badPriority.json.message).toMatch(/priority/);
    const badTimeout = await post({ task_type: "echo", timeout_seconds: 0 });
    expect(badTimeout.status).toBe(400);
    expect(badTimeout.json.message).toMatch(/timeout_seconds/);

    expect((await post({ task_type: "echo" }, {})).status).toBe(401);
    expect((await post({ task_type: "echo" }, { authorization: `Bearer ${TEST_TOKEN}x` })).status).toBe(401);

    const missing = await api("GET", `${disp.url}/task/no-such-task/status`);
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('unknown task "no-such-task"');

    const big = await post({ task_type: "echo", payload: { message: "x".repeat(4096) } });
    expect(big.status).toBe(413);
  });

  it("re-assigns a task whose cell dies", async () => {
    const id = await submit(disp.url, { task_type: "echo", payload: { message: "survivor", delay_ms: 1500 }, timeout_seconds: 60 });
    const first = await waitTask(disp.url, id, "running", (t) => t.status === "running");
    const victim = first.assigned_to!;
    await cells[victim]!.kill("SIGKILL");
    const done = await waitTask(disp.url, id, "completed elsewhere", (t) => t.status === "completed");
    expect(done.assigned_to).not.toBe(victim);
    expect(done.result).toEqual({ echo: "survivor", cell_id: done.assigned_to });
    expect(done.attempts).toBe(2);
    expect(done.reassignments[0]).toMatchObject({ from: victim, reason: `cell ${victim} went down` });
  });

  it("answers 503 with the reason when the bus is gone", async () => {
    await nats.stop();
    await waitFor("the dispatcher to lose the bus", async () => (await api("GET", `${disp.url}/dispatcher/stats`)).json.bus_connected === false);
    const down = await api("POST", `${disp.url}/task/submit`, { task_type: "echo" });
    expect(down.status).toBe(503);
    expect(down.json.message).toMatch(/bus is unavailable/);
  });
});

describe.skipIf(!hasTool("nats-server"))("task-dispatcher queue and restart", () => {
  let nats: NatsHandle;
  const procs: ServiceHandle[] = [];
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await stopAll(procs);
    await nats?.dispose();
  });

  it("starts a high-priority task submitted behind 100 low-priority ones first, then the rest in order", async () => {
    const disp = await startDispatcher(nats.url);
    procs.push(disp);
    const low: string[] = [];
    for (let i = 0; i < 100; i++) low.push(await submit(disp.url, { task_type: "echo", priority: "low", payload: { message: i } }));
    const high = await submit(disp.url, { task_type: "echo", priority: "high", payload: { message: "urgent" } });
    // no cell was up: one that runs a task at a time joins only now
    procs.push(await startCell(nats.url, "solo", { AIOS_TASK_CONCURRENCY: "1" }));
    const done = await waitTask(disp.url, high, "completed", (t) => t.status === "completed");
    expect(done.result).toEqual({ echo: "urgent", cell_id: "solo" });
    const lows = await Promise.all(low.map((id) => waitTask(disp.url, id, "completed", (t) => t.status === "completed")));
    expect(Math.min(...lows.map((t) => Date.parse(t.started_at!)))).toBeGreaterThanOrEqual(Date.parse(done.started_at!));
    const order = [...lows].sort((x, y) => Date.parse(x.started_at!) - Date.parse(y.started_at!) || 0).map((t) => t.id);
    expect(order).toEqual(low);
  }, 60_000);

  it("still knows every task and its status after a SIGKILL and restart", async () => {
    const disp = procs[0]!;
    await waitCellReady(disp.url, "solo");
    const quick = (n: number): Promise<string> => submit(disp.url, { task_type: "echo", payload: { message: n } });
    const done = [await quick(1), await quick(2), await quick(3)];
    await Promise.all(done.map((id) => waitTask(disp.url, id, "completed", (t) => t.status === "completed")));
    const slow = await submit(disp.url, { task_type: "echo", payload: { message: "slow", delay_ms: 2000 }, timeout_seconds: 60 });
    await waitTask(disp.url, slow, "running", (t) => t.status === "running");
    const waiting = [await quick(4), await quick(5), await quick(6)];
    const before = await Promise.all([...done, slow, ...waiting].map((id) => task(disp.url, id)));
    expect(before.map((t) => t.status)).toEqual(["completed", "completed", "completed", "running", "queued", "queued", "queued"]);

    await disp.kill("SIGKILL");
    const again = await disp.restart();
    procs.push(again);
    const after = await waitFor("task records reloaded", async () => {
      const res = await api("GET", `${again.url}/task/${slow}/status`);
      return res.status === 200 ? Promise.all(before.map((t) => task(again.url, t.id))) : undefined;
    });
    // finished tasks are unchanged; unfinished ones are where they were, or have moved on
    expect(after.slice(0, 3)).toEqual(before.slice(0, 3));
    expect(["running", "completed"]).toContain(after[3]!.status);
    for (const t of after.slice(4)) expect(["queued", "running", "completed"]).toContain(t.status);
    const final = await Promise.all(
      [slow, ...waiting].map((id) => waitTask(again.url, id, "completed after restart", (t) => t.status === "completed")),
    );
    expect(final.map((t) => (t.result as { echo: unknown }).echo)).toEqual(["slow", 4, 5, 6]);
  }, 60_000);
});
