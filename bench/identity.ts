// The hidden cost of each member being its own bus user: message latency and CPU per message
// between two cells, with the subject permissions on (the rendered hub config: every member its
// own user, permissions checked on every publish and subscription) and as before this change
// (one shared token, no permissions). The two setups alternate, so drift of the shared VM's
// speed falls on both; every round is printed.
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { latency } from "./app.ts";
import { startCell, type BenchCell } from "./lib/cell.ts";
import type { Figure } from "./lib/stats.ts";
import { renderNatsConfig, renderNatsSecrets } from "../infra/render/nats.ts";
import { startNats } from "../test/helpers/nats.ts";
import { freePort, waitFor } from "../test/helpers/ports.ts";
import { busUsers, listenOn, memberBusEnv, natsServer } from "../test/e2e/rendered-nats.ts";

const SHARED_TOKEN = "bench-shared-bus-token-0123456789";
const CELLS = ["bench-a", "bench-b"];

interface Bus {
  url: string;
  pid(): number | undefined;
  stop(): Promise<void>;
  env(cell: string): Record<string, string>;
}

async function sharedTokenBus(): Promise<Bus> {
  const n = await startNats(["--auth", SHARED_TOKEN]);
  return { url: n.url, pid: n.pid, stop: n.dispose, env: () => ({ AIOS_NATS_TOKEN: SHARED_TOKEN }) };
}

async function permissionedBus(): Promise<Bus> {
  const dir = mkdtempSync(join(tmpdir(), "aios-bench-identity-"));
  const listen = await listenOn();
  const users = busUsers(CELLS.map((id) => ({ id, role: "cell" as const })));
  const s = natsServer(dir, listen, "bench", {
    main: renderNatsConfig({ mode: "hub", serverName: "bench", storeDir: join(dir, "store"), listen }),
    secrets: renderNatsSecrets({ mode: "hub", leaves: [] }, users, listen),
  });
  await s.start();
  return { url: s.url, pid: s.pid, stop: s.stop, env: memberBusEnv };
}

async function measure(label: string, makeBus: () => Promise<Bus>): Promise<Figure[]> {
  const bus = await makeBus();
  const cells: BenchCell[] = [];
  try {
    // no load shedding: a start-up stall on the shared machine must not turn a round into 503s;
    // what is measured is the bus's share
    const env = (name: string) => ({ ...bus.env(name), AIOS_MAX_EVENT_LOOP_DELAY_MS: "0", AIOS_MAX_HEAP_MB: "0" });
    for (const name of CELLS) cells.push(await startCell({ name, natsUrl: bus.url, port: await freePort(), env: env(name) }));
    await waitFor("bench-a to see bench-b", async () => {
      const { peers } = (await (await fetch(`${cells[0]!.url}/peers`)).json()) as { peers: { cell_id: string; status: string }[] };
      return peers.some((p) => p.cell_id === "bench-b" && p.status === "up");
    }, 20_000);
    // 100/s: latency a loaded machine still resolves; 1,000/s: the cost per message under load
    const figures = [...(await latency(cells[0]!, cells[1]!, bus.pid()!, 100, 3, 2)).figures, ...(await latency(cells[0]!, cells[1]!, bus.pid()!, 1000, 5, 2)).figures];
    return figures.map((f) => ({ ...f, figure: `${label}: ${f.figure}` }));
  } finally {
    await Promise.all(cells.map((c) => c.stop()));
    await bus.stop();
  }
}

export async function runIdentityBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (let pass = 1; pass <= 2; pass++) {
    figures.push(...(await measure(`pass ${pass}, shared token (before)`, sharedTokenBus)));
    figures.push(...(await measure(`pass ${pass}, own users + permissions`, permissionedBus)));
  }
  return figures;
}
