import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { NATS_SECRETS_FILE, renderNatsConfig, renderNatsSecrets } from "../../infra/render/nats.ts";
import { renderTraefikDynamic, renderTraefikStatic } from "../../infra/render/traefik.ts";
import { withAcmeResolver, withCertResolver, withLeafTls } from "../../infra/render/vps-tls.ts";
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

describe("the hub's public leaf-node port", () => {
  const secrets = withLeafTls(renderNatsSecrets({ mode: "hub" }, "bus-token-0e8d7c6b5a4f3e2d"), {
    certFile: join(dir, "cert.pem"),
    keyFile: join(dir, "key.pem"),
  });

  it("requires TLS inside the leafnodes block, next to the leaf password", () => {
    const leaf = secrets.slice(secrets.indexOf("leafnodes {"));
    expect(leaf).toContain("tls {");
    expect(leaf).toContain('user: "leaf"');
    expect(() => withLeafTls(renderNatsSecrets({ mode: "leaf", hubHost: "h", hubLeafPort: 7422 }, "x".repeat(16)), { certFile: "/c", keyFile: "/k" })).toThrow(/^bus:/);
  });

  it.runIf(hasTool("nats-server") && hasTool("openssl"))("is a config nats-server accepts, with a real certificate", () => {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=nats.aios.example.com",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    writeFileSync(join(dir, NATS_SECRETS_FILE), secrets);
    writeFileSync(join(dir, "nats.conf"), renderNatsConfig({ mode: "hub", serverName: "vps", storeDir: join(dir, "js") }));
    const ok = spawnSync("nats-server", ["-t", "-c", join(dir, "nats.conf")], { encoding: "utf8" });
    expect(`${ok.stdout}${ok.stderr}`).toMatch(/configuration file .* is valid/);
    // And the check is real: a missing certificate file is refused.
    writeFileSync(join(dir, NATS_SECRETS_FILE), secrets.replace(join(dir, "cert.pem"), join(dir, "missing.pem")));
    expect(spawnSync("nats-server", ["-t", "-c", join(dir, "nats.conf")], { encoding: "utf8" }).status).not.toBe(0);
  });
});
