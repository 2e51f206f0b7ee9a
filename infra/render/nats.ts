// nats-server config for a device: the main file (no secrets) and an included secrets file
// (every member's user with its subject permissions, and leaf-node credentials), so only the
// latter is a secret upload.
//
// One JetStream for the whole network: only the hub runs it (domain "hub", store on a volume).
// A leaf runs no JetStream and maps its clients' JetStream API ($JS.API.>, $KV.>) to the hub's
// domain with `default_js_domain`, so the mapped requests cross the leaf link and every cell on
// every device shares one presence bucket, message stream and task store. Without the mapping
// nats-server denies $JS.API.> and $KV.> on leaf links ("JetStream Not Extended") and a cell on
// a leaf gets "503 no responders" for every JetStream call.
import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";
import { NATS_CLIENT_PORT, NATS_LEAF_PORT, NATS_MONITOR_PORT } from "../plan.ts";
import type { BusPermissions } from "./nats-permissions.ts";
import { NO_CREDENTIALS_USER } from "../bus-users.ts";

export const NATS_SECRETS_FILE = "secrets.conf";
/** The hub's JetStream domain: the one JetStream every device uses. */
export const JS_DOMAIN = "hub";
/**
 * The environment nats-server runs with everywhere (containers, `npm run local`, tests, benches).
 * One Go scheduler thread: a personal network's bus needs a fraction of a core, and with more
 * threads Go spins looking for work between messages. Measured at 1,000 messages/s on 2 vCPUs:
 * 272 instead of 360 µs of nats-server CPU per message. File I/O does not count against it.
 */
export const NATS_SERVER_ENV = { GOMAXPROCS: "1" };

/** nats-server's default account: every user of the config lands in it. */
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

/** A user and password: a member's bus user, or one device's leaf link. */
export interface Credential {
  user: string;
  password: string;
}

/** One member's bus user: its own password and subject permissions. */
export interface BusUser extends Credential {
  permissions: BusPermissions;
}

/**
 * The hub takes one leaf user per leaf device, with what that device's members may send and
 * receive (leafPermissions), and tells its leaves to reconnect to `advertise` when set; a leaf
 * dials the hub with its own credential.
 */
export type NatsRole =
  | { mode: "hub"; leaves: BusUser[]; advertise?: string }
  | { mode: "leaf"; hubHost: string; hubLeafPort: number; tls?: HubTls; credential: Credential };

/** Members and the operator connect as clients only; a leaf user only as a leaf link. */
type ConnectionType = "STANDARD" | "LEAFNODE";

/**
 * A password as a server's config holds it: bcrypt, so the file does not give the passwords
 * away (members derive their signing keys from theirs, lib/signing.ts). The salt comes from the
 * user and password, so the file is the same from one run to the next (no change at every
 * `pulumi up`), and the cost is bcrypt's least: the passwords are 256-bit derivations, not
 * guessable words, so stretching them would buy nothing and cost the server at every connect.
 */
export function storedPassword(user: string, password: string): string {
  const salt = createHash("sha256").update(`aios-bus-salt\n${user}\n${password}`).digest().subarray(0, 16);
  return bcrypt.hashSync(password, `$2a$04$${bcrypt.encodeBase64(salt, 16)}`);
}

function userEntry(u: BusUser, type: ConnectionType): string[] {
  const list = (xs: string[]): string => `[${xs.map(q).join(", ")}]`;
  const p = u.permissions;
  return [
    `    {`,
    `      user: ${q(u.user)}`,
    `      password: ${q(storedPassword(u.user, u.password))}`,
    `      allowed_connection_types: [${q(type)}]`,
    `      permissions: {`,
    `        publish: { allow: ${list(p.publish)} }`,
    `        subscribe: { allow: ${list(p.subscribe)} }`,
    ...(p.responses ? [`        allow_responses: true`] : []),
    `      }`,
    `    }`,
  ];
}

/**
 * The secrets file: every member's bus user with its permissions, and the leaf-node
 * credentials (on the hub, one user per leaf device with its own permissions; on a leaf, its
 * remote). A user missing here is refused: that is how removing a device from the config
 * revokes it.
 */
export function renderNatsSecrets(role: NatsRole, users: BusUser[], listen: NatsListen = CONTAINER_LISTEN): string {
  if (users.length === 0) throw new Error("bus: no users (nats-server would accept anyone without credentials)");
  const entries = users.flatMap((u) => userEntry(u, "STANDARD"));
  const lines: string[] = [];
  if (role.mode === "hub") {
    // The placeholder's password is a hash of the secrets above, so it is unguessable and the
    // file stays the same from one run to the next.
    const sealed = createHash("sha256").update(users.map((u) => u.password).join("\n")).digest("base64url");
    const nobody = `    { user: ${q(NO_CREDENTIALS_USER)}, password: ${q(sealed)}, allowed_connection_types: ["MQTT"] }`;
    entries.push(...role.leaves.flatMap((l) => userEntry(l, "LEAFNODE")), nobody);
    lines.push(`no_auth_user: ${q(NO_CREDENTIALS_USER)}`);
  }
  lines.push("authorization {", "  users: [", ...entries, "  ]", "}");
  if (role.mode === "hub") {
    lines.push(
      "leafnodes {",
      `  listen: "${listen.host}:${listen.leaf}"`,
      // what leaves are told to dial on reconnect (default: this server's own address)
      ...(role.advertise ? [`  advertise: ${q(role.advertise)}`] : []),
      "}",
    );
  } else {
    const scheme = role.tls ? "tls" : "nats-leaf";
    const { user, password } = role.credential;
    const url = `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${role.hubHost}:${role.hubLeafPort}`;
    const tls = role.tls?.caFile ? [`      tls { ca_file: ${q(role.tls.caFile)} }`] : [];
    lines.push("leafnodes {", "  remotes: [", "    {", `      url: ${q(url)}`, ...tls, "    }", "  ]", "}");
  }
  return `${lines.join("\n")}\n`;
}
