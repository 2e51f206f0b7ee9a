// The stack config (`aios:*` keys of Pulumi.<stack>.yaml), parsed and validated once.
// Every error names the key (as `aios:cells[1].port`) and what was expected; secrets are
// checked for shape but their values never appear in a message.
import { z } from "zod";
import { INFRA_SERVICES, ORGANELLE_HOST, STACK_ENV, ORGANELLE_MAX_MB, ORGANELLE_PORTS, ORGANELLE_ROLES } from "./services.ts";
import { totalMemoryMb } from "./plan.ts";
import { cidrContains, defaultLan, lanNames } from "./lan-names.ts";
import type { LeafDevice } from "./identities.ts";
import { leafUser, NO_CREDENTIALS_USER, OPERATOR_ID } from "./bus-users.ts";

const id = z
  .string({ error: "expected a name of lowercase letters, digits and dashes" })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected lowercase letters, digits and dashes (max 63)");
const port = z
  .number({ error: "expected a port number" })
  .int("expected an integer port")
  .min(1, "expected a port from 1 to 65535")
  .max(65535, "expected a port from 1 to 65535");
const host = z
  .string({ error: "expected a host name or IP address" })
  .regex(/^[A-Za-z0-9.-]+$/, "expected a host name or IP address (no scheme, no port)");
