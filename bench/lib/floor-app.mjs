// The memory floor of the cell's required stack: a process that only loads fastify, the NATS
// client and prom-client (default metrics), connects to the bus and serves GET /health and
// /metrics. Plain JavaScript, run with the deployed node flags like dist/, so the idle-memory
// figures can say how much of a service's memory is the app's own.
import Fastify from "fastify";
import { connect } from "nats";
import { collectDefaultMetrics, Registry } from "prom-client";

const registry = new Registry();
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 }); // as app/src/lib/metrics.ts
const app = Fastify();
const status = { type: "object", properties: { status: { type: "string" } } };
app.get("/health", { schema: { response: { 200: status } } }, async () => ({ status: "ok" }));
app.get("/metrics", async () => registry.metrics());
const nc = await connect({ servers: process.env.AIOS_NATS_URLS });
await nc.jetstreamManager();
await app.listen({ host: "127.0.0.1", port: Number(process.env.AIOS_PORT) });
process.on("SIGTERM", () => void Promise.all([app.close(), nc.close()]).then(() => process.exit(0)));
