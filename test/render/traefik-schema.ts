// The file-provider structure Traefik documents, as assertions: every router names a rule, the
// websecure entry point, TLS, a service that exists (or an @internal one) and middlewares that exist.
import { expect } from "vitest";
import { parse } from "yaml";
import { TRAEFIK_FILES } from "../../infra/render/traefik.ts";

export interface Dynamic {
  http: {
    routers: Record<string, { rule: string; service: string; entryPoints: string[]; tls?: object; middlewares?: string[] }>;
    middlewares: Record<string, Record<string, unknown>>;
    services: Record<string, { loadBalancer: { servers: { url: string }[]; healthCheck?: { path: string } } }>;
  };
  tls: { certificates: { certFile: string; keyFile: string }[]; stores: { default: { defaultCertificate: object } } };
}

const MIDDLEWARE_KINDS = ["basicAuth", "stripPrefix", "retry"];

export function checkTraefikDynamic(text: string): Dynamic {
  const d = parse(text) as Dynamic;
  expect(Object.keys(d).sort()).toEqual(["http", "tls"]);
  for (const [name, r] of Object.entries(d.http.routers)) {
    expect(r.rule, name).toMatch(/^(Host|PathPrefix)\(`[^`]+`\)$/);
    expect(r.entryPoints, name).toEqual(["websecure"]);
    expect(r.tls, name).toEqual({});
    if (!r.service.endsWith("@internal")) expect(d.http.services, `router ${name}`).toHaveProperty([r.service]);
    for (const m of r.middlewares ?? []) expect(d.http.middlewares, `router ${name}`).toHaveProperty([m]);
  }
  for (const [name, m] of Object.entries(d.http.middlewares)) {
    expect(Object.keys(m).length, name).toBe(1);
    expect(MIDDLEWARE_KINDS, name).toContain(Object.keys(m)[0]);
  }
  for (const [name, s] of Object.entries(d.http.services)) {
    expect(s.loadBalancer.servers.length, name).toBeGreaterThan(0);
    for (const srv of s.loadBalancer.servers) expect(() => new URL(srv.url), name).not.toThrow();
    expect(s.loadBalancer.healthCheck?.path, name).toMatch(/^\//);
  }
  expect(d.tls.certificates).toEqual([{ certFile: TRAEFIK_FILES.cert, keyFile: TRAEFIK_FILES.key }]);
  return d;
}

