// The memory floor of any node service: node itself serving GET /health with node:http and
// nothing else loaded. Run with the deployed node flags, next to floor-app.mjs, so the idle
// figures show how much is node, how much the required libraries, and how much the app.
import { createServer } from "node:http";
import process from "node:process";

const server = createServer((req, res) => {
  res.writeHead(req.url === "/health" ? 200 : 404, { "content-type": "application/json" });
  res.end('{"status":"ok"}');
});
server.listen(Number(process.env.AIOS_PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
