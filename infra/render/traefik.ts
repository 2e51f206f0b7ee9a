// Traefik, from its file provider only (no Docker socket): the static config, the dynamic
// routes (host routes, /cells/<id> path routes, the cells.<domain> load balancer, protected
// dashboards) and the basic-auth users file.
import { stringify } from "yaml";
import { FLEET_HOST, TRAEFIK_PORTS, type ServiceSpec } from "../plan.ts";

export const TRAEFIK_DIR = "/etc/traefik";
export const TRAEFIK_FILES = {
  static: `${TRAEFIK_DIR}/traefik.yml`,
  dynamic: `${TRAEFIK_DIR}/dynamic.yml`,
  users: `${TRAEFIK_DIR}/users`,
  cert: `${TRAEFIK_DIR}/tls/cert.pem`,
  key: `${TRAEFIK_DIR}/tls/key.pem`,
} as const;
export const AUTH_MIDDLEWARE = "dashboard-auth";
export const CELLS_SERVICE = "cells";
const HEALTH = { interval: "10s", timeout: "3s" };

export function renderTraefikStatic(opts: { httpsPort: number }): string {
  const to = opts.httpsPort === 443 ? "websecure" : `:${opts.httpsPort}`;
  return stringify({
    entryPoints: {
      web: { address: `:${TRAEFIK_PORTS.web}`, http: { redirections: { entryPoint: { to, scheme: "https", permanent: true } } } },
      websecure: { address: `:${TRAEFIK_PORTS.websecure}`, http: { tls: {} } },
      metrics: { address: `:${TRAEFIK_PORTS.metrics}` },
      traefik: { address: `:${TRAEFIK_PORTS.api}` },
    },
    api: { dashboard: true },
    ping: { entryPoint: "traefik" },
    metrics: { prometheus: { entryPoint: "metrics" } },
    providers: { file: { filename: TRAEFIK_FILES.dynamic, watch: true } },
    log: { level: "INFO" },
  });
}

export interface TraefikRoutes {
  domain: string;
  services: ServiceSpec[];
  /** Members of the cells.<domain> load balancer (every cell of every device). */
  cellBackends: { url: string }[];
}

interface Router {
  rule: string;
  service: string;
  entryPoints: string[];
  tls: Record<string, never>;
  middlewares?: string[];
}

export function renderTraefikDynamic(opts: TraefikRoutes): string {
  const routers: Record<string, Router> = {};
  const services: Record<string, unknown> = {};
  const middlewares: Record<string, unknown> = { [AUTH_MIDDLEWARE]: { basicAuth: { usersFile: TRAEFIK_FILES.users } } };
  const route = (rule: string, service: string, mw?: string[]): Router => ({
    rule,
    service,
    entryPoints: ["websecure"],
    tls: {},
    ...(mw ? { middlewares: mw } : {}),
  });
  const host = (name: string) => `Host(\`${name}.${opts.domain}\`)`;

  for (const s of opts.services) {
    if (!s.routed) continue;
    if (s.kind === "traefik") {
      routers.traefik = route(host("traefik"), "api@internal", [AUTH_MIDDLEWARE]);
      continue;
    }
    routers[s.name] = route(host(s.name), s.name, s.protectedRoute ? [AUTH_MIDDLEWARE] : undefined);
    services[s.name] = {
      loadBalancer: { servers: [{ url: `http://${s.name}:${s.port}` }], healthCheck: { path: s.healthPath, ...HEALTH } },
    };
    // the fleet map is the discovery service's page at `/`
    if (s.kind === "discovery") routers[FLEET_HOST] = route(host(FLEET_HOST), s.name);
    if (s.kind === "cell") {
      const strip = `${s.name}-strip`;
      middlewares[strip] = { stripPrefix: { prefixes: [`/cells/${s.name}`] } };
      routers[`${s.name}-path`] = route(`PathPrefix(\`/cells/${s.name}\`)`, s.name, [strip]);
    }
  }
  if (opts.cellBackends.length) {
    routers[CELLS_SERVICE] = route(host(CELLS_SERVICE), CELLS_SERVICE);
    services[CELLS_SERVICE] = {
      loadBalancer: {
        servers: opts.cellBackends.map((b) => ({ url: b.url })),
        healthCheck: { path: "/health", ...HEALTH },
      },
    };
  }
  const cert = { certFile: TRAEFIK_FILES.cert, keyFile: TRAEFIK_FILES.key };
  return stringify({
    http: { routers, middlewares, services },
    tls: { certificates: [cert], stores: { default: { defaultCertificate: cert } } },
  });
}

/** htpasswd line for the dashboards; the hash is bcrypt, made by the stack. */
export function renderUsersFile(user: string, bcryptHash: string): string {
  return `${user}:${bcryptHash}\n`;
}