const duration = z.string({ error: "expected a duration like 30s or 5m" }).regex(/^\d+(ms|s|m|h)$/, "expected a duration like 30s or 5m");
/** Seconds in a duration accepted by `duration` (ms round up to a whole second). */
export function durationSeconds(d: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  const n = Number(m[1]);
  return Math.ceil(m[2] === "ms" ? n / 1000 : m[2] === "s" ? n : m[2] === "m" ? n * 60 : n * 3600);
}
const pem = z
  .string({ error: "expected a PEM certificate" })
  .regex(
    /^\s*(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/,
    "expected a PEM certificate (-----BEGIN CERTIFICATE----- ...), e.g. the vps stack's output hubCaCertificate",
  );
const ipv4 = z.ipv4({ error: "expected an IPv4 address like 192.168.1.10" });
const mb = z.number({ error: "expected megabytes" }).int("expected whole megabytes").min(16, "expected at least 16 MB");

/** A cell's id is also its bus user's name, so the bus's own users' names are not free. */
const memberId = id.refine((v) => v !== OPERATOR_ID && v !== NO_CREDENTIALS_USER && !v.startsWith(leafUser("")), {
  message: `this name is taken by a user of the bus ("${OPERATOR_ID}", "${NO_CREDENTIALS_USER}", ${leafUser("<device>")})`,
});
const reserved = new Set<string>([...INFRA_SERVICES, "cells", "discovery", "fleet", ORGANELLE_HOST, ...ORGANELLE_ROLES]);
const cellId = memberId.refine((v) => !reserved.has(v), { message: "this name is taken by a service of the stack" });

/** Extra plain settings for an app container (AIOS_* variables); secrets never go here. */
const extraEnv = z
  .record(
    z
      .string()
      .regex(/^AIOS_[A-Z0-9_]+$/, "expected an AIOS_* variable name")
      .refine((k) => !/(TOKEN|KEY|PASSWORD|SECRET)/.test(k), { message: "secrets cannot be plain settings" })
      .refine((k) => !(STACK_ENV as readonly string[]).includes(k), { message: "set by the stack itself (from the member's id, port, level and bus user and the device's settings)" }),
    z.string(),
  )
  .optional();

const cell = z.strictObject({
  id: cellId,
  port,
  level: z.number({ error: "expected a number from 0 to 10" }).min(0).max(10).optional(),
  memoryMb: mb.optional(),
  env: extraEnv,
});
const organelle = z.strictObject({
  role: z.enum(ORGANELLE_ROLES, { error: `expected one of ${ORGANELLE_ROLES.join(", ")}` }),
  port: port.optional(),
  memoryMb: mb.max(ORGANELLE_MAX_MB, `an organelle may use at most ${ORGANELLE_MAX_MB} MB`).optional(),
  env: extraEnv,
});

const remoteDevice = z.strictObject({
  name: id,
  address: host,
  cells: z.array(z.strictObject({ id: memberId, port })).default([]),
  organelles: z.array(z.strictObject({ role: z.enum(ORGANELLE_ROLES), port })).default([]),
  discoveryPort: port.optional(),
  /**
   * The cell of the phone that device's stack configures (its aios:phone.cell): the phone joins
   * the bus through that device's leaf, and the hub lets it through only when listed here.
   */
  phoneCell: memberId.optional(),
  /** Published metrics ports of the device's NATS exporter and Traefik, when it publishes them. */
  natsExporterPort: port.optional(),
  traefikMetricsPort: port.optional(),
});

/** A leaf device the hub does not list in remoteDevices (the VPS hub): what it runs. */
const leafDevice = z.strictObject({
  name: id,
  cells: z.array(memberId).default([]),
  organelles: z.array(z.enum(ORGANELLE_ROLES, { error: `expected one of ${ORGANELLE_ROLES.join(", ")}` })).default([]),
  discovery: z.boolean({ error: "expected true or false" }).default(false),
  phoneCell: memberId.optional(),
});

const ipv4Cidr = z.cidrv4({ error: "expected an IPv4 CIDR like 172.28.0.0/16" });

/** Pure: whether two IPv4 CIDRs share an address (two CIDRs are disjoint or one holds the other). */
export function cidrsOverlap(a: string, b: string): boolean {
  return cidrContains(a, b.split("/")[0]!) || cidrContains(b, a.split("/")[0]!);
}

/** Fields every device stack has. A stack kind with more settings (the VPS droplet) extends this. */
export const deviceShape = {
  device: id,
  domain: z
    .string()
    .regex(/^([a-z0-9-]+\.)+[a-z0-9-]+$/, "expected a DNS domain like aios.lan")
    .default("aios.lan"),
  /** This device's address on the LAN: what phones and other devices dial. */
  lanAddress: host,
  docker: z
    .strictObject({
      host: z
        .string()
        .regex(/^(unix|ssh|tcp):\/\/\S+$/, "expected unix:///path, ssh://user@host or tcp://host:port")
        .optional(),
      sshOpts: z.array(z.string()).default([]),
    })
    .default({ sshOpts: [] }),
  image: z
    .strictObject({
      name: z.string().regex(/^[a-z0-9][a-z0-9._/-]*$/, "expected an image repository name").default("aios-app"),
      /** Build arg NODE_IMAGE of app/Dockerfile (a Node 24 image); unset keeps its default. */
      nodeImage: z.string().min(1).optional(),
      /** An image already on the device (its id) to run instead of building app/: what `./aios rollback` sets. */
      deploy: z
        .string({ error: "expected an image id sha256:<64 hex digits>" })
        .regex(/^sha256:[0-9a-f]{64}$/, "expected an image id sha256:<64 hex digits> (see `docker image ls --no-trunc`)")
        .optional(),
    })
    .default({ name: "aios-app" }),
  networks: z
    .strictObject({
      meshSubnet: ipv4Cidr.default("172.28.0.0/16"),
      /** Traefik's network: the app trusts X-Forwarded-For from this range only (AIOS_TRUST_PROXY). */
      ingressSubnet: ipv4Cidr.default("172.29.0.0/16"),
    })
    .default({ meshSubnet: "172.28.0.0/16", ingressSubnet: "172.29.0.0/16" }),
  cells: z.array(cell).default([]),
  discovery: z.strictObject({ port: port.default(8001), memoryMb: mb.optional() }).optional(),
  organelles: z.array(organelle).default([]),
  /**
   * How the organelles run: "shared", all in one container and one Node process (one runtime
   * instead of one each), or "separate", one container each with its own memoryMb.
   */
  organelleHost: z
    .strictObject({
      mode: z.enum(["shared", "separate"], { error: "expected shared or separate" }).default("shared"),
      /** The shared container's memory limit. */
      memoryMb: mb.optional(),
    })
    .default({ mode: "shared" }),
  bus: z.strictObject({
    mode: z.enum(["hub", "leaf"], { error: "expected hub or leaf" }),
    clientPort: port.default(4222),
    /** Hub only: where leaf nodes connect. */
    leafPort: port.default(7422),
    /**
     * Hub only: the devices whose leaf servers may join, each with its own credential and the
     * rights of what it runs; unset, every remoteDevices entry. An entry is the name of a
     * remoteDevices entry, or what a device not listed there runs. A device left out is refused
     * (revoked) at the next `pulumi up`.
     */
    leafDevices: z
      .array(z.union([id, leafDevice], { error: "expected a device name or {name, cells, organelles, discovery, phoneCell}" }))
      .optional(),
    /** Leaf only: the hub to join. */
    hub: z
      .strictObject({
        host,
        leafPort: port.default(7422),
        clientPort: port.default(4222),
        /** The hub's leaf port requires TLS (the VPS hub does). */
        tls: z.boolean({ error: "expected true or false" }).default(false),
        /** The CA the hub's leaf certificate is signed by (PEM, not secret); unset trusts the system roots. */
        caCertificate: pem.optional(),
      })
      .optional(),
  }),
  ingress: z
    .strictObject({
      httpPort: port.default(80),
      httpsPort: port.default(443),
      dashboardUser: id.default("admin"),
    })
    .default({ httpPort: 80, httpsPort: 443, dashboardUser: "admin" }),
  vault: z.strictObject({ enabled: z.boolean({ error: "expected true or false" }) }).default({ enabled: false }),
  observability: z
    .strictObject({
      prometheus: z.boolean().default(false),
      alertmanager: z.boolean().default(false),
      grafana: z.boolean().default(false),
      scrapeInterval: duration.default("15s"),
      evaluationInterval: duration.default("15s"),
      cellDownFor: duration.default("1m"),
      noPeersFor: duration.default("5m"),
      backlogThreshold: z.number().int().min(1).default(100),
      backlogFor: duration.default("10m"),
      /** Optional webhook Alertmanager posts alerts to. */
      alertWebhook: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
    })
    .default({
      prometheus: false,
      alertmanager: false,
      grafana: false,
      scrapeInterval: "15s",
      evaluationInterval: "15s",
      cellDownFor: "1m",
      noPeersFor: "5m",
      backlogThreshold: 100,
      backlogFor: "10m",
    }),
  /** Publish the NATS exporter and Traefik metrics ports so another device's Prometheus scrapes them. */
  publishMetrics: z
    .strictObject({ natsExporterPort: port.default(7777), traefikMetricsPort: port.default(8082) })
    .optional(),
  /** Updates: how long `pulumi up` waits for each new container to turn healthy (the Docker provider's waitTimeout). */
  rollout: z
    .strictObject({
      healthTimeout: duration
        .refine((d) => durationSeconds(d) >= 10 && durationSeconds(d) <= 3600, { message: "expected from 10s to 1h" })
        .default("2m"),
    })
    .default({ healthTimeout: "2m" }),
  memoryMb: z.partialRecord(z.enum(INFRA_SERVICES), mb).default({}),
  /** Sum of all memory limits must stay at or under this (the laptop's light footprint). */
  memoryBudgetMb: mb.optional(),
  remoteDevices: z.array(remoteDevice).default([]),
  phone: z
    .strictObject({
      cell: memberId.default("beta"),
      port: port.default(8000),
      device: id.default("phone"),
      appSource: z.string().min(1, "expected a git URL or tarball URL of the app"),
      /** Where the phone downloads termux/bootstrap.sh from (a raw file URL). */
      bootstrapUrl: z.url({ protocol: /^https?$/, error: "expected an http(s) URL of termux/bootstrap.sh" }),
    })
    .optional(),
  /** Fleet-wide API token and bus token (set with `pulumi config set --secret`). */
  apiToken: z.string({ error: "required secret: pulumi config set --secret aios:apiToken <16+ chars>" }).min(16, "the token is shorter than 16 characters"),
  busToken: z.string({ error: "required secret: pulumi config set --secret aios:busToken <16+ chars>" }).min(16, "the token is shorter than 16 characters"),
};

export const SECRET_KEYS = ["apiToken", "busToken"] as const;

/** The devices whose leaf servers the hub takes, with what each runs (bus.leafDevices, else the remote devices). */
export function leafDevices(cfg: DeviceConfigBase): LeafDevice[] {
  if (cfg.bus.mode !== "hub") return [];
  const remote = (d: DeviceConfigBase["remoteDevices"][number]): LeafDevice => ({
    name: d.name,
    cells: d.cells.map((c) => c.id),
    organelles: d.organelles.map((o) => o.role),
    discovery: d.discoveryPort !== undefined,
    phoneCell: d.phoneCell,
  });
  // (an unknown name is refused by checkDevice)
  return (cfg.bus.leafDevices ?? cfg.remoteDevices.map((d) => d.name)).flatMap((e) =>
    typeof e === "string" ? cfg.remoteDevices.filter((d) => d.name === e).map(remote) : [e],
  );
}

/** What a stack kind adds to the device's published ports and memory (the LAN DNS server). */
export interface DeviceExtras {
  ports: [number, (string | number)[]][];
  memoryMb: number;
}

/** Rules across keys; a schema extending deviceShape reuses them. */
export function checkDevice(cfg: DeviceConfigBase, ctx: z.RefinementCtx, extras: DeviceExtras = { ports: [], memoryMb: 0 }): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const seenIds = new Map<string, number>();
  cfg.cells.forEach((c, i) => {
    if (seenIds.has(c.id)) issue(["cells", i, "id"], `duplicate cell id "${c.id}"`);
    seenIds.set(c.id, i);
  });
  const seenRoles = new Set<string>();
  const shared = cfg.organelleHost.mode === "shared";
  cfg.organelles.forEach((o, i) => {
    if (seenRoles.has(o.role)) issue(["organelles", i, "role"], `duplicate organelle "${o.role}"`);
    seenRoles.add(o.role);
    if (shared && o.memoryMb !== undefined) {
      issue(["organelles", i, "memoryMb"], "applies with organelleHost.mode: separate; the shared host's limit is organelleHost.memoryMb");
    }
  });
  if (!shared && cfg.organelleHost.memoryMb !== undefined) {
    issue(["organelleHost", "memoryMb"], "applies with organelleHost.mode: shared; set organelles[].memoryMb instead");
  }
  if (cfg.bus.mode === "leaf" && !cfg.bus.hub) issue(["bus", "hub"], "required when bus.mode is leaf (the hub's host)");
  if (cidrsOverlap(cfg.networks.meshSubnet, cfg.networks.ingressSubnet)) {
    issue(["networks", "ingressSubnet"], `overlaps networks.meshSubnet (${cfg.networks.meshSubnet})`);
  }
  if (cfg.bus.mode === "hub" && cfg.bus.hub) issue(["bus", "hub"], "only a leaf has a hub; remove it or set bus.mode: leaf");
  if (cfg.bus.mode === "leaf" && cfg.bus.leafDevices) issue(["bus", "leafDevices"], "only the hub takes leaf devices; remove it or set bus.mode: hub");
  const leafNames = new Set<string>();
  cfg.bus.leafDevices?.forEach((e, i) => {
    const name = typeof e === "string" ? e : e.name;
    const at = typeof e === "string" ? ["bus", "leafDevices", i] : ["bus", "leafDevices", i, "name"];
    const remote = cfg.remoteDevices.some((d) => d.name === name);
    if (name === cfg.device) issue(at, `"${name}" is this device`);
    else if (leafNames.has(name)) issue(at, `duplicate device "${name}"`);
    else if (typeof e === "string" && !remote) {
      issue(at, `"${name}" is not in remoteDevices: give what it runs, {name: ${name}, cells, organelles, discovery, phoneCell}`);
    } else if (typeof e !== "string" && remote) issue(at, `"${name}" is in remoteDevices: list it by name, what it runs comes from there`);
    leafNames.add(name);
  });
  if (cfg.bus.hub?.caCertificate && !cfg.bus.hub.tls) issue(["bus", "hub", "caCertificate"], "is used only over TLS: set bus.hub.tls: true");
  const o = cfg.observability;
  if ((o.grafana || o.alertmanager) && !o.prometheus) {
    issue(["observability", "prometheus"], "must be true when grafana or alertmanager is enabled");
  }
  // No two things publish the same host port.
  const owners = new Map<number, string>();
  for (const [port, path] of [...publishedPorts(cfg), ...extras.ports]) {
    const prev = owners.get(port);
    if (prev) issue(path, `host port ${port} is already used by ${prev}`);
    else owners.set(port, path.join("."));
  }
  if (cfg.memoryBudgetMb !== undefined) {
    const total = totalMemoryMb(cfg) + extras.memoryMb;
    if (total > cfg.memoryBudgetMb) {
      issue(["memoryBudgetMb"], `the memory limits of this device total ${total} MB, over the budget of ${cfg.memoryBudgetMb} MB`);
    }
  }
  const remoteNames = new Set<string>();
  cfg.remoteDevices.forEach((d, i) => {
    if (d.name === cfg.device) issue(["remoteDevices", i, "name"], `"${d.name}" is this device`);
    if (remoteNames.has(d.name)) issue(["remoteDevices", i, "name"], `duplicate device "${d.name}"`);
    remoteNames.add(d.name);
  });
}

