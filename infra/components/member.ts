// The app's containers: cells, discovery and organelles, one image, the role from AIOS_ROLE.
// Tokens reach them as files, never as environment values: from Vault through the container's
// AppRole (an init step writes them to a private tmpfs), or, on a device without Vault, as
// secret uploads.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSpec } from "../plan.ts";
import { renderVaultLogin } from "../render/vault-login.ts";
import { APP_PROBE, dataVolume, serviceContainer } from "./container.ts";

export const APP_USER = "1000";
const RUN_DIR = "/run/aios";
const SECRETS_DIR = "/run/secrets";
const ACCEPT_FILE = "/etc/aios/accepted-tokens";
const LOGIN_SCRIPT = "/opt/aios/vault-login.mjs";

export type MemberCredentials =
  /** busToken: the member's own bus password (never the fleet's root). */
  | { kind: "files"; apiToken: pulumi.Output<string>; busToken: pulumi.Output<string> }
  | { kind: "vault"; vaultAddr: string; roleId: pulumi.Output<string>; secretId: pulumi.Output<string> };

export interface MemberArgs {
  spec: ServiceSpec;
  image: pulumi.Input<string>;
  device: string;
  /** The URL other members and devices use to reach this one (AIOS_PUBLIC_URL). */
  publicUrl: pulumi.Input<string>;
  natsUrl: string;
  /** The member's own bus user (its password is the bus token file). */
  natsUser: string;
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
  // No NODE_OPTIONS here: the image's own flags size V8's heap from the container's limit.
  const env: Record<string, string> = {
    AIOS_ROLE: spec.role ?? spec.kind,
    ...(spec.kind === "cell" ? { AIOS_CELL_ID: spec.name } : {}),
    AIOS_DEVICE: args.device,
    AIOS_PORT: String(spec.port),
    AIOS_NATS_URLS: args.natsUrl,
    AIOS_DATA_DIR: spec.dataPath ?? "/data",
    AIOS_TOKEN_FILE: tokenFile,
    AIOS_ACCEPT_TOKENS_FILE: ACCEPT_FILE,
    AIOS_NATS_USER: args.natsUser,
    AIOS_NATS_TOKEN_FILE: busTokenFile,
    AIOS_TRUST_PROXY: args.trustProxy,
    ...(spec.level !== undefined ? { AIOS_LEVEL: String(spec.level) } : {}),
    ...spec.env,
  };
  const publicUrl = pulumi.interpolate`AIOS_PUBLIC_URL=${args.publicUrl}`;
  return [...Object.entries(env).map(([k, v]) => `${k}=${v}`), publicUrl];
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
