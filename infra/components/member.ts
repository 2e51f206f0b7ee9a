// The app's containers: cells, discovery and organelles, one image, the role from AIOS_ROLE; or
// the organelle host, the organelles in one process (AIOS_ROLES, with each role's own settings
// scoped as AIOS_<ROLE>__<NAME>, see app/src/host.ts).
// Tokens reach them as files, never as environment values: from Vault through the container's
// AppRole (an init step writes them to a private tmpfs), or, on a device without Vault, as
// secret uploads.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { scopePrefix } from "../../app/src/host.ts";
import type { ServiceSpec } from "../plan.ts";
import { CELL_DRAIN_MS } from "../render/traefik.ts";
import { renderVaultLogin } from "../render/vault-login.ts";
import { APP_PROBE, dataVolume, serviceContainer } from "./container.ts";

export const APP_USER = "1000";
const RUN_DIR = "/run/aios";
const SECRETS_DIR = "/run/secrets";
const LOGIN_SCRIPT = "/opt/aios/vault-login.mjs";

export type MemberCredentials =
  | { kind: "files"; apiToken: pulumi.Output<string>; busToken: pulumi.Output<string> }
  | { kind: "vault"; vaultAddr: string; roleId: pulumi.Output<string>; secretId: pulumi.Output<string> };

export interface MemberArgs {
  spec: ServiceSpec;
  image: pulumi.Input<string>;
  device: string;
  /** The URL other members and devices use to reach a service (its AIOS_PUBLIC_URL). */
  publicUrl: (s: Omit<ServiceSpec, "waitSeconds">) => pulumi.Input<string>;
  natsUrl: string;
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
  if (c.kind === "files") {
    return {
      tokenFile: `${SECRETS_DIR}/aios-token`,
      busTokenFile: `${SECRETS_DIR}/nats-token`,
      uploads: [secretFile(`${SECRETS_DIR}/aios-token`, c.apiToken), secretFile(`${SECRETS_DIR}/nats-token`, c.busToken)],
    };
  }
  const tokenFile = `${RUN_DIR}/token`;
  const busTokenFile = `${RUN_DIR}/nats-token`;
  const roleIdFile = `${SECRETS_DIR}/vault-role-id`;
  const secretIdFile = `${SECRETS_DIR}/vault-secret-id`;
  const login = renderVaultLogin({ vaultAddr: c.vaultAddr, member: spec.name, roleIdFile, secretIdFile, tokenFile, busTokenFile });
  return {
    tokenFile,
    busTokenFile,
    uploads: [secretFile(roleIdFile, c.roleId), secretFile(secretIdFile, c.secretId), { file: LOGIN_SCRIPT, content: login }],
    // The login step runs before the app, under tini, from the image's WORKDIR.
    command: ["sh", "-c", `node ${LOGIN_SCRIPT} && exec node dist/main.js`],
    tmpfs: { [RUN_DIR]: `rw,noexec,nosuid,size=1m,uid=${APP_USER},mode=0700` },
  };
}

function memberEnv(args: MemberArgs, tokenFile: string, busTokenFile: string): pulumi.Input<string>[] {
  const { spec } = args;
  const pair = (k: string, v: pulumi.Input<string>): pulumi.Input<string> => pulumi.interpolate`${k}=${v}`;
  // No NODE_OPTIONS here: the image's own flags size V8's heap from the container's limit.
  const shared: Record<string, string> = {
    AIOS_DEVICE: args.device,
    AIOS_NATS_URLS: args.natsUrl,
    AIOS_DATA_DIR: spec.dataPath ?? "/data",
    AIOS_TOKEN_FILE: tokenFile,
    AIOS_NATS_TOKEN_FILE: busTokenFile,
    AIOS_TRUST_PROXY: args.trustProxy,
  };
  if (spec.hosts) {
    // each role's own port, URL and settings; its data directory is /data/<role> by default
    const scoped = spec.hosts.flatMap((h) => {
      const prefix = scopePrefix(h.role!);
      const own = Object.entries(h.env ?? {}).map(([k, v]) => `${prefix}${k.replace(/^AIOS_/, "")}=${v}`);
      return [`${prefix}PORT=${h.port}`, pair(`${prefix}PUBLIC_URL`, args.publicUrl(h)), ...own];
    });
    const roles = spec.hosts.map((h) => h.role).join(",");
    return [...Object.entries({ AIOS_ROLES: roles, ...shared }).map(([k, v]) => `${k}=${v}`), ...scoped];
  }
  const env: Record<string, string> = {
    AIOS_ROLE: spec.role ?? spec.kind,
    // a cell drains before it stops, so cells.<domain> stops sending to it first
    ...(spec.kind === "cell" ? { AIOS_CELL_ID: spec.name, AIOS_DRAIN_MS: String(CELL_DRAIN_MS) } : {}),
    AIOS_PORT: String(spec.port),
    ...shared,
    ...(spec.level !== undefined ? { AIOS_LEVEL: String(spec.level) } : {}),
    ...spec.env,
  };
  return [...Object.entries(env).map(([k, v]) => `${k}=${v}`), pair("AIOS_PUBLIC_URL", args.publicUrl(spec))];
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
        envs: memberEnv(args, wiring.tokenFile, wiring.busTokenFile),
        volume: dataVolume(args.spec.name, o),
        uploads: wiring.uploads,
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
