// The app's figures: /health throughput against bare fastify, message latency through the bus,
// presence convergence and down detection, idle memory. Printed, never asserted. Cells run as
// devices run them: packaged dist/ with the image's NODE_OPTIONS (bench/lib/cell.ts).
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync, watch } from "node:fs";
import { join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { startNats, type NatsHandle } from "../test/helpers/nats.ts";
import { freePort } from "../test/helpers/ports.ts";
import { healthy, startChild, until } from "../tools/local/process.ts";
import { connect, type NatsConnection } from "nats";
import { APP_DIR, deployedNodeFlags } from "../test/helpers/packaged-app.ts";
import { BENCH_TOKEN, deployedMain, rssMb, startCell, startFlags, type BenchCell } from "./lib/cell.ts";
import { median, medianBy, percentile, type Figure } from "./lib/stats.ts";
import { perRound, ratioList, rotatingRounds } from "./lib/rounds.ts";
import { openLoop } from "./lib/open-loop.ts";
import { busPublishLatency } from "./lib/bus-probe.ts";
import { watchFleetEvents } from "./lib/fleet-events.ts";
import { httpClient } from "./lib/http-client.ts";
import { cpuMicros, stealMeter, wakeups } from "./lib/cpu.ts";
import { scopePrefix } from "../app/src/host.ts";
import type { Role } from "../app/src/config.ts";

const ROOT = resolve(import.meta.dirname, "..");
export const auth = { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/json" };
const ms = (n: number): string => `${n.toFixed(n < 10 ? 2 : 0)} ms`;
const list = (v: number[]): string => v.map((x) => x.toFixed(0)).join(", ");

/**
 * GET url/health for `seconds` from wrk (one thread, 10 connections) pinned to core 0: req/s, and
 * the server's CPU time per request, which the hypervisor's stolen time does not inflate.
 */
function load(url: string, pid: number, seconds: number): { rps: number; cpuPerReq: number } {
  const cpu0 = cpuMicros(pid);
  const out = execFileSync("taskset", ["-c", "0", "wrk", "-t1", "-c10", `-d${seconds}s`, `${url}/health`], {
    encoding: "utf8",
    timeout: (seconds + 30) * 1000,
  });
  const cpu = cpuMicros(pid) - cpu0;
  const bad = /Non-2xx or 3xx responses: (\d+)|Socket errors: .*/.exec(out);
  if (bad) throw new Error(`wrk against ${url}: ${bad[0]}`);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  if (!requests || !rps) throw new Error(`wrk against ${url}: no request count in\n${out}`);
  return { rps, cpuPerReq: cpu / requests };
}

/** A bare fastify (bench/lib/bare-fastify.ts) serving `body`, pinned to core 1. */
async function startBare(name: string, flags: string[], body: string, logDir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startChild(
    name,
    "taskset",
    ["-c", "1", process.execPath, ...flags, join(import.meta.dirname, "lib/bare-fastify.ts")],
    { PATH: process.env.PATH ?? "", BENCH_PORT: String(port), BENCH_BODY: body },
    join(logDir, `${name}.log`),
  );
  await until(`${name} to answer`, () => healthy(url), child);
  return { url, pid: child.proc.pid!, stop: () => child.stop() };
}

async function throughput(nats: NatsHandle): Promise<Figure[]> {
  const cell = await startCell({ name: "bench-tput", natsUrl: nats.url, port: await freePort(), core: 1 });
  const body = await (await fetch(`${cell.url}/health`)).text();
  const servers: { key: string; url: string; pid: number; stop?: () => Promise<void> }[] = [{ key: "cell", url: cell.url, pid: cell.pid }];
  try {
    // the baseline runs with the cell's node flags, so the ratio is the app's cost alone; a second
    // one with node's defaults shows what those flags cost
    servers.push({ key: "bare", ...(await startBare("bare-fastify", deployedNodeFlags(), body, cell.dataDir)) });
    servers.push({ key: "bareDefault", ...(await startBare("bare-fastify-default", [], body, cell.dataDir)) });
    // Many short back-to-back rounds, the order rotating: this VM's speed drifts over seconds
    // (the hypervisor), so each round's ratio compares like with like and the median of the
    // rounds' ratios is the figure.
    const ROUNDS = 15;
    for (const s of servers) load(s.url, s.pid, 2); // warm-up: every server tiers up before anything counts
    const runs: Record<string, ReturnType<typeof load>[]> = Object.fromEntries(servers.map((s) => [s.key, []]));
    await rotatingRounds(ROUNDS, servers.map((s) => () => runs[s.key]!.push(load(s.url, s.pid, 1))));
    const rps = (key: string): number[] => runs[key]!.map((r) => r.rps);
    const cpu = (key: string): number => median(runs[key]!.map((r) => r.cpuPerReq));
    const ratios = (base: string): number[] => perRound(rps("cell"), rps(base)).map((r) => 100 * r);
    return [
      {
        figure: "/health req/s, one cell (metrics + auth), core 1",
        value: median(rps("cell")).toFixed(0),
        note: `median of ${ROUNDS} rounds of 1 s (${list(rps("cell"))}); wrk -t1 -c10 on core 0; CPU ${cpu("cell").toFixed(0)} µs/request`,
      },
      {
        figure: "/health req/s, bare fastify, same JSON and node flags, core 1",
        value: median(rps("bare")).toFixed(0),
        note: `(${list(rps("bare"))}); CPU ${cpu("bare").toFixed(0)} µs/request`,
      },
      {
        figure: "cell / bare fastify",
        value: `${median(ratios("bare")).toFixed(0)}%`,
        target: ">= 80%",
        note: `median of the rounds' ratios (${list(ratios("bare"))} %); by CPU per request ${((100 * cpu("bare")) / cpu("cell")).toFixed(0)}%`,
      },
      {
        figure: "cell / bare fastify with node's default flags",
        value: `${median(ratios("bareDefault")).toFixed(0)}%`,
        note: `bare with defaults ${median(rps("bareDefault")).toFixed(0)} req/s, CPU ${cpu("bareDefault").toFixed(0)} µs/request; ratios ${list(ratios("bareDefault"))} %`,
      },
    ];
  } finally {
    await Promise.all(servers.map((s) => s.stop?.()));
    await cell.stop();
  }
}

/**
 * Lines appended to a file from now on, as they appear (inotify), with the time seen. The file
 * stays open, so the load generator spends one read per change on it, not an open and a close too.
 */
function tail(file: string, onLine: (line: string, at: number) => void): { close(): void } {
  let offset = readFileSync(file).length;
  let partial = "";
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(file, "r");
  const watcher = watch(file, () => {
    const at = performance.now();
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, offset)) > 0) {
      offset += n;
      const lines = (partial + buf.toString("utf8", 0, n)).split("\n");
      partial = lines.pop()!;
      for (const l of lines) onLine(l, at);
    }
  });
  return {
    close: () => {
      watcher.close();
      closeSync(fd);
    },
  };
}

