// Each member's and each device's own credentials, derived from the fleet's root secrets.
//
// The stacks of the Docker devices (desktop, laptop, vps) hold the root secrets (aios:busToken,
// aios:apiToken), as before; from them every stack derives the same per-member bus password
// and per-device API token (HMAC-SHA256 of a label), with no secret to copy between stacks.
// A member, and the phone, receives only its own derived credentials, never a root: a
// credential taken from a member opens what that member may do and nothing more, and a server
// that no longer lists a user (its device was removed from the config) refuses it.
import { createHash, createHmac } from "node:crypto";
import { busPermissions, leafPermissions, type BusRole } from "./render/nats-permissions.ts";
import type { OrganelleRole } from "./services.ts";
import { leafUser } from "./bus-users.ts";
import { fleetPublicKey, memberCertificate } from "../app/src/lib/signing.ts";
import type { BusUser, Credential } from "./render/nats.ts";

/** A credential derived from a root secret for one label (url-safe, 43 characters). */
export const derive = (root: string, label: string): string => createHmac("sha256", root).update(label).digest("base64url");

/** A bus member: its id (the app's AIOS_CELL_ID, also its NATS user) and its role. */
export interface BusMember {
  id: string;
  role: BusRole;
}

export const busPassword = (busRoot: string, memberId: string): string => derive(busRoot, `nats-user:${memberId}`);

export const busUser = (busRoot: string, m: BusMember): BusUser => ({
  user: m.id,
  password: busPassword(busRoot, m.id),
  permissions: busPermissions(m.id, m.role),
});

/** The fleet's public key (AIOS_BUS_FLEET_KEY): every member checks signatures with it. */
export const busFleetKey = (busRoot: string): string => fleetPublicKey(busRoot);

/**
 * A member's certificate (AIOS_BUS_CERT): the fleet key's signature of its id, role and the
 * public key its bus password gives (app/src/lib/signing.ts). Not a secret.
 */
export const busCertificate = (busRoot: string, m: BusMember): string => memberCertificate(busRoot, m.id, m.role, busPassword(busRoot, m.id));

/** The credential a device's leaf server signs in to the hub with. */
export const leafCredential = (busRoot: string, device: string): Credential => ({
  user: leafUser(device),
  password: derive(busRoot, `nats-leaf:${device}`),
});

/** What the hub knows a leaf device runs (its config's remoteDevices or bus.leafDevices entry). */
export interface LeafDevice {
  name: string;
  cells: string[];
  organelles: OrganelleRole[];
  discovery: boolean;
  /** The cell of the phone this device's stack configures (it joins through this device's leaf). */
  phoneCell?: string | undefined;
}

/** The members whose traffic a leaf device's link carries into the hub. */
export function leafDeviceMembers(d: LeafDevice): BusMember[] {
  const services = [
    ...d.cells.map((id) => ({ name: id, kind: "cell", role: "cell" as const })),
    ...d.organelles.map((role) => ({ name: role, kind: "organelle", role })),
    ...(d.discovery ? [{ name: "discovery", kind: "discovery", role: "discovery" as const }] : []),
  ];
  return deviceBusMembers(d.name, services, [d.phoneCell]);
}

/** The hub's user for one leaf device's link: its credential, and what its members may send and receive. */
export const leafBusUser = (busRoot: string, device: string, members: BusMember[], fleet: BusMember[]): BusUser => ({
  ...leafCredential(busRoot, device),
  permissions: leafPermissions(members, fleet),
});

/** The API token of one device: every member on it accepts it, no member elsewhere does. */
export const deviceApiToken = (apiRoot: string, device: string): string => derive(apiRoot, `api-device:${device}`);

/** The operator's API token (fleet commands): every member accepts it. */
export const operatorApiToken = (apiRoot: string): string => derive(apiRoot, "api-operator");

/** A member's id on the bus: a cell's own id, else the app's default `<role>-<device>`. */
export const memberId = (s: { name: string; kind: string; role?: string | undefined }, device: string): string =>
  s.kind === "cell" ? s.name : `${s.role ?? s.kind}-${device}`;

/** A service's bus member: its id, and its role (the app's AIOS_ROLE, which its certificate names). */
export function busMember(s: { name: string; kind: string; role?: BusRole | undefined }, device: string): BusMember {
  if (!s.role) throw new Error(`${s.name} is no bus member (it has no role)`);
  return { id: memberId(s, device), role: s.role };
}

/**
 * The members a device's server takes as clients: the device's own, and phones' cells (the
 * phone its stack configures dials this bus first; a hub's leaf devices' phones dial it second).
 */
export function deviceBusMembers(
  device: string,
  services: { name: string; kind: string; role?: BusRole | undefined }[],
  phoneCells: (string | undefined)[],
): BusMember[] {
  const own = services.filter((s) => s.role).map((s) => busMember(s, device));
  const phones = [...new Set(phoneCells.filter((c) => c !== undefined))].filter((c) => !own.some((m) => m.id === c));
  return [...own, ...phones.map((id) => ({ id, role: "cell" as const }))];
}

/** How a member keeps a token it accepts without holding it (AIOS_ACCEPT_TOKENS_FILE lines). */
export const tokenHash = (token: string): string => `sha256:${createHash("sha256").update(token).digest("hex")}`;

/** The accepted-tokens file of a member: the operator's token and the given devices' tokens, hashed. */
export const acceptedTokenHashes = (apiRoot: string, devices: string[]): string =>
  [operatorApiToken(apiRoot), ...devices.map((d) => deviceApiToken(apiRoot, d))].map((t) => `${tokenHash(t)}\n`).join("");
