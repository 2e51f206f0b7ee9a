// Pure: what the VPS changes in the shared device's rendered files. Traefik gets a Let's Encrypt
// resolver and every router uses it; the NATS hub's public leaf-node listener requires TLS; and
// phones reach the NATS client port (never public itself) through Traefik on 443: a TCP router
// for nats.<domain> terminates TLS and forwards the plain NATS protocol.
import { parse, stringify } from "yaml";

export const ACME_RESOLVER = "letsencrypt";
export const ACME_DIR = "/letsencrypt";
const STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

export interface AcmeOptions {
  email: string;
  staging: boolean;
}

/** Adds the Let's Encrypt resolver (HTTP-01 on the web entry point) to Traefik's static config. */
export function withAcmeResolver(staticYaml: string, acme: AcmeOptions): string {
  const doc = parse(staticYaml) as Record<string, unknown>;
  doc.certificatesResolvers = {
    [ACME_RESOLVER]: {
      acme: {
        email: acme.email,
        storage: `${ACME_DIR}/acme.json`,
        ...(acme.staging ? { caServer: STAGING } : {}),
        httpChallenge: { entryPoint: "web" },
      },
    },
  };
  return stringify(doc);
}

type Routers = Record<string, { tls?: unknown }>;

/** Every TLS router (HTTP and TCP) of Traefik's dynamic config gets its certificate from Let's Encrypt. */
export function withCertResolver(dynamicYaml: string): string {
  const doc = parse(dynamicYaml) as { http?: { routers?: Routers }; tcp?: { routers?: Routers } };
  for (const router of [...Object.values(doc.http?.routers ?? {}), ...Object.values(doc.tcp?.routers ?? {})]) {
    if (router.tls !== undefined) router.tls = { certResolver: ACME_RESOLVER };
  }
  return stringify(doc);
}

export interface PublicLimits {
  /** Requests per period one client address may average (Traefik rateLimit, a token bucket). */
  average: number;
  /** Requests one address may send at once above the average. */
  burst: number;
  period: string;
  /** Requests (and NATS connections) one address may have open at once. */
  inFlight: number;
}

export const PUBLIC_RATE_LIMIT = "public-rate-limit";
export const PUBLIC_IN_FLIGHT = "public-in-flight";

/**
 * The internet-facing routers get a per-address rate limit and in-flight limit ahead of their
 * own middlewares, so a flood is answered by Traefik with 429 before it reaches a cell; the
 * NATS TCP router (phones) gets an in-flight connection limit.
 */
export function withPublicLimits(dynamicYaml: string, limits: PublicLimits): string {
  const doc = parse(dynamicYaml) as {
    http: { routers: Record<string, { middlewares?: string[] }>; middlewares?: Record<string, unknown> };
    tcp?: { routers: Record<string, { middlewares?: string[] }>; middlewares?: Record<string, unknown> };
  };
  doc.http.middlewares = {
    ...doc.http.middlewares,
    [PUBLIC_RATE_LIMIT]: { rateLimit: { average: limits.average, burst: limits.burst, period: limits.period } },
    [PUBLIC_IN_FLIGHT]: { inFlightReq: { amount: limits.inFlight } },
  };
  for (const r of Object.values(doc.http.routers)) r.middlewares = [PUBLIC_RATE_LIMIT, PUBLIC_IN_FLIGHT, ...(r.middlewares ?? [])];
  if (doc.tcp) {
    doc.tcp.middlewares = { ...doc.tcp.middlewares, [PUBLIC_IN_FLIGHT]: { inFlightConn: { amount: limits.inFlight } } };
    for (const r of Object.values(doc.tcp.routers)) r.middlewares = [PUBLIC_IN_FLIGHT, ...(r.middlewares ?? [])];
  }
  return stringify(doc);
}

export const NATS_TCP_ROUTER = "nats";

/**
 * A TCP router on the websecure entry point (TCP routers match before HTTP ones) for the hub's
 * host name (SNI): Traefik terminates TLS and forwards to the NATS client port. Clients open
 * TLS first (nats.js `tls.handshakeFirst`), as they would to a NATS server with handshake_first.
 */
export function withNatsRoute(dynamicYaml: string, host: string, address: string): string {
  const doc = parse(dynamicYaml) as Record<string, unknown>;
  doc.tcp = {
    routers: { [NATS_TCP_ROUTER]: { rule: `HostSNI(\`${host}\`)`, entryPoints: ["websecure"], service: NATS_TCP_ROUTER, tls: {} } },
    services: { [NATS_TCP_ROUTER]: { loadBalancer: { servers: [{ address }] } } },
  };
  return stringify(doc);
}

export interface LeafTlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * Offers TLS on the client port without requiring it (main nats.conf). Behind Traefik the server
 * sees plain connections, but nats.js refuses a TLS client when the server's INFO offers no TLS
 * (the NATS docs' reverse-proxy setup: `tls {}` and `allow_non_tls: true`). The cells on the
 * droplet dial nats://nats:4222 and stay plain: the app never upgrades a nats:// URL.
 */
export function withClientTls(natsConf: string, files: LeafTlsFiles): string {
  const block = ["tls {", `  cert_file: ${JSON.stringify(files.certFile)}`, `  key_file: ${JSON.stringify(files.keyFile)}`, "}", "allow_non_tls: true", ""];
  return `${natsConf}${block.join("\n")}`;
}

/** Requires TLS on the hub's leaf-node listener (in the NATS secrets file's leafnodes block). */
export function withLeafTls(natsSecrets: string, files: LeafTlsFiles): string {
  const open = natsSecrets.indexOf("leafnodes {\n");
  if (open < 0 || !natsSecrets.includes("  listen:")) throw new Error("bus: the NATS config has no leaf-node listener (is bus.mode hub?)");
  const at = open + "leafnodes {\n".length;
  const block = [
    "  tls {",
    `    cert_file: ${JSON.stringify(files.certFile)}`,
    `    key_file: ${JSON.stringify(files.keyFile)}`,
    "    timeout: 5",
    "  }",
    "",
  ].join("\n");
  return natsSecrets.slice(0, at) + block + natsSecrets.slice(at);
}