export interface LatencyRound {
  delivered: number[];
  accepted: number[];
  sendRate: number;
  lost: number;
  steal: number;
  /** CPU µs per message of each process taking part. */
  cpu: Record<string, number>;
  /** With a tap on the bus: each delivered message's time from its POST to the bus, and from the bus to the inbox. */
  split?: { toBus: number[]; fromBus: number[] };
}

/**
 * Messages sender -> receiver at `rate`/s for `seconds` (after a first second left out as warm-up).
 * With `tap` (a plain NATS connection), the messages are also seen on the bus as the server
 * forwards them, which splits each message's time at the bus.
 */
export async function latencyRound(sender: BenchCell, receiver: BenchCell, natsPid: number, rate: number, seconds: number, tap?: NatsConnection): Promise<LatencyRound> {
  const WARMUP = rate;
  const TOTAL = rate * (seconds + 1);
  const sentAt = new Map<number, number>();
  const onBus = new Map<number, number>();
  const inInbox = new Map<number, number>();
  const delivered: number[] = [];
  const accepted: number[] = [];
  const client = httpClient(sender.url);
  const watcher = tail(join(receiver.dataDir, "inbox.jsonl"), (line, at) => {
    const { body } = JSON.parse(line) as { body: { n: number } };
    const t = sentAt.get(body.n);
    if (t === undefined || body.n < WARMUP) return;
    delivered.push(at - t);
    if (tap) inInbox.set(body.n, at);
  });
  const sub = tap?.subscribe(`aios.msg.*.to.${receiver.name}`, {
    callback: (_err, m) => onBus.set(m.json<{ body: { n: number } }>().body.n, performance.now()),
  });
  await tap?.flush();
  const post = async (n: number): Promise<void> => {
    const t = performance.now();
    sentAt.set(n, t);
    const res = await client.post("/messages", auth, JSON.stringify({ to: receiver.name, body: { n } }));
    if (res.status !== 202) throw new Error(`POST /messages answered ${res.status}: ${res.text}`);
    if (n >= WARMUP) accepted.push(performance.now() - t);
  };
  const steal = stealMeter();
  const pids = { sender: sender.pid, receiver: receiver.pid, "nats-server": natsPid, "load generator": process.pid };
  const cpuNow = (): Record<string, number> => Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMicros(pid)]));
  const cpu0 = cpuNow();
  const sendRate = await openLoop(rate, TOTAL, post);
  const stolen = steal();
  const deadline = Date.now() + 15_000;
  while (delivered.length < TOTAL - WARMUP && Date.now() < deadline) await sleep(20);
  const cpu1 = cpuNow();
  const cpu = Object.fromEntries(Object.keys(pids).map((k) => [k, (cpu1[k]! - cpu0[k]!) / TOTAL]));
  watcher.close();
  client.close();
  sub?.unsubscribe();
  const round: LatencyRound = { delivered, accepted, sendRate, lost: TOTAL - WARMUP - delivered.length, steal: stolen, cpu };
  if (tap) {
    const split = { toBus: [] as number[], fromBus: [] as number[] };
    for (const [n, at] of inInbox) {
      const bus = onBus.get(n);
      if (bus === undefined) continue;
      split.toBus.push(bus - sentAt.get(n)!);
      split.fromBus.push(at - bus);
    }
    round.split = split;
  }
  return round;
}

