// The container's health probe (`node dist/healthcheck.js`): exits 0 when this role's /health
// answers 2xx on 127.0.0.1, else 1. It runs inside the service's memory limit at every interval,
// so it uses node:http rather than fetch: loading undici doubles the probe's own memory (about
// 16 MB instead of 8), enough to push a small container over its limit while it is busy.
import { get } from "node:http";
import { DEFAULT_PORTS, ROLES, type Role } from "./config.ts";

const TIMEOUT_MS = 2500;

const role = process.env.AIOS_ROLE as Role | undefined;
const port = process.env.AIOS_PORT || (role && ROLES.includes(role) ? DEFAULT_PORTS[role] : undefined);
if (!port) {
  process.stderr.write("healthcheck: set AIOS_PORT or a valid AIOS_ROLE\n");
  process.exit(1);
}
const req = get({ host: "127.0.0.1", port, path: "/health", timeout: TIMEOUT_MS }, (res) => {
  res.resume();
  const status = res.statusCode ?? 0;
  process.exit(status >= 200 && status < 300 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)));
req.on("error", (err) => {
  process.stderr.write(`healthcheck: http://127.0.0.1:${port}/health: ${err.message}\n`);
  process.exit(1);
});
