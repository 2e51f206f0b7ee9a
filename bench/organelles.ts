// Organelle figures: convergence with the bus after it returns, dispatcher throughput with three
// cells (tasks/s submitted and completed) and submit-to-start latency (p50/p99, as the dispatcher
// measured it). Each organelle's idle memory, as deployed, is in bench/app.ts. Prints lines;
// asserts nothing. `node bench/organelles.ts` runs it alone.
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { startNats } from "../test/helpers/nats.ts";
import { api, type ServiceHandle } from "../test/helpers/service.ts";
import { waitFor } from "../test/helpers/ports.ts";
import { startCell, startDispatcher, startRole, waitCellReady } from "../test/organelles/helpers.ts";
import { UNLIMITED } from "./lib/cell.ts";

const TASKS = Number(process.env.AIOS_BENCH_TASKS ?? 2000);
const CLIENTS = 32;

const DEFAULT_TIMING = { AIOS_HEARTBEAT_MS: "1000", AIOS_DOWN_AFTER_MS: "3000" };

/**
 * The bus goes away, consciousness-sync and network-listener restart without it, a cell's level
 * moves meanwhile; then the bus returns. Prints how long until both show the cell's new level
 * from the bus (default presence timings, as deployed).
 */
async function convergence(): Promise<void> {
  const nats = await startNats();
  const procs: ServiceHandle[] = [];
  try {
    const cell = await startCell(nats.url, "bench-conv", DEFAULT_TIMING);
    const sync = await startRole(nats.url, "consciousness-sync", DEFAULT_TIMING);
    const listener = await startRole(nats.url, "network-listener", DEFAULT_TIMING);
    procs.push(cell, sync, listener);
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      await nats.stop();
      await Promise.all([sync.kill("SIGTERM"), listener.kill("SIGTERM")]);
      procs.splice(1, 2, await sync.restart(), await listener.restart());
      const [, s, l] = procs as [ServiceHandle, ServiceHandle, ServiceHandle];
      const level = (await api("POST", `${cell.url}/consciousness/evolve`, { stimulus: 1 })).json.consciousness_level as number;
      await sleep(1500); // the organelles' connect loop is well into its retries
      await nats.start();
      const back = performance.now();
      const seen = (peers: { cell_id: string; status: string; consciousness_level: number }[]): boolean =>
        peers.some((c) => c.cell_id === "bench-conv" && c.status === "up" && c.consciousness_level === level);
      await Promise.all([
        waitFor("consciousness-sync to follow the bus", async () => {
          const st = (await api("GET", `${s.url}/consciousness/state`)).json as { source: string; cells: Parameters<typeof seen>[0] };
          return st.source === "bus" && seen(st.cells);
        }, 20_000, 10),
        waitFor("network-listener to follow the bus", async () => {
          const p = (await api("GET", `${l.url}/peers`)).json as { source: string; peers: Parameters<typeof seen>[0] };
          return p.source === "bus" && seen(p.peers);
        }, 20_000, 10),
      ]);
      times.push(performance.now() - back);
    }
    console.log(`organelles: consciousness-sync and network-listener converged with the bus ${times.map((t) => t.toFixed(0)).join(", ")} ms after it returned (3 rounds, restarted while it was away; goal within 1 s)`);
  } finally {
    await Promise.all(procs.map((p) => p.kill("SIGTERM")));
    await nats.dispose();
  }
}

export async function runOrganelleBench(): Promise<void> {
  await convergence();
  const nats = await startNats();
  const procs: ServiceHandle[] = [];
  try {
    const cells = await Promise.all(["bench-a", "bench-b", "bench-c"].map((id) => startCell(nats.url, id, { AIOS_TASK_CONCURRENCY: "8" })));
    procs.push(...cells);
    const organelles = {
      // TASKS submits from one client in well under a minute: past the default rate limit
      "task-dispatcher": await startDispatcher(nats.url, { AIOS_RATE_LIMIT: UNLIMITED }),
      "vscode-bridge": await startRole(nats.url, "vscode-bridge"),
      "consciousness-sync": await startRole(nats.url, "consciousness-sync"),
      "network-listener": await startRole(nats.url, "network-listener", { AIOS_MDNS: "on" }),
    };
    procs.push(...Object.values(organelles));
    const disp = organelles["task-dispatcher"];
    await Promise.all(["bench-a", "bench-b", "bench-c"].map((id) => waitCellReady(disp.url, id)));

    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < TASKS) {
          const n = next++;
          const res = await api("POST", `${disp.url}/task/submit`, { task_type: "echo", payload: { message: n } });
          if (res.status !== 202) throw new Error(`submit ${n}: ${res.status} ${JSON.stringify(res.json)}`);
        }
      }),
    );
    const submitted = performance.now();
    const stats = await waitFor(
      "every bench task to complete",
      async () => {
        const s = (await api("GET", `${disp.url}/dispatcher/stats`)).json as {
          tasks: { completed: number; failed: number; timed_out: number };
          submit_to_start_ms: { p50: number; p99: number };
        };
        return s.tasks.completed + s.tasks.failed + s.tasks.timed_out >= TASKS ? s : undefined;
      },
      300_000,
      100,
    );
    const done = performance.now();
    console.log(`organelles: dispatcher submitted ${TASKS} echo tasks at ${(TASKS / ((submitted - t0) / 1000)).toFixed(0)} tasks/s (${CLIENTS} HTTP clients)`);
    console.log(`organelles: dispatcher completed ${stats.tasks.completed} tasks at ${(stats.tasks.completed / ((done - t0) / 1000)).toFixed(0)} tasks/s with 3 cells x 8 slots (${stats.tasks.failed} failed, ${stats.tasks.timed_out} timed out)`);
    console.log(`organelles: submit-to-start latency p50 ${stats.submit_to_start_ms.p50} ms, p99 ${stats.submit_to_start_ms.p99} ms`);
  } finally {
    await Promise.all(procs.map((p) => p.kill("SIGTERM")));
    await nats.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runOrganelleBench();