export const p99 = (r: LatencyRound): number => percentile(r.delivered, 99);
const stealNote = (rounds: LatencyRound[], key: "delivered" | "accepted"): string =>
  rounds.length > 1
    ? `; p99 per round ${rounds.map((r) => `${ms(percentile(r[key], 99))} (steal ${r.steal.toFixed(0)}%)`).join(", ")}`
    : `; CPU steal ${rounds[0]!.steal.toFixed(0)}%`;

/** The round whose p99 is the median one: the figure, with every round's p99 and steal in the note. */
const medianRound = (results: LatencyRound[]): LatencyRound => medianBy(results, p99);

/** Delivery, CPU and 202 figures of `results` (rounds of `sender` -> `receiver` at `rate`/s). */
export function latencyFigures(sender: string, results: LatencyRound[], rate: number, target = "", receiver = "cell"): Figure[] {
  const mid = medianRound(results);
  const at = `at ${rate}/s`;
  const lost = results.reduce((n, r) => n + r.lost, 0);
  const sent = mid.delivered.length + mid.lost;
  return [
    {
      figure: `message latency ${sender} -> ${receiver} ${at}, p50 / p99`,
      value: `${ms(percentile(mid.delivered, 50))} / ${ms(p99(mid))}`,
      target,
      note:
        `POST sent -> line in the receiver's inbox; ${results.length > 1 ? `median of ${results.length} rounds of ` : ""}${sent} msgs sent at ${mid.sendRate.toFixed(0)}/s` +
        `${stealNote(results, "delivered")}${lost ? `; ${lost} not seen in 15 s` : ""}`,
    },
    {
      figure: `CPU per message ${sender} -> ${receiver} ${at}`,
      value: `${Object.values(mid.cpu).reduce((a, b) => a + b, 0).toFixed(0)} µs`,
      note: `all processes, median round: ${Object.entries(mid.cpu).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ")} µs`,
    },
    {
      figure: `POST /messages -> 202 ${sender} ${at}, p50 / p99`,
      value: `${ms(percentile(mid.accepted, 50))} / ${ms(percentile(mid.accepted, 99))}`,
      note: `stored in JetStream before the 202; 16 keep-alive connections${stealNote(results, "accepted")}`,
    },
  ];
}

