// A real nats-server run from rendered files (the main nats.conf and its secrets include) on test
// ports on 127.0.0.1, restartable on the same ports and store. Shared by the e2e suites.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  NATS_SECRETS_FILE,
  NATS_SERVER_ENV,
  renderNatsConfig,
  renderNatsSecrets,
  type BusUser,
  type NatsListen,
  type NatsOptions,
  type NatsRole,
} from "../../infra/render/nats.ts";
import { busCertificate, busFleetKey, busPassword, busUser, leafBusUser, leafCredential, type BusMember } from "../../infra/identities.ts";
import { ROLES } from "../../app/src/config.ts";
import type { BusRole } from "../../infra/render/nats-permissions.ts";
import { OPERATOR_ID } from "../../infra/bus-users.ts";
import { startLinkProxy, type LinkProxy } from "../helpers/link-proxy.ts";
import { stopServer } from "../helpers/nats.ts";
import { stopOnExit } from "../../tools/local/process.ts";
import { freePort, waitFor } from "../helpers/ports.ts";

export interface Server {
  url: string;
  listen: NatsListen;
  start(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
  /** The server's process id while it runs. */
  pid(): number | undefined;
}

/** Temp dirs made on demand (`make`), all removed by `removeAll`. */
export function tempDirs(prefix: string): { make: () => string; removeAll: () => void } {
  const dirs: string[] = [];
  return {
    make: () => {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    removeAll: () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })),
  };
}

/** The fleet's bus root secret in these suites; members get only what is derived from it. */
export const BUS_ROOT = "bus-root-for-the-e2e-suites-0123456789";

/** The users a server lists: the operator's and the members'. */
export const busUsers = (members: BusMember[]): BusUser[] => [OPERATOR_ID, ...members].map((m) => busUser(BUS_ROOT, typeof m === "string" ? { id: m, role: "operator" } : m));

/** A member's bus role from its id: an organelle's is `<role>-<device>`, anything else is a cell. */
const roleOf = (id: string): BusRole => ROLES.find((r) => r !== "cell" && id.startsWith(`${r}-`)) ?? "cell";

/**
 * How a member signs in to the bus and signs what it sends: its own user and password, its
 * certificate and the fleet's key, as the stack hands them over.
 */
export const memberBusEnv = (id: string, role: BusRole = roleOf(id)): Record<string, string> => ({
  AIOS_NATS_USER: id,
  AIOS_NATS_TOKEN: busPassword(BUS_ROOT, id),
  AIOS_BUS_CERT: busCertificate(BUS_ROOT, { id, role }),
  AIOS_BUS_FLEET_KEY: busFleetKey(BUS_ROOT),
});

/** The operator's connection options (nats.js), for a test that looks at the bus directly. */
export const operatorAuth = { user: OPERATOR_ID, pass: busPassword(BUS_ROOT, OPERATOR_ID) };

/** A leaf device's link credential. */
export const leafOf = (device: string) => leafCredential(BUS_ROOT, device);

/** The hub's user for a leaf device's link, with the rights of the members it carries (`fleet`: every member the hub knows). */
export const leafUserOf = (device: string, members: BusMember[], fleet: BusMember[]): BusUser => leafBusUser(BUS_ROOT, device, members, fleet);

export const listenOn = async (): Promise<NatsListen> => ({ host: "127.0.0.1", client: await freePort(), monitor: await freePort(), leaf: await freePort() });

export const monitor = async (s: Server, path: string): Promise<Record<string, unknown>> =>
  (await (await fetch(`http://127.0.0.1:${s.listen.monitor}${path}`)).json()) as Record<string, unknown>;

/** Resolves once `leaf` has its link to the hub. */
export const leafLinked = (leaf: Server, timeoutMs = 15_000): Promise<unknown> =>
  waitFor("the leaf's link to the hub", async () => (await monitor(leaf, "/leafz")).leafnodes === 1, timeoutMs);

/** Writes the two files into `dir` (the secrets file private) and runs nats-server on them. */
export function natsServer(dir: string, listen: NatsListen, name: string, files: { main: string; secrets: string }): Server {
  writeFileSync(join(dir, "nats.conf"), files.main);
  writeFileSync(join(dir, NATS_SECRETS_FILE), files.secrets, { mode: 0o600 });
  let proc: ChildProcess | undefined;
  let out = "";
  return {
    url: `nats://127.0.0.1:${listen.client}`,
    listen,
    output: () => out,
    pid: () => proc?.pid,
    async start() {
      proc = spawn("nats-server", ["-c", join(dir, "nats.conf")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...NATS_SERVER_ENV } });
      stopOnExit(proc); // an interrupted bench or test leaves no server behind
      proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      await waitFor(`nats-server ${name} to be healthy`, async () => (await fetch(`http://127.0.0.1:${listen.monitor}/healthz`)).ok);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      await stopServer(p);
    },
  };
}

/** A nats-server run from the rendered main file and secrets file, listing `users`. */
export const renderedServer = (dir: string, listen: NatsListen, main: NatsOptions, role: NatsRole, users: BusUser[]): Server =>
  natsServer(dir, listen, main.serverName, { main: renderNatsConfig({ ...main, listen }), secrets: renderNatsSecrets(role, users, listen) });

export interface LinkedBus {
  /** The desktop's server, with the network's JetStream. */
  hub: Server;
  /** The laptop's server, a leaf of the hub through `link`. */
  leaf: Server;
  /** The network between the two devices: the leaf dials the hub's leaf port through it. */
  link: LinkProxy;
  stop(): Promise<void>;
}

/**
 * A hub and a leaf from the rendered configs, both listing every member's user, the leaf (the
 * laptop, with its own link credential, carrying `leafMembers`) linked to the hub through a proxy
 * that adds `delayMs` each way.
 */
export async function startLinkedBus(hubMembers: BusMember[], leafMembers: BusMember[], delayMs: number, dirs: { make: () => string }): Promise<LinkedBus> {
  const users = busUsers([...hubMembers, ...leafMembers]);
  const hubListen = await listenOn();
  const hubDir = dirs.make();
  const link = await startLinkProxy({ port: hubListen.leaf }, delayMs);
  // A hub tells its leaves where to dial again (leafnode_urls in its INFO, its own address by
  // default), and a leaf dials those too: advertised as the link, reconnects cross it as well.
  const credential = leafOf("laptop");
  const hubRole: NatsRole = { mode: "hub", leaves: [leafUserOf("laptop", leafMembers, [...hubMembers, ...leafMembers])], advertise: `127.0.0.1:${link.port}` };
  const hub = renderedServer(hubDir, hubListen, { mode: "hub", serverName: "desktop", storeDir: join(hubDir, "store") }, hubRole, users);
  await hub.start();
  const role: NatsRole = { mode: "leaf", hubHost: "127.0.0.1", hubLeafPort: link.port, credential };
  const leaf = renderedServer(dirs.make(), await listenOn(), { mode: "leaf", serverName: "laptop" }, role, users);
  await leaf.start();
  await leafLinked(leaf);
  return {
    hub,
    leaf,
    link,
    stop: async () => {
      await leaf.stop();
      await link.close();
      await hub.stop();
    },
  };
}
