// What a device runs, derived from its config: one list of services (ports, memory, networks,
// routes, scrape targets). Render functions and components both read this plan, so the files
// and the containers cannot disagree about a name or a port.
import { durationSeconds, type DeviceConfigBase } from "./config.ts";
import { DEFAULT_MEMORY_MB, ORGANELLE_HOST, ORGANELLE_PORTS, type OrganelleRole, type ServiceKind } from "./services.ts";

export type NetworkName = "ingress" | "mesh" | "observability";
export const NETWORKS: Record<NetworkName, string> = {
  ingress: "aios-ingress",
  mesh: "aios-dendritic-mesh",
  observability: "aios-observability",
};

export interface PortMap {
  internal: number;
  external: number;
  /** Default tcp. */
  protocol?: "tcp" | "udp";
  /** Host address to publish on; default every address. */
  ip?: string;
}

export interface ServiceSpec {
  /** Container alias, Traefik service, endpoints key. */
  name: string;
  kind: ServiceKind;
  /** The app's AIOS_ROLE, for app containers. */
  role?: "cell" | "discovery" | OrganelleRole;
  port: number;
  publish: PortMap[];
  /** Its container's memory limit; 0 for a role that runs in another container (`container`). */
  memoryMb: number;
  /** The container a hosted role runs in (the organelle host); unset when it has its own. */
  container?: string;
  /** The organelle host's roles: each keeps its own name (a network alias), port and route. */
  hosts?: Planned[];
  networks: NetworkName[];
  /** HTTP health path on `port`. */
  healthPath: string;
  /** Routed by Traefik as <name>.<domain>. */
  routed: boolean;
  /** Routed behind the dashboard's basic auth (services without their own login). */
  protectedRoute: boolean;
  /** Where its data volume is mounted, if it keeps data. */
  dataPath?: string;
  level?: number;
  /** Extra plain AIOS_* settings from the config. */
  env?: Record<string, string>;
  /** How long an update waits for a new container of it to turn healthy (rollout.healthTimeout). */
  waitSeconds: number;
}

export interface ScrapeTarget {
  job: string;
  address: string;
  labels: Record<string, string>;
}

const APP_HEALTH = "/health";

/** A service before the device-wide settings every service gets (a hosted role stays one). */
export type Planned = Omit<ServiceSpec, "waitSeconds">;

function app(
  name: string,
  kind: "cell" | "discovery" | "organelle" | "organelle-host",
  role: ServiceSpec["role"],
  port: number,
  memoryMb: number,
): Planned {
  return {
    name,
    kind,
    role,
    port,
    publish: [{ internal: port, external: port }],
    memoryMb,
    networks: ["ingress", "mesh", "observability"],
    healthPath: APP_HEALTH,
    routed: true,
    protectedRoute: false,
    dataPath: "/data",
  };
}

export function organellePort(o: { role: OrganelleRole; port?: number | undefined }): number {
  return o.port ?? ORGANELLE_PORTS[o.role];
}

