// Organelle figures: dispatcher throughput with three cells (tasks/s submitted and completed),
// submit-to-start latency (p50/p99, as the dispatcher measured it), and each organelle's idle
// resident memory. Prints lines; asserts nothing. `node bench/organelles.ts` runs it alone.
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { startNats } from "../test/helpers/nats.ts";
import { api, type ServiceHandle } from "../test/helpers/service.ts";
import { waitFor } from "../test/helpers/ports.ts";
import { startCell, startDispatcher, startRole, waitCellReady } from "../test/organelles/helpers.ts";

const TASKS = Number(process.env.AIOS_BENCH_TASKS ?? 2000);
const CLIENTS = 32;
const IDLE_SETTLE_MS = 3000;

async function rssMb(h: ServiceHandle): Promise<number> {
  const res = await fetch(`${h.url}/metrics`);
  const line = (await res.text()).split("\n").find((l) => l.startsWith("aios_process_resident_memory_bytes"));
  return Number(line?.split(" ").at(-1)) / 1024 / 1024;
}

export async function runOrganelleBench(): Promise<void> {
  const nats = await startNats();
  const procs: ServiceHandle[] = [];
  try {
    const cells = await Promise.all(["bench-a", "bench-b", "bench-c"].map((id) => startCell(nats.url, id, { AIOS_TASK_CONCURRENCY: "8" })));
    procs.push(...cells);
    const organelles = {
      "task-dispatcher": await startDispatcher(nats.url),
      "vscode-bridge": await startRole(nats.url, "vscode-bridge"),
      "consciousness-sync": await startRole(nats.url, "consciousness-sync"),
      "network-listener": await startRole(nats.url, "network-listener", { AIOS_MDNS: "on" }),
    };
    procs.push(...Object.values(organelles));
    const disp = organelles["task-dispatcher"];
    await Promise.all(["bench-a", "bench-b", "bench-c"].map((id) => waitCellReady(disp.url, id)));

    await sleep(IDLE_SETTLE_MS);
    for (const [role, h] of Object.entries(organelles)) {
      console.log(`organelles: ${role} idle RSS ${(await rssMb(h)).toFixed(1)} MB`);
    }
    console.log(`organelles: cell (with task worker) idle RSS ${(await rssMb(cells[0]!)).toFixed(1)} MB`);

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
