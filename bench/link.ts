// Across devices: a hub (the desktop) and a leaf (the laptop) from the rendered configs, the
// leaf's link to the hub through a TCP proxy that holds every byte 40 ms each way and can cut the
// link (test/helpers/link-proxy.ts; this kernel has no netem), a cell on each side, deployed as
// devices run it. Prints how long a new cell and a level change take to reach the other device,
// message latency across the link, and a 10 s cut under load, beside the design's figures
// (seed 000: remote server < 100 ms, cross-device sync < 500 ms). Printed, never asserted.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { memberBusEnv, startLinkedBus, tempDirs, type LinkedBus } from "../test/e2e/rendered-nats.ts";
import { freePort } from "../test/helpers/ports.ts";
import { healthy, until } from "../tools/local/process.ts";
import { latencyRound, statusIn, when } from "./app.ts";
import { BENCH_TOKEN, startCell, type BenchCell } from "./lib/cell.ts";
import { openLoop } from "./lib/open-loop.ts";
import { httpClient } from "./lib/http-client.ts";
import { median, percentile, type Figure } from "./lib/stats.ts";

const DELAY_MS = 40;
const ms = (n: number): string => `${n.toFixed(n < 10 ? 2 : 0)} ms`;
const auth = { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/json" };

const JOINERS = 6;
const joiner = (i: number): string => `bench-joiner-${i}`;
/** Every cell the bench starts, each its own bus user as a stack would list it. */
const CELLS = ["bench-father", "bench-alpha", ...Array.from({ length: JOINERS }, (_, i) => joiner(i))];

const onDevice = (device: string, cell: string) => ({ AIOS_DEVICE: device, ...memberBusEnv(cell) });

/** A cell that is new to the network joins on the leaf; how long until the hub's cell sees it up. */
async function newCellSeen(bus: LinkedBus, watcher: BenchCell, rounds: number): Promise<Figure> {
  const seen: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const name = joiner(i);
    const port = await freePort();
    const started = startCell({ name, natsUrl: bus.leaf.url, port, env: onDevice("laptop", name) });
    const [cell, tHealth, tSeen] = await Promise.all([
      started,
      when(`${name} /health`, () => healthy(`http://127.0.0.1:${port}`)),
      when(`${name} seen up on the desktop`, async () => (await statusIn(watcher, name)) === "up"),
    ]);
    seen.push(tSeen - tHealth);
    await cell.stop();
  }
  return {
    figure: `a new cell on the laptop seen up by the desktop's cell, ${DELAY_MS} ms each way, p50 / p99`,
    value: `${ms(median(seen))} / ${ms(percentile(seen, 99))}`,
    target: "< 500 ms (cross-device sync)",
    note: `${rounds} cells, from the new cell's first /health answer (${seen.map((t) => t.toFixed(0)).join(", ")} ms); its first connect and record cross the link`,
  };
}

/** The laptop's cell changes its level; how long until the desktop's cell's network view shows it. */
async function levelSeen(from: BenchCell, watcher: BenchCell, rounds: number): Promise<Figure> {
  const seen: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const res = await fetch(`${from.url}/consciousness/evolve`, { method: "POST", headers: auth, body: JSON.stringify({ stimulus: 0.5 }) });
    const { consciousness_level: level } = (await res.json()) as { consciousness_level: number };
    const t = await when("the level in the desktop's view", async () => {
      const { peers } = (await (await fetch(`${watcher.url}/peers`)).json()) as { peers: { cell_id: string; consciousness_level: number }[] };
      return peers.some((p) => p.cell_id === from.name && p.consciousness_level === level);
    });
    seen.push(t - t0);
    await sleep(100);
  }
  return {
    figure: `a level change on the laptop in the desktop's network view, ${DELAY_MS} ms each way, p50 / p99`,
    value: `${ms(median(seen))} / ${ms(percentile(seen, 99))}`,
    target: "< 500 ms (cross-device sync)",
    note: `${rounds} changes, from POST /consciousness/evolve to GET /peers on the other device (polled every 10 ms)`,
  };
}

/** Message latency from the laptop's cell to the desktop's across the link. */
async function messageLatency(alpha: BenchCell, father: BenchCell, bus: LinkedBus): Promise<Figure[]> {
  const r = await latencyRound(alpha, father, bus.hub.pid()!, 100, 3);
  return [
    {
      figure: `message latency laptop cell -> desktop cell at 100/s, ${DELAY_MS} ms each way, p50 / p99`,
      value: `${ms(percentile(r.delivered, 50))} / ${ms(percentile(r.delivered, 99))}`,
      target: "< 100 ms (remote server)",
      note: `POST sent -> line in the receiver's inbox; 300 msgs at ${r.sendRate.toFixed(0)}/s${r.lost ? `, ${r.lost} not seen in 15 s` : ""}; the publish's ack crosses the link both ways; CPU steal ${r.steal.toFixed(0)}%`,
    },
    {
      figure: `POST /messages -> 202 across the link at 100/s, p50 / p99`,
      value: `${ms(percentile(r.accepted, 50))} / ${ms(percentile(r.accepted, 99))}`,
      note: "stored in the hub's JetStream before the 202: one round trip of the link",
    },
  ];
}

