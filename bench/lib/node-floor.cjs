// The memory floor of any node service: node itself serving GET /health with node:http and
// nothing else loaded. Run with the deployed node flags, next to floor-app.mjs, so the idle
// figures show how much is node, how much the required libraries, and how much the app.
// CommonJS on purpose: an ES module's `import ... from "node:http"` also reads every export of
// node:http, and its lazy WebSocket export loads node's bundled undici (with tls, http2, zlib,
// worker_threads...): 13 MB more than node:http itself.
const { createServer } = require("node:http");

const server = createServer((req, res) => {
  res.writeHead(req.url === "/health" ? 200 : 404, { "content-type": "application/json" });
  res.end('{"status":"ok"}');
});
server.listen(Number(process.env.AIOS_PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
