// Service configuration: environment variables only, validated once at start.
// Errors name the variable and what was expected, and never echo a secret's value.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { getHeapStatistics } from "node:v8";
import { INBOX_KEEP } from "./lib/inbox.ts";
import { maskUrl } from "./lib/mask.ts";
import { Signing, SigningError, unsigned, type Sealer } from "./lib/signing.ts";
import { isUrl } from "./lib/url.ts";

export const ROLES = [
  "cell",
  "discovery",
  "network-listener",
  "vscode-bridge",
  "consciousness-sync",
  "task-dispatcher",
] as const;
export type Role = (typeof ROLES)[number];

export const DEFAULT_PORTS: Record<Role, number> = {
  cell: 8000,
  discovery: 8001,
  "network-listener": 3000,
  "vscode-bridge": 3001,
  "consciousness-sync": 3002,
  "task-dispatcher": 3003,
};

export const MAX_LEVEL = 10;

/**
 * TLS to the bus, for the whole server list (one connection has one setting): "plain" for
 * nats:// URLs (never upgrade, even when the server offers TLS, as the VPS hub does for the
 * proxy in front of it), "offered" when a tls:// URL is listed (upgrade when the server offers
 * or requires TLS), or "required" with the settings of AIOS_NATS_TLS_FIRST / AIOS_NATS_CA_FILE.
 */
export type NatsTls = { mode: "plain" } | { mode: "offered" } | { mode: "required"; handshakeFirst: boolean; caFile?: string };

export interface AppConfig {
  role: Role;
  cellId: string;
  device: string;
  host: string;
  port: number;
  /** The URL other members use to reach this service. */
  publicUrl: string;
  natsUrls: string[];
  /** The member's own bus user (AIOS_NATS_USER); natsToken is then its password. */
  natsUser: string | undefined;
  natsToken: string | undefined;
  natsTls: NatsTls;
  /**
   * How this member signs what it publishes and checks what it receives (lib/signing.ts): with
   * AIOS_BUS_FLEET_KEY and AIOS_BUS_CERT, its own key; without, nothing is signed or checked.
   */
  sealer: Sealer;
  token: string;
  /** SHA-256 digests of the other tokens this member accepts (AIOS_ACCEPT_TOKENS_FILE), besides its own. */
  acceptedTokenHashes: Buffer[];
  dataDir: string;
  level: number;
  bodyLimit: number;
  /** Messages a cell's inbox keeps (the newest). */
  inboxKeep: number;
  heartbeatMs: number;
  downAfterMs: number;
  logLevel: string;
  /** Abuse and overload limits; see Limits. */
  limits: Limits;
  /** Addresses and CIDRs of proxies whose X-Forwarded-For names the client (Traefik's network). */
  trustProxy: string[];
  /**
   * On SIGTERM, how long /health answers 503 "draining" while the service still serves, before
   * it closes: a load balancer's health check takes it out first (AIOS_DRAIN_MS, default 0).
   */
  drainMs: number;
  /** Extra role-specific variables (AIOS_*), validated by the role that reads them. */
  env: Record<string, string | undefined>;
}