/**
 * Where the tail of a round with a tap on the bus is: before the bus (the HTTP request, the
 * sender, its publish) or after it (the delivery to the receiver and its inbox write), and what
 * share of the slowest 1 % of messages' time was spent before the bus.
 */
function splitFigure(sender: string, round: LatencyRound): Figure {
  const { toBus, fromBus } = round.split!;
  const total = toBus.map((t, i) => t + fromBus[i]!);
  const slowest = total.map((t, i) => [t, i] as const).sort((a, b) => b[0] - a[0]).slice(0, Math.max(1, Math.floor(total.length / 100)));
  const before = slowest.reduce((a, [, i]) => a + toBus[i]!, 0) / slowest.reduce((a, [t]) => a + t, 0);
  return {
    figure: `${sender} -> cell: POST -> on the bus / bus -> inbox, p99`,
    value: `${ms(percentile(toBus, 99))} / ${ms(percentile(fromBus, 99))}`,
    note:
      `a round of its own after the others, with a plain subscriber in the load generator seeing each message on the bus (end to end p99 ${ms(p99(round))}); ` +
      `of the slowest 1 % of messages' time, ${(100 * before).toFixed(0)} % was spent before the bus`,
  };
}

/**
 * The cell's share of the tail at 1,000 messages/s, in rounds that each run four things back to
 * back, the order rotating: the bus alone (a plain client's JetStream publish -> ack), the cell
 * sending to the receiving cell, the floor (bench/lib/floor-app.mjs: fastify and the NATS client
 * doing a send with none of the cell's code) sending to the same cell, and the floor sending to a
 * floor receiver (a bare consumer writing each message to a file): the least a sender and a
 * receiver can do on a cell's message path. This VM's speed drifts over seconds (stolen CPU),
 * so a ratio is taken within each round, where they shared their conditions, and the figure is
 * the median of the rounds' ratios. The split at the bus needs a subscriber in the load
 * generator, which doubles nats-server's deliveries and adds the load generator's work on the
 * path, so it is measured in rounds of its own that no ratio uses.
 */
