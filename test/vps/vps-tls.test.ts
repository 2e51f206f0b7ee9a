import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { NATS_SECRETS_FILE, renderNatsConfig, renderNatsSecrets } from "../../infra/render/nats.ts";
import { busUser, leafBusUser, leafCredential } from "../../infra/identities.ts";
import { renderTraefikDynamic, renderTraefikStatic } from "../../infra/render/traefik.ts";
import { withAcmeResolver, withCertResolver, withClientTls, withLeafTls, withNatsRoute, withPublicLimits } from "../../infra/render/vps-tls.ts";
import { planServices } from "../../infra/plan.ts";
import { parseVpsConfig } from "../../infra/vps-config.ts";
import { loadStackConfig } from "../infra/stack-config.ts";
import { hasTool } from "../helpers/tools.ts";

const dir = mkdtempSync(join(tmpdir(), "aios-vps-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Traefik on the VPS", () => {
  it("asks Let's Encrypt (staging when configured) over HTTP-01 and keeps the account on a volume", () => {
    const prod = parse(withAcmeResolver(renderTraefikStatic({ httpsPort: 443 }), { email: "ops@example.com", staging: false }));
    expect(prod.certificatesResolvers.letsencrypt.acme).toEqual({ email: "ops@example.com", storage: "/letsencrypt/acme.json", httpChallenge: { entryPoint: "web" } });
    expect(prod.entryPoints.websecure.address).toBe(":443");
    const staging = parse(withAcmeResolver(renderTraefikStatic({ httpsPort: 443 }), { email: "ops@example.com", staging: true }));
    expect(staging.certificatesResolvers.letsencrypt.acme.caServer).toBe("https://acme-staging-v02.api.letsencrypt.org/directory");
  });

  it("gives every router of the real stack its certificate from the resolver, keeping rules and auth", () => {
    const raw = loadStackConfig("vps");
    const droplet = JSON.parse(raw["aios:droplet"]!);
    const cfg = parseVpsConfig({ ...raw, "digitalocean:token": "t", "digitalocean:spacesAccessId": "a", "digitalocean:spacesSecretKey": "s", "aios:droplet": JSON.stringify({ ...droplet, sshPublicKey: "ssh-ed25519 AAAA x" }) });
    const before = parse(renderTraefikDynamic({ domain: cfg.domain, services: planServices(cfg), cellBackends: [{ url: "http://father:8000" }] }));
    const after = parse(withCertResolver(renderTraefikDynamic({ domain: cfg.domain, services: planServices(cfg), cellBackends: [{ url: "http://father:8000" }] })));
    expect(Object.keys(after.http.routers)).toEqual(Object.keys(before.http.routers));
    for (const [name, r] of Object.entries(after.http.routers) as [string, { rule: string; tls: unknown; middlewares?: string[] }][]) {
      expect(r.tls).toEqual({ certResolver: "letsencrypt" });
      expect(r.rule).toBe(before.http.routers[name].rule);
      expect(r.middlewares).toEqual(before.http.routers[name].middlewares);
    }
    expect(after.http.routers.grafana.rule).toBe("Host(`grafana.aios.example.com`)");
  });
});

/**
 * Traefik's documented file-provider schema for TCP (reference/routing-configuration/tcp: router
 * fields entryPoints, rule, priority, middlewares, tls {passthrough, certResolver, options,
 * domains}, service; a service's loadBalancer.servers[].address is host:port). No Traefik binary
 * runs here, so the structure is checked against that list.
 */
function checkTraefikTcp(tcp: { routers: Record<string, Record<string, unknown>>; services: Record<string, { loadBalancer: { servers: { address: string }[] } }> }): void {
  for (const [name, r] of Object.entries(tcp.routers)) {
    for (const k of Object.keys(r)) expect(["entryPoints", "rule", "ruleSyntax", "priority", "middlewares", "tls", "service"], `${name}.${k}`).toContain(k);
    expect(r.rule, name).toMatch(/^HostSNI\(`[a-z0-9.-]+`\)$/);
    for (const k of Object.keys(r.tls as object)) expect(["passthrough", "certResolver", "options", "domains"], `${name}.tls.${k}`).toContain(k);
    expect(tcp.services, name).toHaveProperty([r.service as string]);
  }
  for (const [name, s] of Object.entries(tcp.services)) {
    expect(Object.keys(s), name).toEqual(["loadBalancer"]);
    for (const srv of s.loadBalancer.servers) expect(srv.address, name).toMatch(/^[a-z0-9.-]+:\d+$/);
  }
}

describe("phones reaching the hub through Traefik on 443", () => {
  const routes = renderTraefikDynamic({ domain: "aios.example.com", services: [], cellBackends: [{ url: "http://father:8000" }] });

  it("a TCP router for the hub's name on websecure forwards to the NATS client port, with a Let's Encrypt certificate", () => {
    const doc = parse(withCertResolver(withNatsRoute(routes, "nats.aios.example.com", "nats:4222")));
    checkTraefikTcp(doc.tcp);
    expect(doc.tcp.routers.nats).toMatchObject({ rule: "HostSNI(`nats.aios.example.com`)", entryPoints: ["websecure"], tls: { certResolver: "letsencrypt" } });
    expect(doc.tcp.services.nats.loadBalancer.servers).toEqual([{ address: "nats:4222" }]);
    expect(doc.http.routers.cells.tls).toEqual({ certResolver: "letsencrypt" }); // the HTTP routes are kept
  });

  it("the schema check itself refuses a router without a service or with an HTTP rule", () => {
    const doc = parse(withNatsRoute(routes, "nats.aios.example.com", "nats:4222"));
    expect(() => checkTraefikTcp({ ...doc.tcp, routers: { nats: { ...doc.tcp.routers.nats, rule: "Host(`nats.aios.example.com`)" } } })).toThrow();
    expect(() => checkTraefikTcp({ ...doc.tcp, services: {} })).toThrow();
  });
});

describe("limits on the public routers", () => {
  it("puts a per-address rate limit and in-flight limit ahead of every router's own middlewares, from config", () => {
    const raw = loadStackConfig("vps");
    const droplet = JSON.parse(raw["aios:droplet"]!);
    const cfg = parseVpsConfig({
      ...raw,
      "digitalocean:token": "t",
      "digitalocean:spacesAccessId": "a",
      "digitalocean:spacesSecretKey": "s",
      "aios:droplet": JSON.stringify({ ...droplet, sshPublicKey: "ssh-ed25519 AAAA x" }),
      "aios:publicLimits": JSON.stringify({ average: 20, burst: 40, inFlight: 8 }),
    });
    const before = parse(renderTraefikDynamic({ domain: cfg.domain, services: planServices(cfg), cellBackends: [{ url: "http://father:8000" }] }));
    const routes = withNatsRoute(renderTraefikDynamic({ domain: cfg.domain, services: planServices(cfg), cellBackends: [{ url: "http://father:8000" }] }), "nats.aios.example.com", "nats:4222");
    const doc = parse(withPublicLimits(routes, cfg.publicLimits));
    expect(doc.http.middlewares["public-rate-limit"]).toEqual({ rateLimit: { average: 20, burst: 40, period: "1s" } });
    expect(doc.http.middlewares["public-in-flight"]).toEqual({ inFlightReq: { amount: 8 } });
    for (const [name, r] of Object.entries(doc.http.routers) as [string, { middlewares: string[] }][]) {
      expect(r.middlewares, name).toEqual(["public-rate-limit", "public-in-flight", ...(before.http.routers[name].middlewares ?? [])]);
    }
    expect(doc.http.routers.traefik.middlewares).toEqual(["public-rate-limit", "public-in-flight", "dashboard-auth"]);
    expect(doc.tcp.middlewares).toEqual({ "public-in-flight": { inFlightConn: { amount: 8 } } });
    expect(doc.tcp.routers.nats.middlewares).toEqual(["public-in-flight"]);
    checkTraefikTcp(doc.tcp);
  });

  it("refuses a bad limit naming the key", () => {
    const raw = loadStackConfig("vps");
    const droplet = JSON.parse(raw["aios:droplet"]!);
    const bad = { ...raw, "digitalocean:token": "t", "digitalocean:spacesAccessId": "a", "digitalocean:spacesSecretKey": "s", "aios:droplet": JSON.stringify({ ...droplet, sshPublicKey: "ssh-ed25519 AAAA x" }) };
    expect(() => parseVpsConfig({ ...bad, "aios:publicLimits": JSON.stringify({ average: 0 }) })).toThrow(/publicLimits\.average/);
    expect(() => parseVpsConfig({ ...bad, "aios:publicLimits": JSON.stringify({ period: "soon" }) })).toThrow(/publicLimits\.period: expected a duration/);
  });
});

const ROOT = "bus-token-0e8d7c6b5a4f3e2d";

describe("the hub's public leaf-node port", () => {
  const secrets = withLeafTls(renderNatsSecrets({ mode: "hub", leaves: [leafBusUser(ROOT, "desktop", [{ id: "nous", role: "cell" }], [])] }, [busUser(ROOT, { id: "father", role: "cell" })]), {
    certFile: join(dir, "cert.pem"),
    keyFile: join(dir, "key.pem"),
  });

  it("requires TLS inside the leafnodes block; the leaf's user, in the main block, signs in as a leaf only", () => {
    const leaf = secrets.slice(secrets.indexOf("leafnodes {"));
    expect(leaf).toContain("tls {");
    expect(secrets).toMatch(/user: "leaf-desktop"\n {6}password: "\$2a\$04\$[^"]{53}"\n {6}allowed_connection_types: \["LEAFNODE"\]/);
    const leafRole = { mode: "leaf", hubHost: "h", hubLeafPort: 7422, credential: leafCredential(ROOT, "desktop") } as const;
    expect(() => withLeafTls(renderNatsSecrets(leafRole, [busUser(ROOT, { id: "alpha", role: "cell" })]), { certFile: "/c", keyFile: "/k" })).toThrow(/^bus:/);
  });

  it.runIf(hasTool("nats-server") && hasTool("openssl"))("is a config nats-server accepts (with the client port offering TLS), with a real certificate", () => {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=nats.aios.example.com",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    writeFileSync(join(dir, NATS_SECRETS_FILE), secrets);
    const tlsFiles = { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") };
    writeFileSync(join(dir, "nats.conf"), withClientTls(renderNatsConfig({ mode: "hub", serverName: "vps", storeDir: join(dir, "js") }), tlsFiles));
    const ok = spawnSync("nats-server", ["-t", "-c", join(dir, "nats.conf")], { encoding: "utf8" });
    expect(`${ok.stdout}${ok.stderr}`).toMatch(/configuration file .* is valid/);
    // And the check is real: a missing certificate file is refused.
    writeFileSync(join(dir, NATS_SECRETS_FILE), secrets.replace(join(dir, "cert.pem"), join(dir, "missing.pem")));
    expect(spawnSync("nats-server", ["-t", "-c", join(dir, "nats.conf")], { encoding: "utf8" }).status).not.toBe(0);
  });
});
