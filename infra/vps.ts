// The VPS: a droplet, then the same device composition the desktop runs, on the droplet's Docker
// provider. What differs on the VPS is applied to the shared composition by one transformation:
// Traefik takes its certificates from Let's Encrypt, the hub's public leaf-node port needs TLS,
// and Traefik forwards nats.<domain> on 443 to the NATS client port (phones are NATS clients;
// the client port itself is never public). Cells advertise their Traefik routes, the only way in.
import * as digitalocean from "@pulumi/digitalocean";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Backup } from "./components/backup.ts";
import { Device, type DeviceOutputs } from "./components/device.ts";
import { Dns } from "./components/dns.ts";
import { Droplet } from "./components/droplet.ts";
import { Firewall } from "./components/firewall.ts";
import type { LocalCa } from "./components/tls.ts";
import { NATS_CLIENT_PORT, NETWORKS } from "./plan.ts";
import { NATS_SECRETS_FILE } from "./render/nats.ts";
import { TRAEFIK_FILES } from "./render/traefik.ts";
import { ACME_DIR, withAcmeResolver, withCertResolver, withClientTls, withLeafTls, withNatsRoute, withPublicLimits, type AcmeOptions, type PublicLimits } from "./render/vps-tls.ts";
import { HUB_HOST, type VpsConfig } from "./vps-config.ts";

const NATS_TLS = { certFile: "/etc/nats/tls/cert.pem", keyFile: "/etc/nats/tls/key.pem" } as const;
const DATA_TO_BACK_UP = ["vault", "nats", "grafana"] as const;

type Upload = docker.types.input.ContainerUpload;

/** Pure: where phones and tools reach the hub's bus: TLS first to Traefik, which forwards to NATS. */
export function vpsBusUrl(domain: string, httpsPort: number): string {
  return `tls://${HUB_HOST}.${domain}:${httpsPort}`;
}

/** Pure: the stack's `endpoints` plus the hub's leaf URL; every host here gets a DNS record. */
export function vpsEndpoints(device: Record<string, string>, domain: string, leafPort: number): Record<string, string> {
  return { ...device, [HUB_HOST]: `tls://${HUB_HOST}.${domain}:${leafPort}` };
}

export function endpointHosts(endpoints: Record<string, string>): string[] {
  return [...new Set(Object.values(endpoints).map((u) => new URL(u).hostname))].sort();
}

interface OverlayArgs {
  acme: AcmeOptions;
  publicLimits: PublicLimits;
  /** nats.<domain>: the TLS name phones dial on 443. */
  natsHost: string;
  letsEncryptVolume: pulumi.Input<string>;
  droplet: Droplet;
}

/**
 * The VPS overlay on the shared composition: rewrites the Traefik and NATS containers' rendered
 * files (pure functions in render/vps-tls.ts), gives Traefik a volume for its certificates, and
 * points the docker CLI step that unseals Vault (run on this machine) at the droplet.
 */
function vpsOverlay(args: OverlayArgs): pulumi.ResourceTransformation {
  let ca: LocalCa | undefined;
  // The CA is built inside the device before or after the NATS container; read it once both exist.
  const fromCa = (pick: (c: LocalCa) => pulumi.Output<string>): pulumi.Output<string> =>
    pulumi.output(Promise.resolve(true)).apply(() => {
      if (!ca) throw new Error("the device built no local CA; the hub's leaf TLS needs its certificate");
      return pick(ca);
    });
  const rewrite = (uploads: Upload[], file: string, f: (text: string) => string): Upload[] =>
    uploads.map((u) => (u.file === file ? { ...u, content: pulumi.output(u.content as pulumi.Input<string>).apply(f) } : u));

  return ({ type, props, opts, resource }) => {
    if (type === "aios:infra:LocalCa") ca = resource as LocalCa;
    if (type === "command:local:Command") {
      const env = { ...(props.environment as Record<string, pulumi.Input<string>> | undefined), DOCKER_HOST: args.droplet.dockerHost };
      const before = (opts.dependsOn === undefined ? [] : Array.isArray(opts.dependsOn) ? opts.dependsOn : [opts.dependsOn]) as pulumi.Resource[];
      return { props: { ...props, environment: env }, opts: { ...opts, dependsOn: [...before, args.droplet.knownHost] } };
    }
    if (type !== "docker:index/container:Container") return undefined;
    const uploads = (props.uploads ?? []) as Upload[];
    if (props.name === "aios-traefik") {
      const volumes = pulumi
        .all([props.volumes ?? [], args.letsEncryptVolume])
        .apply(([v, name]) => [...(v as object[]), { volumeName: name, containerPath: ACME_DIR }]);
      const dynamic = (t: string) =>
        withPublicLimits(withCertResolver(withNatsRoute(t, args.natsHost, `nats:${NATS_CLIENT_PORT}`)), args.publicLimits);
      const files = rewrite(rewrite(uploads, TRAEFIK_FILES.static, (t) => withAcmeResolver(t, args.acme)), TRAEFIK_FILES.dynamic, dynamic);
      return { props: { ...props, uploads: files, volumes }, opts };
    }
    if (props.name === "aios-nats") {
      const conf = rewrite(uploads, "/etc/nats/nats.conf", (t) => withClientTls(t, NATS_TLS));
      const files = [
        ...rewrite(conf, `/etc/nats/${NATS_SECRETS_FILE}`, (t) => withLeafTls(t, NATS_TLS)),
        { file: NATS_TLS.certFile, content: fromCa((c) => c.certPem) },
        { file: NATS_TLS.keyFile, content: pulumi.secret(fromCa((c) => c.keyPem)), permissions: "0600" },
      ];
      // Traefik (on the ingress network) forwards nats.<domain> to the client port.
      const networks = pulumi
        .output(props.networksAdvanced as pulumi.Input<docker.types.input.ContainerNetworksAdvanced[]>)
        .apply((n) => [...n, { name: NETWORKS.ingress, aliases: ["nats"] }]);
      return { props: { ...props, uploads: files, networksAdvanced: networks }, opts };
    }
    return undefined;
  };
}

