// `npm run local`: the whole cell network on this machine as processes (nats-server with
// JetStream, the cells, discovery and the organelles this build provides), all on 127.0.0.1.
// Ctrl-C (or SIGTERM) stops the services, then the bus, and leaves no process behind.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { healthy, startChild, tcpOpen, until, type Child } from "./local/process.ts";
import { assignPorts, ORGANELLES, planServices } from "./local/plan.ts";
import { makeIdentities } from "./local/identities.ts";
import { NATS_SERVER_ENV } from "../infra/render/nats.ts";

const ROOT = resolve(import.meta.dirname, "..");
const APP_MAIN = join(ROOT, "app/src/main.ts");

const USAGE = `usage: npm run local -- [--base-port N] [--data-dir DIR]

Runs nats-server (JetStream), cells father, nous, alpha and beta, discovery and the organelles
this build provides, on 127.0.0.1, and stops them all on Ctrl-C.

  --base-port N   ports N, N+1, ... in the order printed; 0 picks free ports
                  (default: the usual ports 4222, 8000-8002, 8010-8011, 3000-3003,
                  or a free port where one is taken)
  --data-dir DIR  JetStream store, cell data, logs and the session's identities (default ./.local)
  --help          this text

Each member is its own bus user and each device has its own API token, made for the session in
<data-dir>/identities (mode 0600, never printed). Mutating calls take the operator's token:
  -H "Authorization: Bearer $(cat <data-dir>/identities/operator-token)"`;

function parseCli(): { basePort: number | undefined; dataDir: string } {
  const { values } = parseArgs({
    options: { "base-port": { type: "string" }, "data-dir": { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let basePort: number | undefined;
  if (values["base-port"] !== undefined) {
    basePort = Number(values["base-port"]);
    if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65_000) {
      throw new Error(`--base-port: expected 0 or a port number up to 65000, got "${values["base-port"]}"`);
    }
  }
  return { basePort, dataDir: resolve(values["data-dir"] ?? join(ROOT, ".local")) };
}

async function availableRoles(): Promise<Set<string>> {
  const { ROLE_PLUGINS } = (await import("../app/src/roles/index.ts")) as { ROLE_PLUGINS: Record<string, unknown> };
  return new Set(Object.keys(ROLE_PLUGINS));
}

async function main(): Promise<void> {
  const { basePort, dataDir } = parseCli();
  const logDir = join(dataDir, "logs");
  mkdirSync(logDir, { recursive: true, mode: 0o700 });

  const available = await availableRoles();
  const services = planServices(available);
  // the monitor and leaf ports last, so --base-port N keeps the printed services where they were
  const ports = await assignPorts(["nats", ...services.map((s) => s.name), "nats-monitor", "nats-leaf"], basePort);
  const natsPort = ports.get("nats")!;
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  const ids = makeIdentities(join(dataDir, "identities"), services, {
    listen: { host: "127.0.0.1", client: natsPort, monitor: ports.get("nats-monitor")!, leaf: ports.get("nats-leaf")! },
    storeDir: join(dataDir, "nats"),
  });
  const tokenFile = ids.operatorTokenFile;

  // started children, in start order; stopped in reverse so the bus goes last
  const children: Child[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      const [bus, ...apps] = children;
      await Promise.all(apps.map((c) => c.stop()));
      await bus?.stop(5000);
    })());
  // last resort if the launcher itself dies: no child outlives it
  process.on("exit", () => {
    for (const c of children) if (!c.exited) c.proc.kill("SIGKILL");
  });
  const onSignal = (signal: string): void => {
    if (!stopping) console.log(`\n${signal}: stopping ${children.length} processes...`);
    void stopAll().then(() => {
      console.log("stopped.");
      process.exit(0);
    });
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));

  const rows: string[][] = [];
  try {
    const nats = startChild(
      "nats",
      "nats-server",
      ["-c", ids.natsConfig],
      { PATH: process.env.PATH ?? "", ...NATS_SERVER_ENV },
      join(logDir, "nats.log"),
    );
    children.push(nats);
    await until("nats-server to listen", () => tcpOpen(natsPort), nats);
    rows.push(["nats", "bus", "desktop", natsUrl, String(nats.proc.pid)]);

    for (const s of services) {
      const port = ports.get(s.name)!;
      const url = `http://127.0.0.1:${port}`;
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "",
        AIOS_ROLE: s.role,
        AIOS_CELL_ID: s.name,
        AIOS_DEVICE: s.device,
        AIOS_HOST: "127.0.0.1",
        AIOS_PORT: String(port),
        AIOS_PUBLIC_URL: url,
        AIOS_NATS_URLS: natsUrl,
        AIOS_NATS_USER: s.name,
        AIOS_NATS_TOKEN_FILE: ids.of(s.name).busPasswordFile,
        AIOS_BUS_CERT: ids.of(s.name).busCert,
        AIOS_BUS_FLEET_KEY: ids.fleetKey,
        AIOS_TOKEN_FILE: ids.of(s.name).tokenFile,
        AIOS_ACCEPT_TOKENS_FILE: ids.of(s.name).acceptFile,
        AIOS_DATA_DIR: join(dataDir, s.name),
        AIOS_LOG_LEVEL: process.env.AIOS_LOG_LEVEL ?? "info",
        // as on the laptop: the organelles serve alpha; no mDNS (traffic stays on 127.0.0.1)
        AIOS_MDNS: "off",
        ...(s.role === "cell" || s.role === "discovery" ? {} : { AIOS_PRIMARY_CELL_URL: `http://127.0.0.1:${ports.get("alpha")}` }),
      };
      const child = startChild(s.name, process.execPath, [APP_MAIN], env, join(logDir, `${s.name}.log`));
      children.push(child);
      rows.push([s.name, s.role, s.device, url, String(child.proc.pid)]);
    }
    await Promise.all(children.slice(1).map((c, i) => until(`${c.name} to answer /health`, () => healthy(rows[i + 1]![3]!), c)));
  } catch (err) {
    console.error(`local: ${(err as Error).message} (logs in ${logDir})`);
    await stopAll();
    process.exit(1);
  }

  const header = ["service", "role", "device", "url", "pid"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const missing = ORGANELLES.filter((r) => !available.has(r));
  console.log(
    [
      `AIOS local network: data and logs in ${dataDir}`,
      "",
      line(header),
      ...rows.map(line),
      "",
      ...(missing.length ? [`organelles not in this build yet: ${missing.join(", ")}`] : []),
      ...rows.filter((r) => r[1] === "discovery").map((r) => `fleet map (live, in a browser): ${r[3]}/`),
      `identities (this session only, mode 0600): ${join(dataDir, "identities")}; the operator's token: ${tokenFile}`,
      `  curl -H "Authorization: Bearer $(cat ${tokenFile})" ${rows[1]![3]}/messages`,
      `ready: ${rows.length} processes up; Ctrl-C stops them all.`,
    ].join("\n"),
  );

  for (const c of children) {
    c.proc.once("exit", (code, signal) => {
      if (!stopping) console.error(`local: ${c.name} exited unexpectedly (${code ?? signal}); see ${join(logDir, `${c.name}.log`)}`);
    });
  }
}

main().catch((err: unknown) => {
  console.error(`local: ${(err as Error).message}`);
  process.exit(1);
});
