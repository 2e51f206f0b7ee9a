// One device: everything its config says it runs, on the Docker daemon the given provider talks
// to. The desktop and laptop stacks pass a local or ssh:// provider; a droplet is one more
// place to run the same composition (its stack passes the droplet's provider).
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { durationSeconds, leafDevices, type DeviceConfigBase, type LanDnsConfig } from "../config.ts";
import { acceptedTokenHashes, busCertificate, busFleetKey, busMember, busPassword, deviceApiToken, deviceBusMembers, memberId, operatorApiToken } from "../identities.ts";
import { OPERATOR_ID } from "../bus-users.ts";
import { lanNames, renderHostsEntries } from "../lan-names.ts";
import { cellBackends, containerSpecs, endpoints, NATS_CLIENT_PORT, planServices, serviceUrl, type Planned, type ServiceSpec } from "../plan.ts";
import { renderTermuxBootstrap } from "../render/bootstrap.ts";
import type { ServiceKind } from "../services.ts";
import type { ReleaseImages } from "../render/release.ts";
import { AppImage } from "./app-image.ts";
import { Bus } from "./bus.ts";
import { Ingress } from "./ingress.ts";
import { containerName } from "./container.ts";
import { LanDns, lanDnsSpec } from "./lan-dns.ts";
import { busIdentities, Cell, Discovery, Organelle, OrganelleHost, type MemberCredentials } from "./member.ts";
import { Networks } from "./networks.ts";
import { Release } from "./release.ts";
import { Observability } from "./observability.ts";
import { LocalCa } from "./tls.ts";
import { Vault } from "./vault.ts";

const MEMBER_KINDS: Partial<Record<ServiceKind, typeof Cell>> = {
  cell: Cell,
  discovery: Discovery,
  organelle: Organelle,
  "organelle-host": OrganelleHost,
};

/** How clients outside the device (phones, tools) reach its bus. */
export interface ClientBus {
  url: pulumi.Input<string>;
  /** TLS before the NATS protocol (through a TLS-terminating proxy such as Traefik). */
  tlsFirst: boolean;
}

export interface DeviceArgs {
  cfg: DeviceConfigBase;
  provider: docker.Provider;
  /** The address other devices and phones dial for this device (its LAN address, or a droplet's IP). */
  publicHost: pulumi.Input<string>;
  /**
   * What app members advertise as their URL (AIOS_PUBLIC_URL): "ports", their published port on
   * publicHost (a LAN device); "routes", their Traefik host route https://<name>.<domain> (a
   * device whose only open ports are Traefik's, like the VPS). Default "ports".
   */
  publicUrls?: "ports" | "routes";
  /** Default: plain NATS on publicHost's client port. */
  clientBus?: ClientBus;
  /** DOCKER_HOST of the provider's daemon, for commands run against it. Default: aios:docker.host (unset: local). */
  dockerHost?: pulumi.Input<string>;
  /**
   * A device on a LAN (the desktop and laptop stacks): its names go out as `hostsEntries`, and
   * with `dns` it runs the LAN's DNS server. Unset on the VPS, whose names are public DNS records.
   */
  lan?: { dns?: LanDnsConfig | undefined };
}

/** A host port the device publishes: what a firewall must let in. */
export interface PublishedPort {
  service: string;
  port: number;
  protocol: "tcp" | "udp";
}

export interface DeviceOutputs {
  endpoints: Record<string, string>;
  caCertificate: pulumi.Output<string>;
  busUrl: pulumi.Output<string>;
  grafanaUrl?: string;
  termuxBootstrap?: pulumi.Output<string>;
  vaultUnsealKey?: pulumi.Output<string>;
  vaultRootToken?: pulumi.Output<string>;
  dashboardPassword: pulumi.Output<string>;
  grafanaAdminPassword?: pulumi.Output<string>;
  /** The fleet commands' API token (every member takes it) and bus password (user `operator`). */
  operatorToken: pulumi.Output<string>;
  operatorBusPassword: pulumi.Output<string>;
  /** The fleet's public key (AIOS_BUS_FLEET_KEY), no secret: what `npm run fleet` checks presence records with. */
  busFleetKey: pulumi.Output<string>;
  /** LAN devices: `<address> <name>` lines for machines that cannot use the LAN DNS server. */
  hostsEntries?: string[];
  publishedPorts: PublishedPort[];
  /** The app images kept on the device by the last release (what `./aios rollback` deploys). */
  appImages?: pulumi.Output<ReleaseImages>;
  /** Where the containers run and their names: what `npm run drift` checks the health of. */
  docker: pulumi.Output<{ host: string; containers: string[] }>;
}

export class Device extends pulumi.ComponentResource {
  readonly services: ServiceSpec[];
  readonly containers: Record<string, docker.Container> = {};
  readonly outputs: DeviceOutputs;