async function tailShare(cell: BenchCell, floor: BenchCell, floorReceiver: BenchCell, receiver: BenchCell, nats: NatsHandle, rounds: number, seconds: number): Promise<Figure[]> {
  const rate = 1000;
  const natsPid = nats.pid()!;
  const runs = { cell: [] as LatencyRound[], floor: [] as LatencyRound[], floors: [] as LatencyRound[], bus: [] as { p50: number; p99: number; steal: number }[] };
  await rotatingRounds(rounds, [
    async () => runs.cell.push(await latencyRound(cell, receiver, natsPid, rate, seconds)),
    async () => runs.floor.push(await latencyRound(floor, receiver, natsPid, rate, seconds)),
    async () => runs.floors.push(await latencyRound(floor, floorReceiver, natsPid, rate, seconds)),
    async () => {
      const steal = stealMeter();
      const bus = await busPublishLatency(nats.url, rate, seconds);
      runs.bus.push({ ...bus, steal: steal() });
    },
  ]);
  const tap = await connect({ servers: nats.url });
  const tapped: LatencyRound[] = [];
  try {
    for (const sender of [cell, floor]) tapped.push(await latencyRound(sender, receiver, natsPid, rate, seconds, tap));
  } finally {
    await tap.close();
  }
  const [cellP99, floorP99, floorsP99] = [runs.cell.map(p99), runs.floor.map(p99), runs.floors.map(p99)];
  const busP99 = runs.bus.map((b) => b.p99);
  const cellOverBus = perRound(cellP99, busP99);
  const floorOverBus = perRound(floorP99, busP99);
  const floorsOverBus = perRound(floorsP99, busP99);
  const cellOverFloor = perRound(cellP99, floorP99);
  const receiverOverFloor = perRound(floorP99, floorsP99);
  // CPU time is not inflated by stolen time, so it compares two setups where the tails cannot
  const cpuOf = (rs: LatencyRound[], who: string): string => median(rs.map((r) => r.cpu[who]!)).toFixed(0);
  const busMid = medianBy(runs.bus, (b) => b.p99);
  const inRounds = `each of ${rounds} rounds ran the bus alone, cell -> cell, floor -> cell and floor -> floor back to back`;
  return [
    ...latencyFigures("cell", runs.cell, rate, "p99 < 10 ms"),
    ...latencyFigures("floor (fastify + nats client)", runs.floor, rate),
    ...latencyFigures("floor", runs.floors, rate, "", "floor receiver"),
    splitFigure("cell", tapped[0]!),
    splitFigure("floor", tapped[1]!),
    {
      figure: `bus alone: JetStream publish -> ack at ${rate}/s, p50 / p99`,
      value: `${ms(busMid.p50)} / ${ms(busMid.p99)}`,
      note: `plain nats client, same nats-server, median of ${rounds} rounds; p99 per round ${runs.bus.map((b) => `${ms(b.p99)} (steal ${b.steal.toFixed(0)}%)`).join(", ")}`,
    },
    {
      figure: `cell -> cell p99 / bus alone p99 at ${rate}/s`,
      value: `${median(cellOverBus).toFixed(2)}×`,
      target: "<= 1.5×",
      note: `median of the rounds' ratios (${ratioList(cellOverBus)}); ${inRounds}`,
    },
    {
      figure: `floor -> floor p99 / bus alone p99 at ${rate}/s: the path's own floor`,
      value: `${median(floorsOverBus).toFixed(2)}×`,
      note: `(${ratioList(floorsOverBus)}): fastify and the NATS client sending, a bare consumer receiving, none of the cell's code on either side`,
    },
    {
      figure: `floor -> cell p99 / bus alone p99 at ${rate}/s`,
      value: `${median(floorOverBus).toFixed(2)}×`,
      note: `(${ratioList(floorOverBus)})`,
    },
    {
      figure: `cell -> cell p99 / floor -> cell p99 at ${rate}/s: the sending cell's own code`,
      value: `${median(cellOverFloor).toFixed(2)}×`,
      note:
        `(${ratioList(cellOverFloor)}); auth, rate limit, load shedding, schema, presence lookup and metrics on top of the floor. ` +
        `Sender CPU per message, median of the rounds: cell ${cpuOf(runs.cell, "sender")} µs, floor ${cpuOf(runs.floor, "sender")} µs`,
    },
    {
      figure: `floor -> cell p99 / floor -> floor p99 at ${rate}/s: the receiving cell's own code`,
      value: `${median(receiverOverFloor).toFixed(2)}×`,
      note:
        `(${ratioList(receiverOverFloor)}); signature check, de-duplication, the inbox's fsync and metrics on top of a bare consumer. ` +
        `Receiver CPU per message: cell ${cpuOf(runs.floor, "receiver")} µs, floor ${cpuOf(runs.floors, "receiver")} µs`,
    },
  ];
}

/** Polls `probe` every 10 ms until true; returns the performance.now() it first held (bounded). */
export async function when(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe().catch(() => false)) return performance.now();
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const statusIn = async (watcher: BenchCell, cellId: string): Promise<string | undefined> => {
  const { peers } = (await (await fetch(`${watcher.url}/peers`)).json()) as { peers: { cell_id: string; status: string }[] };
  return peers.find((p) => p.cell_id === cellId)?.status;
};

