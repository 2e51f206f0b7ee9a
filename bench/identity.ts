// The hidden cost of each member being its own bus user: message latency and CPU per message
// between two cells, with the subject permissions on (the rendered hub config: every member its
// own user, permissions checked on every publish and subscription) and every payload signed by
// its sender and checked by its receiver (app/src/lib/signing.ts), and as before
// (one shared token, no permissions, nothing signed). Both setups run side by side and their rounds alternate,
// the order rotating, so drift of the shared VM's speed (stolen CPU) falls on both and each
// round's ratio compares like with like; every round's p99 is printed.
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { auth, latencyFigures, latencyRound, p99, type LatencyRound } from "./app.ts";
import { httpClient } from "./lib/http-client.ts";
import { startCell, type BenchCell } from "./lib/cell.ts";
import { median, type Figure } from "./lib/stats.ts";
import { perRound, ratioList, rotatingRounds } from "./lib/rounds.ts";
import { renderNatsConfig, renderNatsSecrets } from "../infra/render/nats.ts";
import { startNats } from "../test/helpers/nats.ts";
import { freePort, waitFor } from "../test/helpers/ports.ts";
import { metric } from "../test/helpers/cells.ts";
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

interface Setup {
  label: string;
  bus: Bus;
  cells: BenchCell[];
  /** Rounds at 100/s and at 1,000/s. */
  slow: LatencyRound[];
  fast: LatencyRound[];
  /** Messages/s sender to receiver, as many as the pair takes. */
  throughput: number[];
}

/** Messages a cell stored in its inbox so far. */
const received = (cell: BenchCell): Promise<number> => metric(cell.url, "aios_messages_received_total");

const IN_FLIGHT = 32;

/**
 * Closed loop: IN_FLIGHT messages always under way from `a` to `b` for `seconds`; messages/s
 * from the first post to the last one stored in b's inbox.
 */
async function throughputRound(a: BenchCell, b: BenchCell, seconds: number): Promise<number> {
  const client = httpClient(a.url);
  const before = await received(b);
  const start = performance.now();
  let sent = 0;
  const sender = async (): Promise<void> => {
    while (performance.now() - start < seconds * 1000) {
      const res = await client.post("/messages", auth, JSON.stringify({ to: b.name, body: { n: sent } }));
      if (res.status !== 202) throw new Error(`POST /messages answered ${res.status}: ${res.text}`);
      sent++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
  client.close();
  const deadline = Date.now() + 30_000;
  while ((await received(b)) - before < sent) {
    if (Date.now() > deadline) throw new Error(`${b.name} stored ${(await received(b)) - before} of ${sent} messages within 30 s`);
    await sleep(10);
  }
  return (1000 * sent) / (performance.now() - start);
}

async function setUp(label: string, makeBus: () => Promise<Bus>): Promise<Setup> {
  const bus = await makeBus();
  const setup: Setup = { label, bus, cells: [], slow: [], fast: [], throughput: [] };
  try {
    // no load shedding: a start-up stall on the shared machine must not turn a round into 503s;
    // what is measured is the bus's share
    const env = (name: string) => ({ ...bus.env(name), AIOS_MAX_EVENT_LOOP_DELAY_MS: "0", AIOS_MAX_HEAP_MB: "0", AIOS_INBOX_KEEP: "100000" });
    for (const name of CELLS) setup.cells.push(await startCell({ name, natsUrl: bus.url, port: await freePort(), env: env(name) }));
    await waitFor(`${label}: bench-a to see bench-b`, async () => {
      const { peers } = (await (await fetch(`${setup.cells[0]!.url}/peers`)).json()) as { peers: { cell_id: string; status: string }[] };
      return peers.some((p) => p.cell_id === "bench-b" && p.status === "up");
    }, 20_000);
    return setup;
  } catch (err) {
    await tearDown(setup);
    throw err;
  }
}

async function tearDown(s: Setup): Promise<void> {
  await Promise.all(s.cells.map((c) => c.stop()));
  await s.bus.stop();
}

const ROUNDS = 6;

export async function runIdentityBench(): Promise<Figure[]> {
  const setups: Setup[] = [];
  try {
    setups.push(await setUp("shared token (before)", sharedTokenBus));
    setups.push(await setUp("own users, permissions, signed", permissionedBus));
    await rotatingRounds(
      ROUNDS,
      setups.map((s) => async () => {
        const [a, b] = s.cells as [BenchCell, BenchCell];
        // 100/s: latency a loaded machine still resolves; 1,000/s: the cost per message under load
        s.slow.push(await latencyRound(a, b, s.bus.pid()!, 100, 2));
        s.fast.push(await latencyRound(a, b, s.bus.pid()!, 1000, 3));
        s.throughput.push(await throughputRound(a, b, 2));
      }),
    );
    const [before, after] = setups as [Setup, Setup];
    const ratio = (pick: (r: LatencyRound) => number, rounds: (s: Setup) => LatencyRound[]): number[] =>
      perRound(rounds(after).map(pick), rounds(before).map(pick));
    const cpuIn = (process: string) => (r: LatencyRound): number => r.cpu[process]!;
    const cpuFigure = (process: string): Figure => {
      const ratios = ratio(cpuIn(process), (s) => s.fast);
      const of = (s: Setup): string => median(s.fast.map(cpuIn(process))).toFixed(0);
      return {
        figure: `permissions, signed / shared token: ${process} CPU per message at 1000/s`,
        value: `${median(ratios).toFixed(2)}×`,
        note: `medians ${of(after)} µs vs ${of(before)} µs; rounds' ratios ${ratioList(ratios, 2)}`,
      };
    };
    return [
      ...setups.flatMap((s) => [...latencyFigures(`cell (${s.label})`, s.slow, 100), ...latencyFigures(`cell (${s.label})`, s.fast, 1000)]),
      {
        figure: "permissions, signed / shared token: p99 at 1000/s",
        value: `${median(ratio(p99, (s) => s.fast)).toFixed(2)}×`,
        note: `median of ${ROUNDS} rounds' ratios (${ratioList(ratio(p99, (s) => s.fast), 2)}); at 100/s ${median(ratio(p99, (s) => s.slow)).toFixed(2)}× (${ratioList(ratio(p99, (s) => s.slow), 2)})`,
      },
      // the bus's share (permissions), then the cells' (signing and checking)
      ...["nats-server", "sender", "receiver"].map(cpuFigure),
      ...setups.map((s) => ({
        figure: `messages/s cell → cell, ${IN_FLIGHT} in flight (${s.label})`,
        value: median(s.throughput).toFixed(0),
        note: `median of ${ROUNDS} rounds of 2 s, until the last is in the receiver's inbox (${ratioList(s.throughput, 0)})`,
      })),
      {
        figure: "permissions, signed / shared token: messages/s",
        value: `${median(perRound(after.throughput, before.throughput)).toFixed(2)}×`,
        note: `rounds' ratios ${ratioList(perRound(after.throughput, before.throughput), 2)}`,
      },
    ];
  } finally {
    await Promise.all(setups.map(tearDown));
  }
}