function publishedPorts(cfg: DeviceConfigBase): [number, (string | number)[]][] {
  const out: [number, (string | number)[]][] = [
    [cfg.ingress.httpPort, ["ingress", "httpPort"]],
    [cfg.ingress.httpsPort, ["ingress", "httpsPort"]],
    [cfg.bus.clientPort, ["bus", "clientPort"]],
  ];
  if (cfg.bus.mode === "hub") out.push([cfg.bus.leafPort, ["bus", "leafPort"]]);
  cfg.cells.forEach((c, i) => out.push([c.port, ["cells", i, "port"]]));
  if (cfg.discovery) out.push([cfg.discovery.port, ["discovery", "port"]]);
  cfg.organelles.forEach((o, i) => out.push([o.port ?? ORGANELLE_PORTS[o.role], ["organelles", i, "port"]]));
  if (cfg.publishMetrics) {
    out.push([cfg.publishMetrics.natsExporterPort, ["publishMetrics", "natsExporterPort"]]);
    out.push([cfg.publishMetrics.traefikMetricsPort, ["publishMetrics", "traefikMetricsPort"]]);
  }
  return out;
}


export const DEFAULT_UPSTREAMS = ["1.1.1.1", "9.9.9.9"];
export const LAN_DNS_MEMORY_MB = 16;