async function presence(nats: NatsHandle, watchers: BenchCell[]): Promise<Figure[]> {
  const seen: number[] = [];
  const fromSpawn: number[] = [];
  const down: number[] = [];
  const mapDown: number[] = [];
  // the fleet map's live stream, from a discovery service on the same bus
  const discovery = await startCell({ name: "bench-discovery", natsUrl: nats.url, port: await freePort(), env: { AIOS_ROLE: "discovery", AIOS_CELL_ID: "" } });
  const events = await watchFleetEvents(discovery.url);
  try {
    for (let i = 0; i < 3; i++) {
      const name = `bench-new-${i}`;
      const port = await freePort();
      const t0 = performance.now();
      // spawned at once; its /health and the watchers' views are polled from the same moment
      const started = startCell({ name, natsUrl: nats.url, port });
      const [cell, tHealth, tSeen] = await Promise.all([
        started,
        when(`${name} /health`, () => healthy(`http://127.0.0.1:${port}`)),
        when(`${name} seen up`, async () => (await Promise.all(watchers.map((w) => statusIn(w, name)))).every((s) => s === "up")),
      ]);
      seen.push(tSeen - tHealth);
      fromSpawn.push(tSeen - t0);
      await sleep(1500); // a few heartbeats in, as a cell that has been running
      const tKill = performance.now();
      cell.child.proc.kill("SIGKILL");
      const tDown = await when(`${name} marked down`, async () => (await Promise.all(watchers.map((w) => statusIn(w, name)))).every((s) => s === "down"));
      down.push(tDown - tKill);
      const tMap = await when(`${name} down on the fleet map`, async () => events.downAt(name, tKill) !== undefined);
      mapDown.push((events.downAt(name, tKill) ?? tMap) - tKill);
      await cell.stop();
    }
  } finally {
    events.close();
    await discovery.stop();
  }
  return [
    {
      figure: "presence convergence (seen up by every cell)",
      value: ms(median(seen)),
      target: "< 1.5 s",
      note: `median of ${seen.length}, from the new cell's first /health answer (${list(seen)} ms); from process spawn: ${list(fromSpawn)} ms`,
    },
    {
      figure: "down detection after SIGKILL",
      value: ms(Math.max(...down)),
      target: "< 5 s",
      note: `worst of ${down.length} (${list(down)} ms), default heartbeat 1 s, down after 3 s`,
    },
    {
      figure: "fleet map (discovery's /fleet/events) shows a SIGKILLed cell down",
      value: ms(Math.max(...mapDown)),
      target: "< 4 s (down after + 1 s)",
      note: `worst of ${mapDown.length} (${list(mapDown)} ms), the same kills; frames are sent within 500 ms of a change`,
    },
  ];
}

/** VmRSS, private (RssAnon) and proportional (Pss) memory, in MB. */
function memory(pid: number): { rss: number; anon: number; pss: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) / 1024;
  return { rss: rssMb(pid), anon: kb(status, "RssAnon"), pss: kb(rollup, "Pss") };
}

/** Seconds over which idle CPU and wake-ups are counted. */
const IDLE_WINDOW_S = 10;

const DEPLOYED_ROLES = ["cell", "network-listener", "vscode-bridge", "consciousness-sync", "task-dispatcher"];

/**
 * Idle memory, CPU and main-thread wake-ups of each role as devices run it (packaged dist/ + the
 * image's NODE_OPTIONS), of a cell run from src/ as in development (`npm start`), and of two
 * floors with the deployed flags:
 * the required libraries alone (bench/lib/floor-app.mjs) and node alone (bench/lib/node-floor.cjs).
 */
