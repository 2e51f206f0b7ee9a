// npm run fleet [-- --discovery <url> | --nats <urls>]: every cell of every device with its status,
// level, peer count (from the cell's own /health) and last heartbeat.
// The view comes from --discovery / AIOS_DISCOVERY_URL, else --nats / AIOS_NATS_URLS (presence
// bucket), else the `discovery` URL in the stacks' endpoints output.
// Exit 0: every cell up; 2: a cell is down or none is known; 1: no view could be read.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EXIT_ATTENTION, EXIT_OK, runCommand } from "./lib/cli.ts";
import { fromBus, fromDiscovery, type FleetCell } from "./lib/fleet-view.ts";
import { maskUrl } from "../app/src/lib/mask.ts";
import { FleetVerifier } from "../app/src/lib/signing.ts";
import { parseMs, probe } from "./lib/probe.ts";
import { listStacks, PulumiMissingError } from "./lib/pulumi.ts";
import { readEndpoints } from "./lib/stack-endpoints.ts";
import { formatTable } from "./lib/table.ts";

function ago(iso: string, now: number): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return "?";
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

/** The bus token (the password of AIOS_NATS_USER when set), as the app reads it: AIOS_NATS_TOKEN or the file named by AIOS_NATS_TOKEN_FILE. */
function natsToken(env: NodeJS.ProcessEnv): string | undefined {
  const file = env.AIOS_NATS_TOKEN_FILE;
  if (env.AIOS_NATS_TOKEN || !file) return env.AIOS_NATS_TOKEN || undefined;
  try {
    return readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new Error(`AIOS_NATS_TOKEN_FILE: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? "error"})`, { cause: err });
  }
}

/** The fleet key's verifier, or an error naming AIOS_BUS_FLEET_KEY. */
function fleetVerifier(key: string): FleetVerifier {
  try {
    return new FleetVerifier(key);
  } catch (err) {
    throw new Error(`AIOS_BUS_FLEET_KEY: ${(err as Error).message}`, { cause: err });
  }
}

interface View {
  source: string;
  cells: FleetCell[];
  /** The CA of the stack the view came from, trusted for the cells' /health too. */
  ca?: string | undefined;
}

/** The discovery URL from the first stack whose endpoints output has one that answers. */
async function fromStacks(timeoutMs: number): Promise<View> {
  const reasons: string[] = [];
  for (const stack of listStacks(process.cwd())) {
    try {
      const { endpoints, ca } = await readEndpoints(stack);
      if (!endpoints.discovery) {
        reasons.push(`${stack}: no \`discovery\` in its endpoints output`);
        continue;
      }
      const cells = await fromDiscovery(endpoints.discovery, timeoutMs, ca);
      return { source: `discovery at ${endpoints.discovery} (stack ${stack})`, cells, ca };
    } catch (err) {
      if (err instanceof PulumiMissingError) throw err;
      reasons.push(`${stack}: ${(err as Error).message}`);
    }
  }
  throw new Error(
    ["no network view: set AIOS_DISCOVERY_URL or AIOS_NATS_URLS, or deploy a stack with a `discovery` endpoint", ...reasons].join("\n  "),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { discovery: { type: "string" }, nats: { type: "string" }, timeout: { type: "string" } },
  });
  const env = process.env;
  const timeoutMs = parseMs("--timeout", values.timeout ?? env.AIOS_PROBE_TIMEOUT_MS, 3000, 120_000);
  const discovery = values.discovery ?? env.AIOS_DISCOVERY_URL;
  const nats = values.nats ?? env.AIOS_NATS_URLS;
  let view: View;
  if (discovery) {
    view = { source: `discovery at ${discovery}`, cells: await fromDiscovery(discovery, timeoutMs) };
  } else if (nats) {
    const servers = nats.split(",").map((s) => s.trim()).filter(Boolean);
    const downAfterMs = parseMs("AIOS_DOWN_AFTER_MS", env.AIOS_DOWN_AFTER_MS, 3000);
    const token = natsToken(env);
    // with the fleet's key (stack output busFleetKey), records are checked as the members check them
    const opener = env.AIOS_BUS_FLEET_KEY ? fleetVerifier(env.AIOS_BUS_FLEET_KEY) : undefined;
    const refused: string[] = [];
    view = { source: `bus at ${servers.map(maskUrl).join(", ")}`, cells: await fromBus(servers, { user: env.AIOS_NATS_USER || undefined, token, downAfterMs, timeoutMs, opener, refused }) };
    if (refused.length) console.error(`presence records refused (not signed by their member): ${refused.join(", ")}`);
  } else {
    view = await fromStacks(timeoutMs);
  }

  const cells = view.cells.sort((a, b) => a.device.localeCompare(b.device) || a.cell_id.localeCompare(b.cell_id));
  console.log(`fleet view from ${view.source}`);
  if (!cells.length) {
    console.log("no cells known");
    return EXIT_ATTENTION;
  }
  // peer counts come from each live cell's own /health (its view of the others)
  const health = await Promise.all(cells.map((c) => (c.up ? probe(`${c.url.replace(/\/+$/, "")}/health`, timeoutMs, { ca: view.ca }) : undefined)));
  const now = Date.now();
  const rows = cells.map((c, i) => {
    const peers = (health[i]?.body as { peer_count?: unknown } | undefined)?.peer_count;
    return [
      c.device,
      c.cell_id,
      c.role,
      c.up ? "up" : "down",
      String(c.level),
      typeof peers === "number" ? String(peers) : c.up ? "?" : "-",
      `${c.last_heartbeat} (${ago(c.last_heartbeat, now)})`,
    ];
  });
  console.log(formatTable(["DEVICE", "CELL", "ROLE", "STATUS", "LEVEL", "PEERS", "LAST HEARTBEAT"], rows));
  return cells.every((c) => c.up) ? EXIT_OK : EXIT_ATTENTION;
}

if (import.meta.main) await runCommand(main);