export interface Limits {
  /** Mutating calls one client (token and address) may make per window. */
  rateMax: number;
  rateWindowMs: number;
  /** Calls with a missing or wrong token one address may make per window; then 429 for every call. */
  authFailMax: number;
  /** Event-loop delay (mean over a second) past which work routes answer 503; 0 turns it off. */
  maxEventLoopDelayMs: number;
  /** V8 heap in use past which work routes answer 503; 0 turns it off. */
  maxHeapUsedBytes: number;
  /** Seconds a shed client is told to wait (Retry-After). */
  retryAfterS: number;
  /** Bytes of an oversize body read and thrown away so the client can read its 413; past it the connection closes. */
  drainLimitBytes: number;
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

function intIn(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** Reads a secret from VAR or VAR_FILE; the value itself never appears in an error. */
function secret(env: Record<string, string | undefined>, name: string, required: boolean): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) throw new ConfigError(name, `set either ${name} or ${name}_FILE, not both`);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8").trim();
    } catch (err) {
      throw new ConfigError(`${name}_FILE`, `cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
    if (text.length < 16) throw new ConfigError(`${name}_FILE`, `the token in "${file}" is shorter than 16 characters`);
    return text;
  }
  if (direct) {
    if (direct.length < 16) throw new ConfigError(name, "the token is shorter than 16 characters");
    return direct;
  }
  if (required) throw new ConfigError(name, `required: set ${name} or ${name}_FILE (a token of at least 16 characters)`);
  return undefined;
}

/**
 * AIOS_ACCEPT_TOKENS_FILE: one `sha256:<64 hex>` a line, the digests of tokens this member
 * accepts besides its own (the operator's, other devices'). Digests, so a member (the phone)
 * can take a token without holding it.
 */
function acceptedHashes(file: string | undefined): Buffer[] {
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError("AIOS_ACCEPT_TOKENS_FILE", `cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return text
    .split("\n")
    .map((l) => l.trim())
    .flatMap((l, i) => {
      if (!l) return [];
      const m = /^sha256:([0-9a-f]{64})$/.exec(l);
      if (!m) throw new ConfigError("AIOS_ACCEPT_TOKENS_FILE", `line ${i + 1} of "${file}": expected sha256:<64 lowercase hex digits>`);
      return [Buffer.from(m[1]!, "hex")];
    });
}

const MB = 1024 * 1024;

function limits(env: Record<string, string | undefined>, bodyLimit: number): Limits {
  const drainLimitBytes = intIn("AIOS_BODY_DRAIN_LIMIT", env.AIOS_BODY_DRAIN_LIMIT, 16 * MB, 0, 1024 * MB);
  if (drainLimitBytes !== 0 && drainLimitBytes < bodyLimit) {
    throw new ConfigError("AIOS_BODY_DRAIN_LIMIT", `must be 0 or at least AIOS_BODY_LIMIT (${bodyLimit})`);
  }
  return {
    rateMax: intIn("AIOS_RATE_LIMIT", env.AIOS_RATE_LIMIT, 1200, 1, 10_000_000),
    rateWindowMs: 1000 * intIn("AIOS_RATE_WINDOW_S", env.AIOS_RATE_WINDOW_S, 60, 1, 86_400),
    authFailMax: intIn("AIOS_AUTH_FAIL_LIMIT", env.AIOS_AUTH_FAIL_LIMIT, 10, 1, 1_000_000),
    maxEventLoopDelayMs: intIn("AIOS_MAX_EVENT_LOOP_DELAY_MS", env.AIOS_MAX_EVENT_LOOP_DELAY_MS, 1000, 0, 600_000),
    maxHeapUsedBytes: MB * intIn("AIOS_MAX_HEAP_MB", env.AIOS_MAX_HEAP_MB, defaultHeapBoundMb(), 0, 1_000_000),
    retryAfterS: intIn("AIOS_RETRY_AFTER_S", env.AIOS_RETRY_AFTER_S, 5, 1, 3600),
    drainLimitBytes,
  };
}

/** 90 % of V8's heap limit (in a container, a share of the memory limit): shed before V8 runs out. */
function defaultHeapBoundMb(): number {
  return Math.floor((getHeapStatistics().heap_size_limit * 0.9) / MB);
}

const CIDR = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]+)(\/\d{1,3})?$/i;