/** Every container of the device, in a stable order. */
export function planServices(cfg: DeviceConfigBase): ServiceSpec[] {
  const mem = (kind: keyof typeof DEFAULT_MEMORY_MB, override?: number): number =>
    override ?? (cfg.memoryMb as Partial<Record<string, number>>)[kind] ?? DEFAULT_MEMORY_MB[kind];
  const out: Planned[] = [];
  for (const c of cfg.cells) {
    out.push({
      ...app(c.id, "cell", "cell", c.port, mem("cell", c.memoryMb)),
      ...(c.level !== undefined ? { level: c.level } : {}),
      ...(c.env ? { env: c.env } : {}),
    });
  }
  if (cfg.discovery) out.push(app("discovery", "discovery", "discovery", cfg.discovery.port, mem("discovery", cfg.discovery.memoryMb)));
  const shared = cfg.organelleHost.mode === "shared" && cfg.organelles.length > 0;
  const organelles = cfg.organelles.map(
    (o): Planned => ({
      ...app(o.role, "organelle", o.role, organellePort(o), shared ? 0 : mem("organelle", o.memoryMb)),
      ...(shared ? { container: ORGANELLE_HOST, dataPath: `/data/${o.role}` } : {}),
      ...(o.env ? { env: o.env } : {}),
    }),
  );
  if (shared) {
    // one container, one process (the app's AIOS_ROLES): it publishes every role's port
    const host = app(ORGANELLE_HOST, "organelle-host", undefined, organelles[0]!.port, mem("organelle-host", cfg.organelleHost.memoryMb));
    out.push({ ...host, publish: organelles.flatMap((o) => o.publish), routed: false, hosts: organelles });
  }
  out.push(...organelles);

  const metricsPorts = cfg.publishMetrics;
  out.push({
    name: "traefik",
    kind: "traefik",
    port: TRAEFIK_PORTS.api,
    publish: [
      { internal: TRAEFIK_PORTS.web, external: cfg.ingress.httpPort },
      { internal: TRAEFIK_PORTS.websecure, external: cfg.ingress.httpsPort },
      ...(metricsPorts ? [{ internal: TRAEFIK_PORTS.metrics, external: metricsPorts.traefikMetricsPort }] : []),
    ],
    memoryMb: mem("traefik"),
    networks: ["ingress", "observability"],
    healthPath: "/ping",
    routed: true,
    protectedRoute: true,
  });
  out.push({
    name: "nats",
    kind: "nats",
    port: NATS_MONITOR_PORT,
    publish: [
      { internal: NATS_CLIENT_PORT, external: cfg.bus.clientPort },
      ...(cfg.bus.mode === "hub" ? [{ internal: NATS_LEAF_PORT, external: cfg.bus.leafPort }] : []),
    ],
    memoryMb: mem("nats"),
    networks: ["mesh", "observability"],
    healthPath: "/healthz",
    routed: false,
    protectedRoute: false,
    dataPath: "/data",
  });
  out.push({
    name: "nats-exporter",
    kind: "nats-exporter",
    port: NATS_EXPORTER_PORT,
    publish: metricsPorts ? [{ internal: NATS_EXPORTER_PORT, external: metricsPorts.natsExporterPort }] : [],
    memoryMb: mem("nats-exporter"),
    networks: ["observability"],
    healthPath: "/metrics",
    routed: false,
    protectedRoute: false,
  });
  if (cfg.vault.enabled) {
    out.push(infra("vault", 8200, mem("vault"), ["ingress", "mesh"], "/v1/sys/health", false, "/vault/file"));
  }
  const o = cfg.observability;
  if (o.prometheus) out.push(infra("prometheus", 9090, mem("prometheus"), ["ingress", "observability"], "/-/healthy", true, "/prometheus"));
  if (o.alertmanager) {
    out.push(infra("alertmanager", 9093, mem("alertmanager"), ["ingress", "observability"], "/-/healthy", true, "/alertmanager"));
  }
  if (o.grafana) out.push(infra("grafana", 3000, mem("grafana"), ["ingress", "observability"], "/api/health", false, "/var/lib/grafana"));
  const waitSeconds = durationSeconds(cfg.rollout.healthTimeout);
  return out.map((s) => ({ ...s, waitSeconds }));
}

function infra(
  name: ServiceKind,
  port: number,
  memoryMb: number,
  networks: NetworkName[],
  healthPath: string,
  protectedRoute: boolean,
  dataPath: string,
): Planned {
  return { name, kind: name, port, publish: [], memoryMb, networks, healthPath, routed: true, protectedRoute, dataPath };
}

export const TRAEFIK_PORTS = { web: 80, websecure: 443, api: 8080, metrics: 8082 } as const;
export const NATS_CLIENT_PORT = 4222;
/** The fleet map's host name: the discovery service's page at `/`. */
export const FLEET_HOST = "fleet";
export const NATS_LEAF_PORT = 7422;
export const NATS_MONITOR_PORT = 8222;
export const NATS_EXPORTER_PORT = 7777;