async function idleMemory(nats: NatsHandle): Promise<Figure[]> {
  const deployed = deployedNodeFlags();
  const variants = [
    { label: "cell, npm start (src/)", role: "cell", flags: startFlags(), main: join(APP_DIR, "src/main.ts"), target: "" },
    ...DEPLOYED_ROLES.map((role) => ({ label: `${role}, deployed`, role, flags: deployed, main: deployedMain(), target: role === "cell" ? "< 70 MB" : "< 60 MB" })),
    { label: "floor: fastify + nats + prom-client only", role: "cell", flags: deployed, main: join(import.meta.dirname, "lib/floor-app.mjs"), target: "" },
    { label: "floor: node alone (node:http)", role: "cell", flags: deployed, main: join(import.meta.dirname, "lib/node-floor.cjs"), target: "" },
  ];
  const procs: BenchCell[] = [];
  for (const [i, v] of variants.entries()) {
    const env = { AIOS_ROLE: v.role, AIOS_MDNS: "off", ...(v.role === "cell" ? {} : { AIOS_CELL_ID: "" }) };
    procs.push(await startCell({ name: `bench-idle-${i}`, natsUrl: nats.url, port: await freePort(), flags: v.flags, env, main: v.main }));
  }
  await sleep(10_000); // let startup garbage be collected and heartbeats settle
  const before = procs.map((p) => ({ cpu: cpuMicros(p.pid), woken: wakeups(p.pid) }));
  await sleep(IDLE_WINDOW_S * 1000);
  const figures = variants.map((v, i): Figure => {
    const { pid } = procs[i]!;
    const m = memory(pid);
    const cpuMs = (cpuMicros(pid) - before[i]!.cpu) / 1000 / IDLE_WINDOW_S;
    const woken = (wakeups(pid) - before[i]!.woken) / IDLE_WINDOW_S;
    return {
      figure: `${v.label}: RSS idle`,
      value: `${m.rss.toFixed(0)} MB`,
      target: v.target,
      note: `node ${[...v.flags, relative(ROOT, v.main).replace(/^.*\/app\//, "")].join(" ")}; private (RssAnon) ${m.anon.toFixed(0)} MB, PSS ${m.pss.toFixed(0)} MB; idle CPU ${cpuMs.toFixed(1)} ms/s, woken ${woken.toFixed(0)}/s`,
    };
  });
  await Promise.all(procs.map((c) => c.stop()));
  return figures;
}

const ORGANELLES = DEPLOYED_ROLES.filter((r) => r !== "cell");

/** The laptop's app set as deployed: alpha and the four organelles, one process each or the organelles in one host. */
async function startLaptopSet(nats: NatsHandle, shared: boolean): Promise<BenchCell[]> {
  const procs = [await startCell({ name: "bench-alpha", natsUrl: nats.url, port: await freePort(), env: { AIOS_DEVICE: "laptop" } })];
  const idle = { AIOS_DEVICE: "laptop", AIOS_MDNS: "off", AIOS_CELL_ID: "" };
  if (!shared) {
    for (const role of ORGANELLES) {
      procs.push(await startCell({ name: `bench-${role}`, natsUrl: nats.url, port: await freePort(), env: { ...idle, AIOS_ROLE: role } }));
    }
    return procs;
  }
  const ports = await Promise.all(ORGANELLES.map(() => freePort()));
  const scoped = Object.fromEntries(ORGANELLES.map((role, i) => [`${scopePrefix(role as Role)}PORT`, String(ports[i])]));
  // the host answers on the first role's port; AIOS_ROLE, AIOS_PORT and AIOS_PUBLIC_URL are per role there
  const env = { ...idle, ...scoped, AIOS_ROLES: ORGANELLES.join(","), AIOS_ROLE: "", AIOS_PORT: "", AIOS_PUBLIC_URL: "" };
  const host = await startCell({ name: "bench-organelles", natsUrl: nats.url, port: ports[0]!, env });
  procs.push(host);
  for (const port of ports) await until(`the host's role on ${port}`, () => healthy(`http://127.0.0.1:${port}`), host.child);
  return procs;
}

