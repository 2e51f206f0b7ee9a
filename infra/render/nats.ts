// nats-server config for a device: the main file (no secrets) and an included secrets file
// (client token and leaf-node credentials), so only the latter is a secret upload.
import { NATS_CLIENT_PORT, NATS_LEAF_PORT, NATS_MONITOR_PORT } from "../plan.ts";

export const NATS_SECRETS_FILE = "secrets.conf";
export const LEAF_USER = "leaf";

export interface NatsOptions {
  serverName: string;
  storeDir: string;
  /** JetStream domain: each server keeps its own, so a leaf's store never clashes with the hub's. */
  domain: string;
}

const q = (s: string): string => JSON.stringify(s);

export function renderNatsConfig(opts: NatsOptions): string {
  return [
    `server_name: ${q(opts.serverName)}`,
    `listen: "0.0.0.0:${NATS_CLIENT_PORT}"`,
    `http: "0.0.0.0:${NATS_MONITOR_PORT}"`,
    "jetstream {",
    `  store_dir: ${q(opts.storeDir)}`,
    `  domain: ${q(opts.domain)}`,
    "}",
    `include ${q(`./${NATS_SECRETS_FILE}`)}`,
    "",
  ].join("\n");
}

export type NatsRole = { mode: "hub" } | { mode: "leaf"; hubHost: string; hubLeafPort: number };

/** The secrets file: client token, and leaf-node credentials (the hub's listener or the leaf's remote). */
export function renderNatsSecrets(role: NatsRole, busToken: string): string {
  const lines = ["authorization {", `  token: ${q(busToken)}`, "}"];
  if (role.mode === "hub") {
    lines.push(
      "leafnodes {",
      `  listen: "0.0.0.0:${NATS_LEAF_PORT}"`,
      "  authorization {",
      `    user: ${q(LEAF_USER)}`,
      `    password: ${q(busToken)}`,
      "  }",
      "}",
    );
  } else {
    const url = `nats-leaf://${LEAF_USER}:${encodeURIComponent(busToken)}@${role.hubHost}:${role.hubLeafPort}`;
    lines.push("leafnodes {", "  remotes: [", `    { url: ${q(url)} }`, "  ]", "}");
  }
  return `${lines.join("\n")}\n`;
}
