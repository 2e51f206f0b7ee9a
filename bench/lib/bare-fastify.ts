// The baseline for the throughput figure: a bare fastify app serving BENCH_BODY at GET /health
// on 127.0.0.1:BENCH_PORT, with nothing else registered.
import Fastify from "fastify";

const body = JSON.parse(process.env.BENCH_BODY ?? "{}") as unknown;
const app = Fastify();
app.get("/health", async () => body);
await app.listen({ host: "127.0.0.1", port: Number(process.env.BENCH_PORT) });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