/**
 * `aios:dns` on a LAN device: this device runs the LAN's DNS server (dnsmasq) for the domain.
 * (The vps stack's `aios:dns` is its DigitalOcean zone instead, see vps-config.ts.)
 */
const lanDns = z.strictObject({
  /** Published on lanAddress, UDP and TCP. */
  port: port.default(53),
  /** The LAN as a CIDR; every address the server hands out must be inside it. Default: lanAddress's /24. */
  lan: z.cidrv4({ error: "expected an IPv4 CIDR like 192.168.1.0/24" }).optional(),
  /** Where every name outside the domain is forwarded (`address` or `address#port`). */
  upstreams: z
    .array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}(#\d{1,5})?$/, "expected an IPv4 address, optionally with #port"))
    .min(1, "expected at least one upstream DNS server")
    .default(DEFAULT_UPSTREAMS),
  /** More names in the domain (a printer, the phone): `{name, address}`. */
  hosts: z.array(z.strictObject({ name: id, address: ipv4 })).default([]),
  memoryMb: mb.optional(),
});
export type LanDnsConfig = z.infer<typeof lanDns>;

const lanSchema = z.strictObject({ ...deviceShape, dns: lanDns.optional() });
type LanConfigBase = z.infer<typeof lanSchema>;
/** The keys every device stack has (the VPS's own `dns` key means something else). */
export type DeviceConfigBase = Omit<LanConfigBase, "dns">;