  constructor(name: string, args: DeviceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("aios:infra:Device", name, {}, opts);
    const { cfg } = args;
    const apiToken = pulumi.secret(cfg.apiToken);
    const busToken = pulumi.secret(cfg.busToken);
    const services = planServices(cfg);
    this.services = services;
    const spec = (n: string) => services.find((s) => s.name === n);
    const must = (n: string) => {
      const s = spec(n);
      if (!s) throw new Error(`device plan has no ${n}`);
      return s;
    };

    const networks = new Networks("networks", cfg.networks, { parent: this, provider: args.provider });
    // Every container waits for the networks it joins.
    const o: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions = {
      parent: this,
      provider: args.provider,
      dependsOn: Object.values(networks.networks),
    };
    const ca = new LocalCa("tls", { domain: cfg.domain }, { parent: this });

    const leaves = leafDevices(cfg);
    const bus = new Bus(
      "bus",
      {
        server: must("nats"),
        exporter: must("nats-exporter"),
        device: cfg.device,
        hub: cfg.bus.mode === "leaf" ? cfg.bus.hub : undefined,
        busToken,
        members: deviceBusMembers(cfg.device, services, [cfg.phone?.cell, ...leaves.map((d) => d.phoneCell)]),
        leaves,
      },
      o,
    );
    this.containers.nats = bus.server;
    this.containers["nats-exporter"] = bus.exporter;

    // app containers: cells, discovery, organelles, or the organelle host that runs them
    const members = containerSpecs(services).filter((s) => s.role || s.hosts);
    // Every member of this device holds the device's API token, and each role its own bus
    // password (the organelle host one per hosted role); never a root.
    const deviceToken = pulumi.secret(apiToken.apply((root) => deviceApiToken(root, cfg.device)));
    const ownBusPassword = (role: Planned) => pulumi.secret(busToken.apply((root) => busPassword(root, memberId(role, cfg.device))));
    // The fleet's public key and each role's certificate come from the bus root, but neither
    // gives it away, nor any password: a public key and a signature over public text (see
    // app/src/lib/signing.ts) let a holder check signatures, not make them. So they leave the
    // secret on purpose: one secret entry would make each container's whole env secret.
    const fleetKey = pulumi.unsecret(busToken.apply(busFleetKey));
    const ownBusCert = (role: Planned) => pulumi.unsecret(busToken.apply((root) => busCertificate(root, busMember(role, cfg.device))));
    const vaultSpec = spec("vault");
    const vault = vaultSpec
      ? new Vault(
          "vault",
          {
            spec: vaultSpec,
            members: members.map((m) => ({
              name: m.name,
              api: deviceToken,
              bus: busIdentities(m).map((b) => ({ field: b.field, password: ownBusPassword(b.role) })),
            })),
            dockerHost: cfg.docker.host,
          },
          o,
        )
      : undefined;
    if (vault) this.containers.vault = vault.container;

    const image = new AppImage(
      "app-image",
      { name: cfg.image.name, nodeImage: cfg.image.nodeImage, deploy: cfg.image.deploy },
      { parent: this, provider: args.provider },
    );
    const publicHost = pulumi.output(args.publicHost);
    const publicUrl = (m: Planned): pulumi.Input<string> =>
      args.publicUrls === "routes"
        ? serviceUrl(cfg, m.name)
        : pulumi.interpolate`http://${publicHost}:${m.publish[0]?.external ?? m.port}`;
    // Tokens the members take besides their own: the operator's, and those of the other devices
    // this stack lists (their consciousness-sync evolves cells here). Not the phone's: its token
    // opens only its own cell. Hashes only, so the file is no secret.
    const acceptedTokens = apiToken.apply((root) => acceptedTokenHashes(root, cfg.remoteDevices.map((d) => d.name)));
    const clientBus = args.clientBus ?? { url: pulumi.interpolate`nats://${publicHost}:${cfg.bus.clientPort}`, tlsFirst: false };
    // App members are replaced one at a time, cells first in config order: each waits for the one
    // before it to be healthy again, so the cells.<domain> load balancer always has a cell left,
    // and a member that never gets healthy stops the update with every member after it untouched.
    let previousMember: pulumi.Resource | undefined;
    const appMembers: pulumi.Resource[] = [];
    for (const m of members) {
      const credentials: MemberCredentials = vault
        ? {
            kind: "vault",
            vaultAddr: vault.address,
            roleId: vault.init.apply((r) => r.approles[m.name]!.roleId),
            secretId: vault.init.apply((r) => r.approles[m.name]!.secretId),
          }
        : { kind: "files", apiToken: deviceToken, busToken: ownBusPassword };
      const Kind = MEMBER_KINDS[m.kind];
      if (!Kind) throw new Error(`device plan: ${m.name} is no app service`);
      const member = new Kind(
        m.name,
        {
          spec: m,
          image: image.ref,
          device: cfg.device,
          publicUrl,
          natsUrl: `nats://nats:${NATS_CLIENT_PORT}`,
          natsUser: (role) => memberId(role, cfg.device),
          busFleetKey: fleetKey,
          busCert: ownBusCert,
          acceptedTokens,
          trustProxy: cfg.networks.ingressSubnet,
          credentials,
        },
        { ...o, dependsOn: [...Object.values(networks.networks), bus.server, ...(vault ? [vault] : []), ...(previousMember ? [previousMember] : [])] },
      );
      previousMember = member;
      appMembers.push(member);
      this.containers[m.name] = member.container;
    }
    // The image is kept as good once every app member runs healthy on it.
    const dockerHost = pulumi.output(args.dockerHost ?? cfg.docker.host ?? "");
    const release = appMembers.length
      ? new Release("release", { image: image.ref, repository: cfg.image.name, dockerHost }, { parent: this, dependsOn: appMembers })
      : undefined;

    const ingress = new Ingress(
      "ingress",
      {
        spec: must("traefik"),
        domain: cfg.domain,
        httpsPort: cfg.ingress.httpsPort,
        services,
        cellBackends: cellBackends(cfg),
        dashboardUser: cfg.ingress.dashboardUser,
        ca,
      },
      o,
    );
    this.containers.traefik = ingress.container;

    const prometheus = spec("prometheus");
    let grafanaAdminPassword: pulumi.Output<string> | undefined;
    if (prometheus) {
      const obs = new Observability("observability", { cfg, prometheus, alertmanager: spec("alertmanager"), grafana: spec("grafana") }, o);
      Object.assign(this.containers, obs.containers);
      grafanaAdminPassword = obs.grafanaAdminPassword;
    }

    const lan = args.lan;
    const names = lan ? lanNames(cfg, lan.dns?.hosts ?? []) : [];
    let dnsSpec: ServiceSpec | undefined;
    if (lan?.dns) {
      const dnsArgs = { dns: lan.dns, domain: cfg.domain, lanAddress: cfg.lanAddress, names, waitSeconds: durationSeconds(cfg.rollout.healthTimeout) };
      dnsSpec = lanDnsSpec(dnsArgs);
      this.containers.dns = new LanDns("dns", dnsArgs, o).container;
    }

    this.outputs = {
      endpoints: endpoints(cfg),
      ...(lan ? { hostsEntries: renderHostsEntries(names) } : {}),
      publishedPorts: [...services, ...(dnsSpec ? [dnsSpec] : [])].flatMap((s) =>
        s.publish.map((p) => ({ service: s.name, port: p.external, protocol: p.protocol ?? "tcp" })),
      ),
      caCertificate: ca.caCertPem,
      busUrl: pulumi.output(clientBus.url),
      ...(spec("grafana") ? { grafanaUrl: serviceUrl(cfg, "grafana") } : {}),
      ...(cfg.phone ? { termuxBootstrap: termuxBootstrap(cfg, clientBus, apiToken, busToken) } : {}),
      ...(vault
        ? { vaultUnsealKey: vault.init.apply((r) => r.unsealKey), vaultRootToken: vault.init.apply((r) => r.rootToken) }
        : {}),
      dashboardPassword: ingress.dashboardPassword,
      ...(release ? { appImages: release.images } : {}),
      docker: dockerHost.apply((host) => ({ host, containers: services.map((sv) => containerName(sv.name)) })),
      operatorToken: pulumi.secret(apiToken.apply(operatorApiToken)),
      operatorBusPassword: pulumi.secret(busToken.apply((root) => busPassword(root, OPERATOR_ID))),
      busFleetKey: fleetKey,
      ...(grafanaAdminPassword ? { grafanaAdminPassword } : {}),
    };
    this.registerOutputs({ endpoints: this.outputs.endpoints, publishedPorts: this.outputs.publishedPorts });
  }
}

