// The floor of the cell's required stack: a process that only loads fastify, the NATS client and
// prom-client (default metrics), connects to the bus, serves GET /health and /metrics, and takes
// POST /messages as a cell's sending half does it, with nothing of the cell's own: a body schema,
// a JetStream publish awaited before the 202 (same subject, JSON and client options). Plain
// JavaScript, run with the deployed node flags like dist/. The idle-memory figures read how much
// of a service's memory is the app's own from it, and the latency figures how much of the
// message latency is the cell's own code.
// With AIOS_FLOOR_RECEIVE=1 it is also the floor of a receiver: a durable pull consumer on the
// cells' stream whose messages are written to inbox.jsonl in its data directory as they come and
// acked (no fsync, no de-duplication, no signature check), so a floor sending to a floor is the
// least any sender and receiver can do on the path a cell's message takes.
import { randomUUID } from "node:crypto";
import { openSync, writeSync } from "node:fs";
import { join } from "node:path";
import Fastify from "fastify";
import { AckPolicy, connect } from "nats";
import { collectDefaultMetrics, Registry } from "prom-client";

const registry = new Registry();
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 }); // as app/src/lib/metrics.ts
const app = Fastify();
const status = { type: "object", properties: { status: { type: "string" } } };
app.get("/health", { schema: { response: { 200: status } } }, async () => ({ status: "ok" }));
app.get("/metrics", async () => registry.metrics());
const nc = await connect({ servers: process.env.AIOS_NATS_URLS, noAsyncTraces: true }); // as app/src/lib/bus.ts
const jsm = await nc.jetstreamManager();
const js = nc.jetstream();
const from = process.env.AIOS_CELL_ID;
const accepted = { type: "object", properties: { id: { type: "string" }, status: { type: "string" }, queued: { type: "boolean" } } };
app.post(
  "/messages",
  { schema: { body: { type: "object", required: ["to", "body"], properties: { to: { type: "string" }, body: {} } }, response: { 202: accepted } } },
  async (req, reply) => {
    const { to, body } = req.body;
    const message = { id: randomUUID(), from, to, body, sent_at: new Date().toISOString() };
    await js.publish(`aios.msg.${from}.to.${to}`, JSON.stringify(message), { msgID: message.id, timeout: 2000 });
    return reply.code(202).send({ id: message.id, status: "accepted", queued: false });
  },
);
if (process.env.AIOS_FLOOR_RECEIVE === "1") {
  // as the cell's consumer (app/src/plugins/messaging.ts, lib/durable-consumer.ts)
  const durable_name = `floor-inbox-${from}`;
  await jsm.consumers.add("AIOS_MESSAGES", {
    durable_name,
    filter_subject: `aios.msg.*.to.${from}`,
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 1000,
  });
  const inbox = openSync(join(process.env.AIOS_DATA_DIR, "inbox.jsonl"), "a");
  const messages = await (await js.consumers.get("AIOS_MESSAGES", durable_name)).consume({ max_messages: 256 });
  void (async () => {
    for await (const m of messages) {
      writeSync(inbox, `${m.string()}\n`);
      m.ack();
    }
  })();
}
await app.listen({ host: "127.0.0.1", port: Number(process.env.AIOS_PORT) });
process.on("SIGTERM", () => void Promise.all([app.close(), nc.close()]).then(() => process.exit(0)));