/**
 * The laptop's whole app set idle, RSS and PSS summed over its processes, in both modes: one
 * process per organelle, then the four in one host. The modes run one after the other, not side by
 * side, so that PSS shares the node binary's pages only among the processes of one mode.
 */
async function laptopMemory(nats: NatsHandle): Promise<Figure[]> {
  const modes: Record<"separate" | "shared", { rss: number; pss: number; each: string }> = {} as never;
  for (const mode of ["separate", "shared"] as const) {
    const procs = await startLaptopSet(nats, mode === "shared");
    try {
      await sleep(10_000); // startup garbage collected, heartbeats settled
      const mems = procs.map((p) => ({ name: p.name.replace(/^bench-/, ""), ...memory(p.pid) }));
      modes[mode] = {
        rss: mems.reduce((a, m) => a + m.rss, 0),
        pss: mems.reduce((a, m) => a + m.pss, 0),
        each: mems.map((m) => `${m.name} ${m.rss.toFixed(0)}/${m.pss.toFixed(0)}`).join(", "),
      };
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  }
  const { separate, shared } = modes;
  const side = (key: "rss" | "pss"): string => `${separate[key].toFixed(0)} MB | ${shared[key].toFixed(0)} MB`;
  return [
    {
      figure: "laptop app set idle, RSS summed: one process per organelle | organelles in one host",
      value: side("rss"),
      note: `alpha + 4 organelles, deployed (dist/, the image's flags); RSS/PSS MB each, separate: ${separate.each}; shared: ${shared.each}`,
    },
    {
      figure: "laptop app set idle, PSS summed: one process per organelle | organelles in one host",
      value: side("pss"),
      note: `saved by the host: ${(separate.rss - shared.rss).toFixed(0)} MB RSS, ${(separate.pss - shared.pss).toFixed(0)} MB PSS`,
    },
  ];
}

export const APP_PARTS = ["throughput", "latency", "presence", "memory"] as const;
export type AppPart = (typeof APP_PARTS)[number];

/** The app's figures; `parts` picks some of them (all by default). */
export async function runAppBench(parts: readonly AppPart[] = APP_PARTS): Promise<Figure[]> {
  const nats = await startNats();
  const cells: BenchCell[] = [];
  const figures: Figure[] = [];
  try {
    if (parts.includes("throughput")) figures.push(...(await throughput(nats)));
    if (parts.includes("latency") || parts.includes("presence")) {
      // the receiver keeps every message of the run, so its inbox is never rewritten (compacted)
      // under the latency figures' watch
      const env = { AIOS_INBOX_KEEP: "100000" };
      for (const name of ["bench-a", "bench-b"]) cells.push(await startCell({ name, natsUrl: nats.url, port: await freePort(), env }));
      await until("bench-a to see bench-b", async () => (await statusIn(cells[0]!, "bench-b")) === "up", undefined);
    }
    const [a, b] = cells as [BenchCell, BenchCell];
    if (parts.includes("latency")) {
      figures.push(...latencyFigures("cell", [await latencyRound(a, b, nats.pid()!, 100, 3)], 100));
      const main = join(import.meta.dirname, "lib/floor-app.mjs");
      const floor = await startCell({ name: "bench-floor", natsUrl: nats.url, port: await freePort(), main });
      const floorReceiver = await startCell({ name: "bench-floor-rx", natsUrl: nats.url, port: await freePort(), main, env: { AIOS_FLOOR_RECEIVE: "1" } });
      try {
        figures.push(...(await tailShare(a, floor, floorReceiver, b, nats, 5, 4)));
      } finally {
        await Promise.all([floor.stop(), floorReceiver.stop()]);
      }
    }
    if (parts.includes("presence")) figures.push(...(await presence(nats, cells)));
    if (parts.includes("memory")) figures.push(...(await idleMemory(nats)), ...(await laptopMemory(nats)));
    return figures;
  } finally {
    await Promise.all(cells.map((c) => c.stop()));
    await nats.dispose();
  }
}
