// aios:infra:Droplet: the VPS itself. A droplet booted with rendered cloud-init, a reserved IP
// that survives a replacement, a wait for cloud-init to finish, and the Docker provider that
// reaches the droplet's engine over SSH only after that wait.
import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { renderCloudInit } from "../render/cloud-init.ts";

export interface DropletArgs {
  size: string;
  region: string;
  image: string;
  deployUser: string;
  sshPublicKey: string;
  swapMb: number;
  backups: "off" | "daily" | "weekly";
}

/** `cloud-init status --wait` exits 2 for "done, with recoverable errors" (e.g. deprecations) on newer releases. */
export const CLOUD_INIT_WAIT = "cloud-init status --wait >/dev/null; rc=$?; [ $rc -eq 0 ] || [ $rc -eq 2 ]";

/** Pure: ssh options pinning the droplet's host key (and ignoring stale known_hosts entries). */
export function pinnedSshOpts(address: string, hostPublicKey: string): string[] {
  const line = `${address} ${hostPublicKey.trim()}`;
  return [
    "-o", "StrictHostKeyChecking=yes",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", `KnownHostsCommand=/bin/echo ${line}`,
  ];
}

export class Droplet extends pulumi.ComponentResource {
  readonly dropletId: pulumi.Output<number>;
  /** The reserved (public, stable) IPv4 address. */
  readonly address: pulumi.Output<string>;
  /** Finishes when cloud-init has. */
  readonly ready: command.remote.Command;
  /** Docker on the droplet, over ssh://<deploy user>@<address>; depends on `ready`. */
  readonly provider: docker.Provider;
  /** The same daemon as a DOCKER_HOST value, for docker CLI steps run on this machine. */
  readonly dockerHost: pulumi.Output<string>;
  /**
   * The pinned host key in this machine's ~/.ssh/known_hosts (replacing a stale entry for the
   * address), so docker CLI steps (which take no ssh options) trust the droplet and nothing else.
   */
  readonly knownHost: command.local.Command;

  constructor(name: string, args: DropletArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:infra:Droplet", name, {}, opts);
    const child = { parent: this };

    const hostKey = new tls.PrivateKey(`${name}-host-key`, { algorithm: "ED25519" }, child);
    const sshKey = new digitalocean.SshKey(`${name}-deploy`, { name: `${name}-deploy`, publicKey: args.sshPublicKey }, child);
    const userData = pulumi.secret(
      pulumi.all([hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh]).apply(([privateOpenssh, publicOpenssh]) =>
        renderCloudInit({
          image: args.image,
          deployUser: args.deployUser,
          authorizedKeys: [args.sshPublicKey],
          swapMb: args.swapMb,
          hostKey: { privateOpenssh, publicOpenssh },
        }),
      ),
    );
    const droplet = new digitalocean.Droplet(
      name,
      {
        name,
        image: args.image,
        region: args.region,
        size: args.size,
        monitoring: true,
        sshKeys: [sshKey.fingerprint],
        userData,
        tags: ["aios"],
        backups: args.backups !== "off",
        ...(args.backups !== "off" ? { backupPolicy: { plan: args.backups, hour: 4, ...(args.backups === "weekly" ? { weekday: "SUN" } : {}) } } : {}),
      },
      child,
    );
    const reserved = new digitalocean.ReservedIp(`${name}-ip`, { region: args.region }, child);
    const assignment = new digitalocean.ReservedIpAssignment(
      `${name}-ip`,
      { dropletId: droplet.id.apply(Number), ipAddress: reserved.ipAddress },
      child,
    );

    this.dropletId = droplet.id.apply(Number);
    this.address = reserved.ipAddress;
    // The first dials fail while the droplet boots and cloud-init creates the user: retry them.
    this.ready = new command.remote.Command(
      `${name}-cloud-init`,
      {
        connection: {
          host: reserved.ipAddress,
          user: args.deployUser,
          hostKey: hostKey.publicKeyOpenssh,
          dialErrorLimit: 60,
          perDialTimeout: 15,
        },
        create: CLOUD_INIT_WAIT,
        triggers: [droplet.id],
      },
      { ...child, dependsOn: [assignment], customTimeouts: { create: "30m" } },
    );
    this.dockerHost = pulumi.interpolate`ssh://${args.deployUser}@${reserved.ipAddress}`;
    this.knownHost = new command.local.Command(
      `${name}-known-host`,
      {
        create: 'mkdir -p ~/.ssh && { ssh-keygen -R "$HOST" >/dev/null 2>&1 || true; } && printf \'%s %s\\n\' "$HOST" "$KEY" >>~/.ssh/known_hosts',
        delete: 'ssh-keygen -R "$HOST" >/dev/null 2>&1 || true',
        environment: { HOST: reserved.ipAddress, KEY: hostKey.publicKeyOpenssh.apply((k) => k.trim()) },
        triggers: [reserved.ipAddress, hostKey.publicKeyOpenssh],
      },
      { ...child, dependsOn: [this.ready] },
    );
    this.provider = new docker.Provider(
      `${name}-docker`,
      {
        host: this.dockerHost,
        sshOpts: pulumi.all([reserved.ipAddress, hostKey.publicKeyOpenssh]).apply(([ip, key]) => pinnedSshOpts(ip, key)),
      },
      { ...child, dependsOn: [this.ready] },
    );
    this.registerOutputs({ dropletId: this.dropletId, address: this.address });
  }
}
