// nats-server config for a device: the main file (no secrets) and an included secrets file
// (client token and leaf-node credentials), so only the latter is a secret upload.
//
// One JetStream for the whole network: only the hub runs it (domain "hub", store on a volume).
// A leaf runs no JetStream and maps its clients' JetStream API ($JS.API.>, $KV.>) to the hub's
// domain with `default_js_domain`, so the mapped requests cross the leaf link and every cell on
// every device shares one presence bucket, message stream and task store. Without the mapping
// nats-server denies $JS.API.> and $KV.> on leaf links ("JetStream Not Extended") and a cell on
// a leaf gets "503 no responders" for every JetStream call.
import { NATS_CLIENT_PORT, NATS_LEAF_PORT, NATS_MONITOR_PORT } from "../plan.ts";

export const NATS_SECRETS_FILE = "secrets.conf";
export const LEAF_USER = "leaf";
/** The hub's JetStream domain: the one JetStream every device uses. */
export const JS_DOMAIN = "hub";
/**
 * The environment nats-server runs with everywhere (containers, `npm run local`, tests, benches).
 * One Go scheduler thread: a personal network's bus needs a fraction of a core, and with more
 * threads Go spins looking for work between messages. Measured at 1,000 messages/s on 2 vCPUs:
 * 272 instead of 360 µs of nats-server CPU per message. File I/O does not count against it.
 */
export const NATS_SERVER_ENV = { GOMAXPROCS: "1" };

/** nats-server's default account: clients that authenticate with the token land in it. */
const GLOBAL_ACCOUNT = "$G";

/** Where the server listens: the container ports on every interface, or test ports on 127.0.0.1. */
export interface NatsListen {
  host: string;
  client: number;
  monitor: number;
  leaf: number;
}

export const CONTAINER_LISTEN: NatsListen = { host: "0.0.0.0", client: NATS_CLIENT_PORT, monitor: NATS_MONITOR_PORT, leaf: NATS_LEAF_PORT };

export type NatsOptions = { serverName: string; listen?: NatsListen } & ({ mode: "hub"; storeDir: string } | { mode: "leaf" });

const q = (s: string): string => JSON.stringify(s);

export function renderNatsConfig(opts: NatsOptions): string {
  const at = opts.listen ?? CONTAINER_LISTEN;
  const jetstream =
    opts.mode === "hub"
      ? ["jetstream {", `  store_dir: ${q(opts.storeDir)}`, `  domain: ${q(JS_DOMAIN)}`, "}"]
      : [`default_js_domain: { ${q(GLOBAL_ACCOUNT)}: ${q(JS_DOMAIN)} }`];
  return [
    `server_name: ${q(opts.serverName)}`,
    `listen: "${at.host}:${at.client}"`,
    `http: "${at.host}:${at.monitor}"`,
    ...jetstream,
    `include ${q(`./${NATS_SECRETS_FILE}`)}`,
    "",
  ].join("\n");
}

/** A leaf's link to the hub: over TLS when the hub's leaf port requires it, trusting `caFile` (else the system roots). */
export interface HubTls {
  caFile?: string;
}

export type NatsRole = { mode: "hub"; advertise?: string } | { mode: "leaf"; hubHost: string; hubLeafPort: number; tls?: HubTls };

/** The secrets file: client token, and leaf-node credentials (the hub's listener or the leaf's remote). */
export function renderNatsSecrets(role: NatsRole, busToken: string, listen: NatsListen = CONTAINER_LISTEN): string {
  const lines = ["authorization {", `  token: ${q(busToken)}`, "}"];
  if (role.mode === "hub") {
    lines.push(
      "leafnodes {",
      `  listen: "${listen.host}:${listen.leaf}"`,
      // what leaves are told to dial on reconnect (default: this server's own address)
      ...(role.advertise ? [`  advertise: ${q(role.advertise)}`] : []),
      "  authorization {",
      `    user: ${q(LEAF_USER)}`,
      `    password: ${q(busToken)}`,
      "  }",
      "}",
    );
  } else {
    const scheme = role.tls ? "tls" : "nats-leaf";
    const url = `${scheme}://${LEAF_USER}:${encodeURIComponent(busToken)}@${role.hubHost}:${role.hubLeafPort}`;
    const tls = role.tls?.caFile ? [`      tls { ca_file: ${q(role.tls.caFile)} }`] : [];
    lines.push("leafnodes {", "  remotes: [", "    {", `      url: ${q(url)}`, ...tls, "    }", "  ]", "}");
  }
  return `${lines.join("\n")}\n`;
}
