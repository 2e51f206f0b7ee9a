// `npm run bench -- abuse`: a well-behaved client's latency on one cell, alone and while another
// client floods the same cell with valid calls as fast as it can. The cell runs with the limits
// it is deployed with (AIOS_RATE_LIMIT and the rest at their defaults). Printed, never asserted.
// Every message answered 202, by either client, must reach the receiving cell's inbox.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { startNats } from "../test/helpers/nats.ts";
import { freePort, waitFor } from "../test/helpers/ports.ts";
import { BENCH_TOKEN, startCell } from "./lib/cell.ts";
import { percentile, type Figure } from "./lib/stats.ts";

const SECONDS = Number(process.env.AIOS_BENCH_ABUSE_S ?? 10);
const FLOOD_CONNECTIONS = 16;
const HEALTH_RATE = 20;
const MESSAGE_RATE = 10;

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** A client: its own keep-alive sockets, from its own loopback address (the cell tells clients apart by it). */
function client(localAddress: string, sockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, localAddress });
  return (url: string, method: "GET" | "POST", body?: unknown): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const start = performance.now();
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        url,
        {
          method,
          agent,
          headers: { authorization: `Bearer ${BENCH_TOKEN}`, ...(payload ? { "content-type": "application/json" } : {}) },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - start }));
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
}

type Call = ReturnType<typeof client>;

/** The well-behaved client for `seconds`: /health at 20/s and a message to beta at 10/s, timed. */
async function behave(call: Call, url: string, seconds: number, accepted: Set<string>) {
  const health: number[] = [];
  const messages: number[] = [];
  const other: string[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let tick = 0; performance.now() - start < seconds * 1000; tick++) {
    pending.push(
      call(`${url}/health`, "GET").then((a) => {
        health.push(a.ms);
        if (a.status !== 200) other.push(`health ${a.status}`);
      }),
    );
    if (tick % (HEALTH_RATE / MESSAGE_RATE) === 0) {
      pending.push(
        call(`${url}/messages`, "POST", { to: "beta", body: { tick } }).then((a) => {
          messages.push(a.ms);
          if (a.status === 202) accepted.add((JSON.parse(a.body) as { id: string }).id);
          else other.push(`message ${a.status}`);
        }),
      );
    }
    await sleep(1000 / HEALTH_RATE);
  }
  await Promise.all(pending);
  return { health, messages, other };
}

/** The abusive client: FLOOD_CONNECTIONS loops posting messages back to back until `stop`. */
async function flood(call: Call, url: string, stop: () => boolean, accepted: Set<string>) {
  const counts = new Map<number, number>();
  const loop = async (): Promise<void> => {
    while (!stop()) {
      const a = await call(`${url}/messages`, "POST", { to: "beta", body: "flood" });
      counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
      if (a.status === 202) accepted.add((JSON.parse(a.body) as { id: string }).id);
    }
  };
  await Promise.all(Array.from({ length: FLOOD_CONNECTIONS }, loop));
  return counts;
}

async function inboxIds(url: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const call = client("127.0.0.1", 1);
  for (let after = "0"; ; ) {
    const page = JSON.parse((await call(`${url}/messages?after=${after}&limit=1000`, "GET")).body) as { messages: { id: string }[]; cursor: string };
    for (const m of page.messages) ids.add(m.id);
    if (page.messages.length === 0) return ids;
    after = page.cursor;
  }
}

const p99 = (v: number[]) => `${percentile(v, 99).toFixed(1)} ms`;

export async function runAbuseBench(): Promise<Figure[]> {
  const nats = await startNats();
  // the deployed limits: an empty value is the default
  const deployed = { AIOS_RATE_LIMIT: "" };
  const beta = await startCell({ name: "beta", natsUrl: nats.url, port: await freePort(), env: deployed });
  const alpha = await startCell({ name: "alpha", natsUrl: nats.url, port: await freePort(), env: deployed });
  try {
    const accepted = new Set<string>();
    const polite = client("127.0.0.1", 4);
    await waitFor("alpha to see beta", async () => (await polite(`${alpha.url}/messages`, "POST", { to: "beta", body: "hello" })).status === 202);
    const alone = await behave(polite, alpha.url, SECONDS, accepted);
    let done = false;
    const flooding = flood(client("127.0.0.2", FLOOD_CONNECTIONS), alpha.url, () => done, accepted);
    const during = await behave(polite, alpha.url, SECONDS, accepted);
    done = true;
    const counts = await flooding;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const limited = counts.get(429) ?? 0;
    // the hello above is in beta's inbox too, and was not counted
    const received = await waitFor(
      "beta to hold every accepted message",
      async () => {
        const ids = await inboxIds(beta.url);
        return [...accepted].every((id) => ids.has(id)) ? ids : undefined;
      },
      60_000,
    ).catch(async () => inboxIds(beta.url));
    const lost = [...accepted].filter((id) => !received.has(id)).length;
    const statuses = [...counts].map(([s, n]) => `${s}: ${n}`).join(", ");
    return [
      { figure: "polite /health p99, alone", value: p99(alone.health), note: `${alone.health.length} calls at ${HEALTH_RATE}/s` },
      { figure: "polite POST /messages p99, alone", value: p99(alone.messages), note: `${alone.messages.length} calls at ${MESSAGE_RATE}/s` },
      { figure: "polite /health p99, during the flood", value: p99(during.health), note: during.other.length ? `refused: ${during.other.join(", ")}` : "none refused" },
      { figure: "polite POST /messages p99, during the flood", value: p99(during.messages) },
      { figure: "flood answered 429", value: `${((100 * limited) / total).toFixed(1)} %`, note: `${total} calls in ${SECONDS} s on ${FLOOD_CONNECTIONS} connections (${statuses})` },
      { figure: "accepted (202) and lost", value: `${lost} of ${accepted.size}`, target: "0 lost" },
    ];
  } finally {
    await Promise.all([alpha.stop(), beta.stop()]);
    await nats.dispose();
  }
}
