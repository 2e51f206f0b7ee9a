// The container's health probe (`node dist/healthcheck.js`): exits 0 when this role's /health
// answers 2xx on 127.0.0.1, else 1; with AIOS_ROLES (several roles in one process), only when
// every role's does, and it names the roles that did not. It runs inside the service's memory
// limit at every interval, so it uses node:http rather than fetch: loading undici doubles the
// probe's own memory (about 16 MB instead of 8), enough to push a small container over its
// limit while it is busy.
import { get } from "node:http";
import { DEFAULT_PORTS, ROLES, type Role } from "./config.ts";
import { hostedRoles } from "./host.ts";

const TIMEOUT_MS = 2500;

/** Resolves with undefined when /health answered 2xx, else with why not. */
function probe(port: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path: "/health", timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? undefined : `answered ${status}`);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer in ${TIMEOUT_MS} ms`)));
    req.on("error", (err) => resolve(err.message));
  });
}

function targets(): { label: string; port: string }[] {
  const hosted = hostedRoles(process.env);
  if (hosted) return hosted.map((h) => ({ label: h.role, port: h.env.AIOS_PORT! }));
  const role = process.env.AIOS_ROLE as Role | undefined;
  const port = process.env.AIOS_PORT || (role && ROLES.includes(role) ? String(DEFAULT_PORTS[role]) : undefined);
  if (!port) throw new Error("set AIOS_PORT or a valid AIOS_ROLE (or AIOS_ROLES)");
  return [{ label: role ?? "service", port }];
}

try {
  const list = targets();
  const failures = (await Promise.all(list.map(async (t) => [t, await probe(t.port)] as const))).filter(([, why]) => why);
  for (const [t, why] of failures) process.stderr.write(`healthcheck: ${t.label} http://127.0.0.1:${t.port}/health: ${why}\n`);
  process.exit(failures.length ? 1 : 0);
} catch (err) {
  process.stderr.write(`healthcheck: ${(err as Error).message}\n`);
  process.exit(1);
}
