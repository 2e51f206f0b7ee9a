// The app's containers: cells, discovery and organelles, one image, the role from AIOS_ROLE; or
// the organelle host, the organelles in one process (AIOS_ROLES, with each role's own settings
// scoped as AIOS_<ROLE>__<NAME>, see app/src/host.ts).
// Tokens reach them as files, never as environment values: from Vault through the container's
// AppRole (an init step writes them to a private tmpfs), or, on a device without Vault, as
// secret uploads. The fleet's public key and each role's certificate (for signed bus payloads)
// are no secrets and come as environment values.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { scopePrefix } from "../../app/src/host.ts";
import type { Planned, ServiceSpec } from "../plan.ts";
import { CELL_DRAIN_MS } from "../render/traefik.ts";
import { renderVaultLogin } from "../render/vault-login.ts";
import { APP_PROBE, dataVolume, serviceContainer } from "./container.ts";

export const APP_USER = "1000";
const RUN_DIR = "/run/aios";
const SECRETS_DIR = "/run/secrets";
const ACCEPT_FILE = "/etc/aios/accepted-tokens";
const LOGIN_SCRIPT = "/opt/aios/vault-login.mjs";

export type MemberCredentials =
  /** busToken: a role's own bus password (never the fleet's root). */
  | { kind: "files"; apiToken: pulumi.Output<string>; busToken: (role: Planned) => pulumi.Output<string> }
  | { kind: "vault"; vaultAddr: string; roleId: pulumi.Output<string>; secretId: pulumi.Output<string> };

/**
 * The bus identities of a container: its one role's, or each hosted role's (the organelle host
 * runs four, each its own NATS user with its own password, as if it ran alone). `field` is
 * where Vault keeps the password, `file` where the container finds it.
 */
export function busIdentities(spec: Planned): { role: Planned; field: string; file: string }[] {
  if (!spec.hosts) return [{ role: spec, field: "bus", file: "nats-token" }];
  return spec.hosts.map((h) => ({ role: h, field: `bus-${h.role!}`, file: `nats-token-${h.role!}` }));
}

export interface MemberArgs {
  spec: ServiceSpec;
  image: pulumi.Input<string>;
  device: string;
  /** The URL other members and devices use to reach a service (its AIOS_PUBLIC_URL). */
  publicUrl: (s: Planned) => pulumi.Input<string>;
  natsUrl: string;
  /** A role's own bus user (its password is its bus token file). */
  natsUser: (role: Planned) => string;
  /** The fleet's public key (AIOS_BUS_FLEET_KEY) and a role's certificate (AIOS_BUS_CERT): no secrets. */
  busFleetKey: pulumi.Input<string>;
  busCert: (role: Planned) => pulumi.Input<string>;
  /** AIOS_ACCEPT_TOKENS_FILE: hashes of the other tokens this member takes (the operator's, other devices'). */
  acceptedTokens: pulumi.Input<string>;
  /** Traefik's network: clients' addresses come from its X-Forwarded-For (AIOS_TRUST_PROXY). */
  trustProxy: string;
  credentials: MemberCredentials;
}

/** Token files and how the container gets them. */
function credentialWiring(spec: ServiceSpec, c: MemberCredentials) {
  const secretFile = (file: string, content: pulumi.Output<string>) => ({
    file,
    content: pulumi.secret(content),
    permissions: "0400",
    owner: APP_USER,
  });
  const bus = busIdentities(spec);
  if (c.kind === "files") {
    const busTokenFiles = bus.map((b) => `${SECRETS_DIR}/${b.file}`);
    return {
      tokenFile: `${SECRETS_DIR}/aios-token`,
      busTokenFiles,
      uploads: [secretFile(`${SECRETS_DIR}/aios-token`, c.apiToken), ...bus.map((b, i) => secretFile(busTokenFiles[i]!, c.busToken(b.role)))],
    };
  }
  const tokenFile = `${RUN_DIR}/token`;
  const busTokenFiles = bus.map((b) => `${RUN_DIR}/${b.file}`);
  const roleIdFile = `${SECRETS_DIR}/vault-role-id`;
  const secretIdFile = `${SECRETS_DIR}/vault-secret-id`;
  const busFiles = bus.map((b, i) => ({ field: b.field, file: busTokenFiles[i]! }));
  const login = renderVaultLogin({ vaultAddr: c.vaultAddr, member: spec.name, roleIdFile, secretIdFile, tokenFile, busFiles });
  return {
    tokenFile,
    busTokenFiles,
    uploads: [secretFile(roleIdFile, c.roleId), secretFile(secretIdFile, c.secretId), { file: LOGIN_SCRIPT, content: login }],
    // The login step runs before the app, under tini, from the image's WORKDIR.
    command: ["sh", "-c", `node ${LOGIN_SCRIPT} && exec node dist/main.js`],
    tmpfs: { [RUN_DIR]: `rw,noexec,nosuid,size=1m,uid=${APP_USER},mode=0700` },
  };
}

