// The identities `npm run local` needs, made afresh for each session: each member its own bus
// user (its password in a file of its own) and its certificate for signed bus payloads, each
// device its own API token, the operator's token and bus password, and the bus config listing every user with its subject permissions, as a
// stack renders them. The roots they are derived from live only in this process's memory; every
// file is mode 0600 in a 0700 directory, and nothing secret is printed.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acceptedTokenHashes, busCertificate, busFleetKey, busPassword, busUser, deviceApiToken, operatorApiToken, type BusMember } from "../../infra/identities.ts";
import { OPERATOR_ID } from "../../infra/bus-users.ts";
import type { BusRole } from "../../infra/render/nats-permissions.ts";
import { NATS_SECRETS_FILE, renderNatsConfig, renderNatsSecrets, type NatsListen } from "../../infra/render/nats.ts";

export interface Identity {
  /** The member's files: its bus password, its device's token, the digests of the tokens it also takes. */
  busPasswordFile: string;
  tokenFile: string;
  acceptFile: string;
  /** Its certificate (AIOS_BUS_CERT): no secret, so given as an environment value. */
  busCert: string;
}

export interface Identities {
  /** The bus config (its secrets include sits beside it). */
  natsConfig: string;
  /** The operator's API token, which every member takes. */
  operatorTokenFile: string;
  operatorBusPasswordFile: string;
  /** The fleet's public key (AIOS_BUS_FLEET_KEY), every member's. */
  fleetKey: string;
  of(member: string): Identity;
}

const secretFile = (path: string, text: string): string => {
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};

export function makeIdentities(
  dir: string,
  members: { name: string; role: string; device: string }[],
  nats: { listen: NatsListen; storeDir: string },
): Identities {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const apiRoot = randomBytes(32).toString("base64url");
  const busRoot = randomBytes(32).toString("base64url");
  const devices = [...new Set(members.map((m) => m.device))];
  const busMembers: BusMember[] = members.map((m) => ({ id: m.name, role: m.role as BusRole }));
  const users = [{ id: OPERATOR_ID, role: "operator" as const }, ...busMembers].map((m) => busUser(busRoot, m));

  const natsConfig = secretFile(join(dir, "nats.conf"), renderNatsConfig({ mode: "hub", serverName: "local", storeDir: nats.storeDir, listen: nats.listen }));
  secretFile(join(dir, NATS_SECRETS_FILE), renderNatsSecrets({ mode: "hub", leaves: [] }, users, nats.listen));
  for (const d of devices) secretFile(join(dir, `token-${d}`), `${deviceApiToken(apiRoot, d)}\n`);
  for (const d of devices) {
    // as the stacks wire it: the operator's token and the other devices' (not the phone's, which opens only its own cell)
    const callers = devices.filter((o) => o !== d && o !== "phone");
    secretFile(join(dir, `accepted-${d}`), acceptedTokenHashes(apiRoot, callers));
  }
  for (const m of members) secretFile(join(dir, `bus-${m.name}`), `${busPassword(busRoot, m.name)}\n`);
  const device = new Map(members.map((m) => [m.name, m.device]));
  const certs = new Map(busMembers.map((m) => [m.id, busCertificate(busRoot, m)]));
  return {
    natsConfig,
    operatorTokenFile: secretFile(join(dir, "operator-token"), `${operatorApiToken(apiRoot)}\n`),
    operatorBusPasswordFile: secretFile(join(dir, "operator-bus"), `${busPassword(busRoot, OPERATOR_ID)}\n`),
    fleetKey: busFleetKey(busRoot),
    of: (member) => ({
      busPasswordFile: join(dir, `bus-${member}`),
      tokenFile: join(dir, `token-${device.get(member)}`),
      acceptFile: join(dir, `accepted-${device.get(member)}`),
      busCert: certs.get(member)!,
    }),
  };
}