/** The device's outputs, with `endpoints` on the real domain, and the droplet's own. */
export type VpsOutputs = DeviceOutputs & {
  address: pulumi.Output<string>;
  /** What the desktop and laptop set as their hub (bus.hub.host, bus.hub.leafPort, bus.hub.tls). */
  hubUrl: string;
  /** The CA the hub's leaf-port certificate is signed by (leaf nodes verify against it). */
  hubCaCertificate: pulumi.Output<string>;
};

export class Vps extends pulumi.ComponentResource {
  readonly droplet: Droplet;
  readonly device: Device;
  readonly outputs: VpsOutputs;

  constructor(name: string, args: { cfg: VpsConfig }, opts: pulumi.ComponentResourceOptions = {}) {
    super("aios:infra:Vps", name, {}, opts);
    const { cfg } = args;
    const creds = cfg.digitalocean;
    const doProvider = new digitalocean.Provider(
      "digitalocean",
      {
        token: pulumi.secret(creds.token),
        ...(creds.spacesAccessId ? { spacesAccessId: pulumi.secret(creds.spacesAccessId) } : {}),
        ...(creds.spacesSecretKey ? { spacesSecretKey: pulumi.secret(creds.spacesSecretKey) } : {}),
      },
      { parent: this },
    );
    const onDo = { parent: this, providers: [doProvider] };
    this.droplet = new Droplet(name, { ...cfg.droplet, swapMb: cfg.swapMb }, onDo);
    new Firewall(`${name}-firewall`, { dropletId: this.droplet.dropletId, sshAllowedCidrs: cfg.droplet.sshAllowedCidrs, leafPort: cfg.bus.leafPort }, onDo);

    const onDroplet = { parent: this, provider: this.droplet.provider };
    const publicHost = `${HUB_HOST}.${cfg.domain}`;
    const letsEncrypt = new docker.Volume("letsencrypt", { name: "aios-letsencrypt" }, onDroplet);
    this.device = new Device(
      cfg.device,
      {
        cfg,
        provider: this.droplet.provider,
        publicHost,
        publicUrls: "routes",
        clientBus: { url: vpsBusUrl(cfg.domain, cfg.ingress.httpsPort), tlsFirst: true },
        dockerHost: this.droplet.dockerHost,
      },
      {
        parent: this,
        transformations: [vpsOverlay({ acme: cfg.letsEncrypt, publicLimits: cfg.publicLimits, natsHost: publicHost, letsEncryptVolume: letsEncrypt.name, droplet: this.droplet })],
      },
    );

    const endpoints = vpsEndpoints(this.device.outputs.endpoints, cfg.domain, cfg.bus.leafPort);
    new Dns(`${name}-dns`, { zone: cfg.zone, hosts: endpointHosts(endpoints), address: this.droplet.address, ttl: cfg.dns.ttl }, onDo);

    const backup = cfg.backup;
    if (backup.mode === "spaces" && backup.bucket && backup.region) {
      const sources = DATA_TO_BACK_UP.flatMap((n) => {
        const container = this.device.containers[n];
        return container ? [{ name: n, volume: container.volumes.apply((v) => v?.[0]?.volumeName ?? `aios-${n}-data`) }] : [];
      });
      new Backup(
        `${name}-backup`,
        { dockerProvider: this.droplet.provider, sources, bucket: backup.bucket, region: backup.region, schedule: backup.schedule, keepDays: backup.keepDays },
        onDo,
      );
    }

    const d = this.device.outputs;
    this.outputs = { ...d, endpoints, address: this.droplet.address, hubUrl: endpoints[HUB_HOST]!, hubCaCertificate: d.caCertificate };
    this.registerOutputs({ address: this.outputs.address, endpoints, hubUrl: this.outputs.hubUrl });
  }
}

/** Builds the vps stack; the tests call this under mocks. */
export function buildVpsStack(cfg: VpsConfig, opts?: pulumi.ComponentResourceOptions): Vps {
  return new Vps(cfg.device, { cfg }, opts);
}