function memberEnv(args: MemberArgs, tokenFile: string, busTokenFiles: string[]): pulumi.Input<string>[] {
  const { spec } = args;
  const pair = (k: string, v: pulumi.Input<string>): pulumi.Input<string> => pulumi.interpolate`${k}=${v}`;
  // No NODE_OPTIONS here: the image's own flags size V8's heap from the container's limit.
  const shared: Record<string, string> = {
    AIOS_DEVICE: args.device,
    AIOS_NATS_URLS: args.natsUrl,
    AIOS_DATA_DIR: spec.dataPath ?? "/data",
    AIOS_TOKEN_FILE: tokenFile,
    AIOS_ACCEPT_TOKENS_FILE: ACCEPT_FILE,
    AIOS_TRUST_PROXY: args.trustProxy,
  };
  const fleetKey = pair("AIOS_BUS_FLEET_KEY", args.busFleetKey);
  if (spec.hosts) {
    // each role's own port, URL, bus user, password and certificate, and settings; its data
    // directory is /data/<role> by default
    const scoped = spec.hosts.flatMap((h, i) => {
      const prefix = scopePrefix(h.role!);
      const own = Object.entries(h.env ?? {}).map(([k, v]) => `${prefix}${k.replace(/^AIOS_/, "")}=${v}`);
      const bus = [`${prefix}NATS_USER=${args.natsUser(h)}`, `${prefix}NATS_TOKEN_FILE=${busTokenFiles[i]!}`, pair(`${prefix}BUS_CERT`, args.busCert(h))];
      return [`${prefix}PORT=${h.port}`, pair(`${prefix}PUBLIC_URL`, args.publicUrl(h)), ...bus, ...own];
    });
    const roles = spec.hosts.map((h) => h.role).join(",");
    return [...Object.entries({ AIOS_ROLES: roles, ...shared }).map(([k, v]) => `${k}=${v}`), fleetKey, ...scoped];
  }
  const env: Record<string, string> = {
    AIOS_ROLE: spec.role ?? spec.kind,
    // a cell drains before it stops, so cells.<domain> stops sending to it first
    ...(spec.kind === "cell" ? { AIOS_CELL_ID: spec.name, AIOS_DRAIN_MS: String(CELL_DRAIN_MS) } : {}),
    AIOS_PORT: String(spec.port),
    ...shared,
    AIOS_NATS_USER: args.natsUser(spec),
    AIOS_NATS_TOKEN_FILE: busTokenFiles[0]!,
    ...(spec.level !== undefined ? { AIOS_LEVEL: String(spec.level) } : {}),
    ...spec.env,
  };
  return [
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    pair("AIOS_PUBLIC_URL", args.publicUrl(spec)),
    fleetKey,
    pair("AIOS_BUS_CERT", args.busCert(spec)),
  ];
}

/** One app container with its data volume; the concept (cell, discovery, organelle) is the type token. */
abstract class Member extends pulumi.ComponentResource {
  readonly container: docker.Container;

  constructor(type: string, name: string, args: MemberArgs, opts: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    const o = { parent: this };
    const wiring = credentialWiring(args.spec, args.credentials);
    this.container = serviceContainer(
      {
        spec: args.spec,
        image: args.image,
        healthTest: APP_PROBE,
        envs: memberEnv(args, wiring.tokenFile, wiring.busTokenFiles),
        volume: dataVolume(args.spec.name, o),
        uploads: [...wiring.uploads, { file: ACCEPT_FILE, content: args.acceptedTokens }],
        ...("command" in wiring ? { command: wiring.command, tmpfs: wiring.tmpfs } : {}),
      },
      o,
    );
    this.registerOutputs({});
  }
}

export class Cell extends Member {
  constructor(name: string, args: MemberArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:Cell", name, args, opts);
  }
}

export class Discovery extends Member {
  constructor(name: string, args: MemberArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:Discovery", name, args, opts);
  }
}

export class Organelle extends Member {
  constructor(name: string, args: MemberArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:Organelle", name, args, opts);
  }
}

/** The organelles in one container and one process; each role keeps its name as a network alias. */
export class OrganelleHost extends Member {
  constructor(name: string, args: MemberArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:OrganelleHost", name, args, opts);
  }
}