function trustProxy(raw: string | undefined): string[] {
  const list = (raw ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const bad = list.find((s) => !CIDR.test(s));
  if (bad) throw new ConfigError("AIOS_TRUST_PROXY", `expected comma-separated addresses or CIDRs like 172.29.0.0/16, got "${bad}"`);
  return list;
}

function natsTls(env: Record<string, string | undefined>, urls: string[]): NatsTls {
  const first = env.AIOS_NATS_TLS_FIRST || "false";
  if (first !== "true" && first !== "false") throw new ConfigError("AIOS_NATS_TLS_FIRST", `expected true or false, got "${first}"`);
  const caFile = env.AIOS_NATS_CA_FILE || undefined;
  const tlsUrls = urls.filter((u) => u.startsWith("tls://"));
  if (first === "false" && !caFile) return { mode: tlsUrls.length ? "offered" : "plain" };
  const variable = first === "true" ? "AIOS_NATS_TLS_FIRST" : "AIOS_NATS_CA_FILE";
  const plain = urls.find((u) => !u.startsWith("tls://"));
  if (plain) throw new ConfigError(variable, `applies to every bus server: AIOS_NATS_URLS must list tls:// URLs only, got "${maskUrl(plain)}"`);
  if (caFile) {
    let text: string;
    try {
      text = readFileSync(caFile, "utf8");
    } catch (err) {
      throw new ConfigError("AIOS_NATS_CA_FILE", `cannot read "${caFile}" (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
    if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new ConfigError("AIOS_NATS_CA_FILE", `"${caFile}" holds no PEM certificate`);
  }
  return { mode: "required", handshakeFirst: first === "true", ...(caFile ? { caFile } : {}) };
}

/** The member's signing (AIOS_BUS_FLEET_KEY, AIOS_BUS_CERT: both or neither, with its own bus user). */
function busSealer(env: Record<string, string | undefined>, user: string | undefined, password: string | undefined, role: Role): Sealer {
  const fleetKey = env.AIOS_BUS_FLEET_KEY || undefined;
  const cert = env.AIOS_BUS_CERT || undefined;
  if (!fleetKey && !cert) return unsigned;
  if (!fleetKey) throw new ConfigError("AIOS_BUS_FLEET_KEY", "required with AIOS_BUS_CERT (the fleet's public key)");
  if (!cert) throw new ConfigError("AIOS_BUS_CERT", "required with AIOS_BUS_FLEET_KEY (this member's certificate)");
  if (!user || !password) throw new ConfigError("AIOS_NATS_USER", "required with AIOS_BUS_FLEET_KEY: a member signs as its own bus user");
  try {
    return new Signing({ member: user, role, password, cert, fleetKey });
  } catch (err) {
    if (!(err instanceof SigningError)) throw err;
    throw new ConfigError(err.field === "fleetKey" ? "AIOS_BUS_FLEET_KEY" : "AIOS_BUS_CERT", `${err.message} (the stack that configured this member renders both)`);
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const role = env.AIOS_ROLE;
  if (!role) throw new ConfigError("AIOS_ROLE", `required, one of ${ROLES.join(", ")}`);
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new ConfigError("AIOS_ROLE", `expected one of ${ROLES.join(", ")}, got "${role}"`);
  }
  const r = role as Role;

  const device = env.AIOS_DEVICE;
  if (!device || !ID.test(device)) {
    throw new ConfigError("AIOS_DEVICE", `required, lowercase letters, digits and dashes, got "${device ?? ""}"`);
  }
  const cellId = env.AIOS_CELL_ID || (r === "cell" ? "" : `${r}-${device}`);
  if (!ID.test(cellId)) {
    throw new ConfigError("AIOS_CELL_ID", `required, lowercase letters, digits and dashes (max 63), got "${cellId}"`);
  }

  const port = intIn("AIOS_PORT", env.AIOS_PORT, DEFAULT_PORTS[r], 0, 65535);
  const host = env.AIOS_HOST || "0.0.0.0";

  const natsUrls = (env.AIOS_NATS_URLS || "nats://127.0.0.1:4222")
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of natsUrls) {
    if (!isUrl(u, ["nats", "tls", "ws", "wss"])) {
      throw new ConfigError("AIOS_NATS_URLS", `expected comma-separated nats:// or tls:// URLs, got "${maskUrl(u)}"`);
    }
  }

  const natsUser = env.AIOS_NATS_USER || undefined;
  if (natsUser !== undefined && !ID.test(natsUser)) {
    throw new ConfigError("AIOS_NATS_USER", `expected lowercase letters, digits and dashes (max 63), got "${natsUser}"`);
  }
  const natsToken = secret(env, "AIOS_NATS_TOKEN", false);
  if (natsUser && !natsToken) throw new ConfigError("AIOS_NATS_TOKEN", "required with AIOS_NATS_USER (its password): set AIOS_NATS_TOKEN or AIOS_NATS_TOKEN_FILE");

  const levelRaw = env.AIOS_LEVEL ?? "";
  const level = levelRaw === "" ? 0 : Number(levelRaw);
  if (!Number.isFinite(level) || level < 0 || level > MAX_LEVEL) {
    throw new ConfigError("AIOS_LEVEL", `expected a number from 0 to ${MAX_LEVEL}, got "${levelRaw}"`);
  }

  const publicUrl = env.AIOS_PUBLIC_URL || `http://${host === "0.0.0.0" ? hostname() : host}:${port}`;
  if (!isUrl(publicUrl, ["http", "https"])) {
    throw new ConfigError("AIOS_PUBLIC_URL", `expected an http(s) URL, got "${publicUrl}"`);
  }

  const heartbeatMs = intIn("AIOS_HEARTBEAT_MS", env.AIOS_HEARTBEAT_MS, 1000, 100, 60_000);
  const downAfterMs = intIn("AIOS_DOWN_AFTER_MS", env.AIOS_DOWN_AFTER_MS, 3000, 200, 600_000);
  if (downAfterMs <= heartbeatMs) {
    throw new ConfigError("AIOS_DOWN_AFTER_MS", `must be longer than AIOS_HEARTBEAT_MS (${heartbeatMs})`);
  }

  const bodyLimit = intIn("AIOS_BODY_LIMIT", env.AIOS_BODY_LIMIT, MB, 1024, 64 * MB);

  const logLevel = env.AIOS_LOG_LEVEL || "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    throw new ConfigError("AIOS_LOG_LEVEL", `expected fatal, error, warn, info, debug, trace or silent, got "${logLevel}"`);
  }

  return {
    role: r,
    cellId,
    device,
    host,
    port,
    publicUrl: publicUrl.replace(/\/$/, ""),
    natsUrls,
    natsUser,
    natsToken,
    natsTls: natsTls(env, natsUrls),
    sealer: busSealer(env, natsUser, natsToken, r),
    token: secret(env, "AIOS_TOKEN", true)!,
    acceptedTokenHashes: acceptedHashes(env.AIOS_ACCEPT_TOKENS_FILE),
    dataDir: env.AIOS_DATA_DIR || "./data",
    level,
    bodyLimit,
    // at least two full pulls from the bus (2 x 256), so a batch is never dropped before its ack
    inboxKeep: intIn("AIOS_INBOX_KEEP", env.AIOS_INBOX_KEEP, INBOX_KEEP, 1000, 1_000_000),
    heartbeatMs,
    downAfterMs,
    logLevel,
    limits: limits(env, bodyLimit),
    trustProxy: trustProxy(env.AIOS_TRUST_PROXY),
    drainMs: intIn("AIOS_DRAIN_MS", env.AIOS_DRAIN_MS, 0, 0, 60_000),
    env,
  };
}