/**
 * The phone joins this device's bus first and the hub second (just this one when it is the hub).
 * A TLS hub (the VPS) keeps its client port closed and is reached through its own stack's
 * command instead: one NATS connection has one TLS setting for all its servers.
 */
function termuxBootstrap(
  cfg: DeviceConfigBase,
  clientBus: ClientBus,
  apiToken: pulumi.Output<string>,
  busToken: pulumi.Output<string>,
): pulumi.Output<string> | undefined {
  const phone = cfg.phone;
  if (!phone) return undefined;
  const hub = cfg.bus.mode === "leaf" && !cfg.bus.hub?.tls ? cfg.bus.hub : undefined;
  // The phone's cell takes the tokens of this device and the ones it lists (their sync organelles).
  const callers = [cfg.device, ...cfg.remoteDevices.map((d) => d.name)];
  return pulumi.secret(
    pulumi.all([clientBus.url, apiToken, busToken]).apply(([url, apiRoot, busRoot]) =>
      renderTermuxBootstrap({
        cell: phone.cell,
        port: phone.port,
        device: phone.device,
        natsUrls: [url, ...(hub ? [`nats://${hub.host}:${hub.clientPort}`] : [])],
        natsTlsFirst: clientBus.tlsFirst,
        appSource: phone.appSource,
        bootstrapUrl: phone.bootstrapUrl,
        apiToken: deviceApiToken(apiRoot, phone.device),
        busUser: phone.cell,
        busPassword: busPassword(busRoot, phone.cell),
        busCert: busCertificate(busRoot, { id: phone.cell, role: "cell" }),
        fleetKey: busFleetKey(busRoot),
        acceptTokens: acceptedTokenHashes(apiRoot, callers).trim().split("\n"),
      }),
    ),
  );
}