/** Distinct values of body.n in a cell's inbox file, and how many lines repeated one. */
function inboxCounts(cell: BenchCell): { distinct: Set<number>; repeated: number } {
  const distinct = new Set<number>();
  let repeated = 0;
  for (const line of readFileSync(`${cell.dataDir}/inbox.jsonl`, "utf8").split("\n")) {
    if (!line) continue;
    const n = (JSON.parse(line) as { body: { n?: number } }).body.n;
    if (typeof n !== "number") continue;
    if (distinct.has(n)) repeated++;
    distinct.add(n);
  }
  return { distinct, repeated };
}

const gauge = async (cell: BenchCell, name: string): Promise<number> => {
  const text = await (await fetch(`${cell.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`));
  return Number(line?.slice(line.lastIndexOf(" ") + 1));
};

/**
 * 200 messages/s from the laptop's cell to the desktop's for 15 s; the link is cut from the 2nd
 * second to the 12th. Counts what arrived, and times from the heal until the laptop's outbox is
 * empty and each cell sees the other up again.
 */
async function cutUnderLoad(alpha: BenchCell, father: BenchCell, bus: LinkedBus): Promise<Figure[]> {
  const RATE = 200;
  const SECONDS = 15;
  const CUT_AT_S = 2;
  const CUT_S = 10;
  const before = inboxCounts(father).distinct.size;
  const client = httpClient(alpha.url);
  let queued = 0;
  let failed = 0;
  const queuedIn: number[] = [];
  const link = (async (): Promise<number> => {
    await sleep(CUT_AT_S * 1000);
    bus.link.cut();
    await sleep(CUT_S * 1000);
    bus.link.heal();
    return performance.now();
  })();
  const total = RATE * SECONDS;
  const sending = openLoop(RATE, total, async (n) => {
    const t = performance.now();
    const res = await client.post("/messages", auth, JSON.stringify({ to: father.name, body: { n: 1_000_000 + n } }));
    if (res.status !== 202) failed++;
    else if ((JSON.parse(res.text) as { queued: boolean }).queued) {
      queued++;
      queuedIn.push(performance.now() - t);
    }
  });
  const healedAt = await link;
  // the views are watched from the heal on, while the load goes on
  const tViews = await when(
    "both views to show the other cell up",
    async () => (await statusIn(father, alpha.name)) === "up" && (await statusIn(alpha, father.name)) === "up",
    60_000,
  );
  const sendRate = await sending;
  client.close();
  const tDrained = await when("the laptop's outbox to drain", async () => (await gauge(alpha, "aios_outbox_pending")) === 0, 60_000);
  const tAll = await when(
    "every message in the desktop cell's inbox",
    async () => [...inboxCounts(father).distinct].filter((n) => n >= 1_000_000).length >= total - failed,
    60_000,
  ).catch(() => undefined);
  const { distinct, repeated } = inboxCounts(father);
  const arrived = [...distinct].filter((n) => n >= 1_000_000).length;
  return [
    {
      figure: `a ${CUT_S} s cut during ${RATE} messages/s laptop -> desktop: lost`,
      value: String(total - arrived),
      target: "0",
      note: `${total} sent at ${sendRate.toFixed(0)}/s, ${queued} queued in the outbox (202 queued), ${failed} refused, ${arrived} in the inbox, ${repeated} stored twice; ${before} earlier messages there`,
    },
    {
      figure: "POST /messages -> 202 queued during the cut, p50 / p99",
      value: queued ? `${ms(percentile(queuedIn, 50))} / ${ms(percentile(queuedIn, 99))}` : "none queued",
      note: "written to the fsynced outbox; 16 keep-alive connections, so a slow answer holds back the requests behind it",
    },
    {
      figure: "from heal to both views converged / the outbox drained / every message in the inbox",
      value: `${ms(tViews - healedAt)} / ${ms(tDrained - healedAt)} / ${tAll === undefined ? "not in 60 s" : ms(tAll - healedAt)}`,
      target: "< 500 ms (cross-device sync)",
      note: `the leaf redials the hub every second; the cell finds JetStream again (asked every 250 ms while silent) and publishes its outbox, oldest first, 256 at a time; the 3 s of load after the heal keeps adding; ${DELAY_MS} ms each way`,
    },
  ];
}

export async function runLinkBench(): Promise<Figure[]> {
  const dirs = tempDirs("aios-bench-link-");
  const cell = (id: string) => ({ id, role: "cell" as const });
  const bus = await startLinkedBus([cell("bench-father")], CELLS.filter((id) => id !== "bench-father").map(cell), DELAY_MS, dirs);
  const cells: BenchCell[] = [];
  try {
    const father = await startCell({ name: "bench-father", natsUrl: bus.hub.url, port: await freePort(), env: onDevice("desktop", "bench-father") });
    cells.push(father);
    const alpha = await startCell({ name: "bench-alpha", natsUrl: bus.leaf.url, port: await freePort(), env: onDevice("laptop", "bench-alpha") });
    cells.push(alpha);
    await until("each cell to see the other", async () => (await statusIn(father, alpha.name)) === "up" && (await statusIn(alpha, father.name)) === "up", undefined);
    return [
      await newCellSeen(bus, father, JOINERS),
      await levelSeen(alpha, father, 20),
      ...(await messageLatency(alpha, father, bus)),
      ...(await cutUnderLoad(alpha, father, bus)),
    ];
  } finally {
    await Promise.all(cells.map((c) => c.stop()));
    await bus.stop();
    dirs.removeAll();
  }
}
