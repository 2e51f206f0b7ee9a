// The `vps` stack's config: every device key (deviceShape) plus the droplet, DNS, Let's Encrypt
// and backups. The DigitalOcean credentials live in the provider's own namespace
// (`digitalocean:token`, and the Spaces keys when backups go to Spaces) and are checked here too.
import { z } from "zod";
import { checkDevice, deviceShape, parseConfig, StackConfigError } from "./config.ts";
import { defaultSwapMb, DOCKER_PACKAGES } from "./render/cloud-init.ts";

/** The host name leaf nodes dial (the NATS hub's public TLS leaf port); also the VPS's public host. */
export const HUB_HOST = "nats";

const cidr = z
  .string()
  .regex(/^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/, "expected an IPv4 or IPv6 CIDR like 203.0.113.7/32");
const dnsName = z.string({ error: "expected a public DNS name like aios.example.com" }).regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "expected a public DNS name like aios.example.com");
const slug = z.string().regex(/^[a-z0-9-]+$/, "expected a DigitalOcean slug (lowercase letters, digits, dashes)");
const IMAGES = Object.keys(DOCKER_PACKAGES) as [string, ...string[]];

const droplet = z.strictObject({
  size: slug.default("s-1vcpu-2gb"),
  region: slug.default("fra1"),
  image: z.enum(IMAGES, { error: `expected one of ${IMAGES.join(", ")}` }).default("ubuntu-24-04-x64"),
  deployUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "expected a Linux user name").default("deploy"),
  sshPublicKey: z
    .string({ error: 'required: pulumi config set --path aios:droplet.sshPublicKey "$(cat ~/.ssh/id_ed25519.pub)"' })
    .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/, "expected an OpenSSH public key line"),
  /** Who may reach port 22 (Pulumi's own machine must be one of them). */
  sshAllowedCidrs: z
    .array(cidr, { error: "required: the CIDRs allowed to SSH in, e.g. [\"203.0.113.7/32\"]" })
    .min(1, "at least one CIDR is required"),
  /** Swap file size; unset gives small droplets (2 GiB or less) a swap file. */
  swapMb: z.number().int().min(0).optional(),
  /** DigitalOcean's own droplet backups (weekly or daily images of the whole disk, billed extra). */
  backups: z.enum(["off", "daily", "weekly"]).default("off"),
});

const backup = z
  .strictObject({
    mode: z.enum(["spaces", "none"]).default("none"),
    schedule: z.string().default("17 3 * * *"),
    keepDays: z.number().int().min(1).default(14),
    /** Spaces bucket (created by the stack) and its region. */
    bucket: z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "expected a bucket name (3-63 lowercase letters, digits, dashes)").optional(),
    region: slug.optional(),
  })
  .default({ mode: "none", schedule: "17 3 * * *", keepDays: 14 });

export const vpsShape = {
  ...deviceShape,
  domain: dnsName.refine((d) => !d.endsWith(".lan") && !d.endsWith(".local"), {
    message: "expected a public domain (Let's Encrypt cannot issue for .lan or .local)",
  }),
  /** The VPS has no LAN; other devices reach it by its reserved IP and DNS names. */
  lanAddress: deviceShape.lanAddress.optional(),
  droplet,
  dns: z
    .strictObject({
      /** The DigitalOcean domain the records go in; defaults to `domain` itself. */
      zone: dnsName.optional(),
      ttl: z.number().int().min(30).default(300),
    })
    .default({ ttl: 300 }),
  letsEncrypt: z.strictObject({
    email: z.email({ error: "expected the e-mail address Let's Encrypt writes to about expiring certificates" }),
    staging: z.boolean().default(false),
  }),
  backup,
  /** Per-address limits Traefik applies on every public router (see README). */
  publicLimits: z
    .strictObject({
      average: z.number().int().min(1).default(50),
      burst: z.number().int().min(1).default(100),
      period: z.string().regex(/^\d+(ms|s|m)$/, "expected a duration like 1s").default("1s"),
      inFlight: z.number().int().min(1).default(64),
    })
    .default({ average: 50, burst: 100, period: "1s", inFlight: 64 }),
};

const vpsObject = z.strictObject(vpsShape);
type VpsBase = z.infer<typeof vpsObject>;

export const vpsConfigSchema = vpsObject.superRefine((cfg: VpsBase, ctx) => {
  checkDevice(cfg as Parameters<typeof checkDevice>[0], ctx);
  const issue = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const zone = cfg.dns.zone ?? cfg.domain;
  if (cfg.domain !== zone && !cfg.domain.endsWith(`.${zone}`)) issue(["dns", "zone"], `"${zone}" does not contain domain "${cfg.domain}"`);
  if (cfg.bus.mode !== "hub") issue(["bus", "mode"], "the VPS is the hub: set bus.mode: hub");
  if (cfg.backup.mode === "spaces") {
    if (!cfg.backup.bucket) issue(["backup", "bucket"], "required when backup.mode is spaces");
    if (!cfg.backup.region) issue(["backup", "region"], "required when backup.mode is spaces (a Spaces region like fra1)");
  }
});

export interface DigitalOceanCredentials {
  token: string;
  spacesAccessId?: string;
  spacesSecretKey?: string;
}

export type VpsConfig = z.infer<typeof vpsConfigSchema> & {
  /** Always set: the VPS is reached by its hub host name. */
  lanAddress: string;
  digitalocean: DigitalOceanCredentials;
  /** Swap actually configured (the droplet size decides when unset). */
  swapMb: number;
  zone: string;
};

/** Parses the vps stack's config; errors name the key, never a secret's value. */
export function parseVpsConfig(raw: Record<string, string>): VpsConfig {
  const missing: string[] = [];
  const need = (key: string, how: string): string | undefined => {
    const value = raw[key];
    if (!value) missing.push(`${key}: required secret: pulumi config set --secret ${key} ${how}`);
    return value;
  };
  let cfg: z.infer<typeof vpsConfigSchema> | undefined;
  let error: StackConfigError | undefined;
  try {
    cfg = parseConfig(raw, vpsConfigSchema);
  } catch (err) {
    if (!(err instanceof StackConfigError)) throw err;
    error = err;
  }
  const token = need("digitalocean:token", "<DigitalOcean API token>");
  const spaces = cfg?.backup.mode === "spaces";
  const spacesAccessId = spaces ? need("digitalocean:spacesAccessId", "<Spaces access key id>") : undefined;
  const spacesSecretKey = spaces ? need("digitalocean:spacesSecretKey", "<Spaces secret key>") : undefined;
  if (error || missing.length || !cfg || !token) {
    const keys = [...(error?.keys ?? []), ...missing.map((m) => m.slice(0, m.indexOf(": ")))];
    const lines = [...(error ? error.message.split("\n  ").slice(1) : []), ...missing];
    throw new StackConfigError(keys, lines);
  }
  return {
    ...cfg,
    lanAddress: cfg.lanAddress ?? `${HUB_HOST}.${cfg.domain}`,
    digitalocean: { token, ...(spacesAccessId ? { spacesAccessId } : {}), ...(spacesSecretKey ? { spacesSecretKey } : {}) },
    swapMb: cfg.droplet.swapMb ?? defaultSwapMb(cfg.droplet.size),
    zone: cfg.dns.zone ?? cfg.domain,
  };
}