/** The DNS server's own rules: addresses inside the LAN, each name once. */
function checkLanDns(cfg: LanConfigBase, ctx: z.RefinementCtx): void {
  const dns = cfg.dns;
  if (!dns) return;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (!z.ipv4().safeParse(cfg.lanAddress).success) {
    issue(["lanAddress"], "the LAN DNS server (aios:dns) needs this device's IPv4 address, not a host name");
    return;
  }
  // (refinements run even when a field failed; that field's own message says what is wrong)
  if (dns.lan !== undefined && !z.cidrv4().safeParse(dns.lan).success) return;
  const lan = dns.lan ?? defaultLan(cfg.lanAddress);
  const where = dns.lan ? `the LAN ${lan} (aios:dns.lan)` : `the LAN ${lan} (the /24 of lanAddress; set aios:dns.lan if yours is wider)`;
  const addressKey = (path: (string | number)[]): (string | number)[] =>
    path[0] === "remoteDevices" ? ["remoteDevices", path[1]!, "address"] : path[0] === "dns" ? ["dns", "hosts", path[2]!, "address"] : ["lanAddress"];
  const badAddress = new Set<string>();
  const seen = new Map<string, string>();
  for (const n of lanNames(cfg, dns.hosts)) {
    const key = addressKey(n.path);
    if (!cidrContains(lan, n.address) && !badAddress.has(key.join("."))) {
      badAddress.add(key.join("."));
      const ip = z.ipv4().safeParse(n.address).success;
      issue(key, ip ? `${n.address} is outside ${where}` : `the LAN DNS server (aios:dns) needs an IPv4 address here, not "${n.address}"`);
    }
    const first = seen.get(n.name);
    if (first) issue(n.path, `duplicate name ${n.name}: ${first} already has it`);
    else seen.set(n.name, keyName(n.path));
  }
}

