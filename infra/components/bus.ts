// The device's NATS server (the hub, with JetStream on a volume; or a leaf of the hub, with no
// JetStream and no volume: its clients use the hub's) and its Prometheus exporter. Every member's
// user (with its subject permissions) and the leaf credentials (on the hub, each leaf device's
// user with the rights of what it runs) sit in an included file uploaded as a secret. A leaf of a
// TLS hub (the VPS) gets the hub's CA certificate as a file next to its config.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NATS_MONITOR_PORT, type ServiceSpec } from "../plan.ts";
import { NATS_SECRETS_FILE, NATS_SERVER_ENV, renderNatsConfig, renderNatsSecrets, type NatsRole } from "../render/nats.ts";
import { busUser, leafBusUser, leafCredential, leafDeviceMembers, type BusMember, type LeafDevice } from "../identities.ts";
import { OPERATOR_ID } from "../bus-users.ts";
import { dataVolume, serviceContainer, wgetProbe } from "./container.ts";
import { pulled } from "./images.ts";

export interface BusArgs {
  server: ServiceSpec;
  exporter: ServiceSpec;
  device: string;
  /** The hub this device is a leaf of; unset, this device is the hub. */
  hub?: { host: string; leafPort: number; tls: boolean; caCertificate?: string | undefined } | undefined;
  /** The fleet's bus root secret: every user's password is derived from it (infra/identities.ts). */
  busToken: pulumi.Output<string>;
  /** The members this server takes as clients (besides the operator): its device's, and phones'. */
  members: BusMember[];
  /** Hub only: the devices whose leaf servers may join it, with what each runs; a device not listed is refused. */
  leaves: LeafDevice[];
}

const CONF_DIR = "/etc/nats";
export const HUB_CA_FILE = `${CONF_DIR}/tls/hub-ca.pem`;

export class Bus extends pulumi.ComponentResource {
  readonly server: docker.Container;
  readonly exporter: docker.Container;

  constructor(name: string, args: BusArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:Bus", name, {}, opts);
    const o = { parent: this };
    const leafOf = args.hub;
    const hub = !leafOf;
    const caCertificate = leafOf?.tls ? leafOf.caCertificate : undefined;
    // each leaf link carries what its device's members may do; cells answer the fleet's requesters
    const leafMembers = args.leaves.map((d) => ({ name: d.name, members: leafDeviceMembers(d) }));
    const fleet = [...args.members, ...leafMembers.flatMap((l) => l.members)];
    const role = (root: string): NatsRole =>
      leafOf
        ? {
            mode: "leaf",
            hubHost: leafOf.host,
            hubLeafPort: leafOf.leafPort,
            ...(leafOf.tls ? { tls: caCertificate ? { caFile: HUB_CA_FILE } : {} } : {}),
            credential: leafCredential(root, args.device),
          }
        : { mode: "hub", leaves: leafMembers.map((l) => leafBusUser(root, l.name, l.members, fleet)) };
    const users = (root: string) => [{ id: OPERATOR_ID, role: "operator" as const }, ...args.members].map((m) => busUser(root, m));
    const conf = renderNatsConfig(
      hub ? { mode: "hub", serverName: args.device, storeDir: args.server.dataPath ?? "/data" } : { mode: "leaf", serverName: args.device },
    );
    this.server = serviceContainer(
      {
        spec: args.server,
        image: pulled("nats", o),
        command: ["nats-server", "-c", `${CONF_DIR}/nats.conf`],
        envs: Object.entries(NATS_SERVER_ENV).map(([k, v]) => `${k}=${v}`),
        healthTest: wgetProbe(NATS_MONITOR_PORT, "/healthz"),
        ...(hub ? { volume: dataVolume(args.server.name, o) } : {}),
        uploads: [
          { file: `${CONF_DIR}/nats.conf`, content: conf },
          {
            file: `${CONF_DIR}/${NATS_SECRETS_FILE}`,
            content: pulumi.secret(args.busToken.apply((t) => renderNatsSecrets(role(t), users(t)))),
            permissions: "0600",
          },
          ...(caCertificate ? [{ file: HUB_CA_FILE, content: caCertificate }] : []),
        ],
      },
      o,
    );
    this.exporter = serviceContainer(
      {
        spec: args.exporter,
        image: pulled("nats-exporter", o),
        command: ["-port", String(args.exporter.port), "-varz", "-connz", "-jsz=all", "-leafz", `http://${args.server.name}:${NATS_MONITOR_PORT}`],
        // The exporter image is FROM scratch (no shell, no wget): the probe runs its own binary.
        healthTest: ["/prometheus-nats-exporter", "-version"],
      },
      { ...o, dependsOn: [this.server] },
    );
    this.registerOutputs({});
  }
}