/** The services that are containers of their own (every one but the organelle host's roles). */
export function containerSpecs(services: ServiceSpec[]): ServiceSpec[] {
  return services.filter((s) => !s.container);
}

export function totalMemoryMb(cfg: DeviceConfigBase): number {
  return containerSpecs(planServices(cfg)).reduce((sum, s) => sum + s.memoryMb, 0);
}

/** The public base URL of a routed service, through Traefik with TLS. */
export function serviceUrl(cfg: DeviceConfigBase, host: string): string {
  const port = cfg.ingress.httpsPort === 443 ? "" : `:${cfg.ingress.httpsPort}`;
  return `https://${host}.${cfg.domain}${port}`;
}

/** Stack output `endpoints`: service name -> base URL. */
export function endpoints(cfg: DeviceConfigBase): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of planServices(cfg)) if (s.routed) out[s.name] = serviceUrl(cfg, s.name);
  // the fleet map: the discovery service's page, routed by Traefik as fleet.<domain>
  if (cfg.discovery) out[FLEET_HOST] = serviceUrl(cfg, FLEET_HOST);
  if (cfg.cells.length || cfg.remoteDevices.some((d) => d.cells.length)) out.cells = serviceUrl(cfg, "cells");
  return out;
}

/** Every cell the `cells.<domain>` load balancer spreads over: this device's and the remote ones. */
export function cellBackends(cfg: DeviceConfigBase): { cellId: string; device: string; url: string }[] {
  const local = cfg.cells.map((c) => ({ cellId: c.id, device: cfg.device, url: `http://${c.id}:${c.port}` }));
  const remote = cfg.remoteDevices.flatMap((d) =>
    d.cells.map((c) => ({ cellId: c.id, device: d.name, url: `http://${d.address}:${c.port}` })),
  );
  return [...local, ...remote];
}

const JOBS: Partial<Record<ServiceKind, string>> = {
  cell: "aios-cell",
  discovery: "aios-discovery",
  organelle: "aios-organelle",
  "nats-exporter": "nats",
  traefik: "traefik",
  prometheus: "prometheus",
  alertmanager: "alertmanager",
  grafana: "grafana",
};

/** Prometheus targets: every scrapeable container here, and what remote devices publish. */
export function scrapeTargets(cfg: DeviceConfigBase): ScrapeTarget[] {
  const out: ScrapeTarget[] = [];
  for (const s of planServices(cfg)) {
    const job = JOBS[s.kind];
    if (!job) continue;
    const port = s.kind === "traefik" ? TRAEFIK_PORTS.metrics : s.port;
    out.push({ job, address: `${s.name}:${port}`, labels: targetLabels(cfg.device, s) });
  }
  for (const d of cfg.remoteDevices) {
    const at = (port: number) => `${d.address}:${port}`;
    for (const c of d.cells) out.push({ job: "aios-cell", address: at(c.port), labels: { device: d.name, cell_id: c.id } });
    if (d.discoveryPort) out.push({ job: "aios-discovery", address: at(d.discoveryPort), labels: { device: d.name } });
    for (const o of d.organelles) out.push({ job: "aios-organelle", address: at(o.port), labels: { device: d.name, role: o.role } });
    if (d.natsExporterPort) out.push({ job: "nats", address: at(d.natsExporterPort), labels: { device: d.name } });
    if (d.traefikMetricsPort) out.push({ job: "traefik", address: at(d.traefikMetricsPort), labels: { device: d.name } });
  }
  return out;
}

function targetLabels(device: string, s: ServiceSpec): Record<string, string> {
  if (s.kind === "cell") return { device, cell_id: s.name };
  if (s.kind === "organelle") return { device, role: s.name };
  return { device };
}