function lanExtras(cfg: LanConfigBase): DeviceExtras {
  if (!cfg.dns) return { ports: [], memoryMb: 0 };
  return { ports: [[cfg.dns.port, ["dns", "port"]]], memoryMb: cfg.dns.memoryMb ?? LAN_DNS_MEMORY_MB };
}

export const deviceConfigSchema = lanSchema.superRefine((cfg, ctx) => {
  checkDevice(cfg, ctx, lanExtras(cfg));
  checkLanDns(cfg, ctx);
});
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;

export class StackConfigError extends Error {
  readonly keys: string[];
  constructor(keys: string[], lines: string[]) {
    super(`invalid stack config:\n  ${lines.join("\n  ")}`);
    this.name = "StackConfigError";
    this.keys = keys;
  }
}

export const NAMESPACE = "aios";

function keyName(path: PropertyKey[]): string {
  let out = NAMESPACE;
  path.forEach((p, i) => {
    if (typeof p === "number") out += `[${p}]`;
    else out += i === 0 ? `:${String(p)}` : `.${String(p)}`;
  });
  return out;
}

/**
 * An issue as precise as zod knows it: a union's failure as the issues of the option the value
 * has the type of (a name given as a string, an entry as an object), so the message names the
 * bad field, else the union's own; a record's bad key as what its key schema said of it (not
 * zod's "Invalid key in record").
 */
function preciseIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code === "invalid_key") return issue.issues.map((e) => ({ ...e, path: issue.path }));
  if (issue.code !== "invalid_union") return [issue];
  const fits = issue.errors.filter((errs) => !errs.some((e) => e.code === "invalid_type" && e.path.length === 0));
  if (fits.length !== 1) return [issue];
  return fits[0]!.flatMap((e) => preciseIssues({ ...e, path: [...issue.path, ...e.path] }));
}

/** Pulumi hands config values over as strings; structured values arrive as JSON text. */
function decode(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Parses the `aios:*` entries of a stack's config (as `pulumi.runtime.allConfig()` returns them).
 * Keys of other namespaces (docker:, digitalocean:) are left alone.
 */
export function parseConfig<S extends z.ZodType>(raw: Record<string, string>, schema: S): z.infer<S>;
export function parseConfig(raw: Record<string, string>): DeviceConfig;
export function parseConfig(raw: Record<string, string>, schema: z.ZodType = deviceConfigSchema): unknown {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    const name = key.slice(NAMESPACE.length + 1);
    input[name] = (SECRET_KEYS as readonly string[]).includes(name) ? value : decode(value);
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const keys: string[] = [];
  const lines: string[] = [];
  for (const issue of result.error.issues.flatMap(preciseIssues)) {
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        const key = keyName([...issue.path, k]);
        keys.push(key);
        lines.push(`${key}: unknown key`);
      }
      continue;
    }
    const key = keyName(issue.path);
    keys.push(key);
    lines.push(`${key}: ${issue.message}`);
  }
  throw new StackConfigError(keys, lines);
}
