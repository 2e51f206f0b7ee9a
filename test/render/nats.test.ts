// NATS hub and leaf configs, checked by the real nats-server -t. That the leaf really reaches the
// hub's JetStream is shown with running servers in test/e2e/hub-leaf.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import { renderNatsConfig, renderNatsSecrets, JS_DOMAIN, NATS_SECRETS_FILE } from "../../infra/render/nats.ts";
import { makeTestCerts } from "../helpers/test-ca.ts";
import { hasTool } from "../helpers/tools.ts";
import { runTool, tempFiles } from "./tool.ts";

const TOKEN = "bus-token-0e8d7c6b/5a4f@3e2d";
const LEAF = { mode: "leaf", hubHost: "192.168.1.10", hubLeafPort: 7422 } as const;
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function check(main: string, secrets: string) {
  const t = tempFiles({ "nats.conf": main, [NATS_SECRETS_FILE]: secrets });
  cleanups.push(t.cleanup);
  return runTool("nats-server", ["-t", "-c", t.path("nats.conf")]);
}

describe("NATS config text", () => {
  it("the hub runs the network's one JetStream, on its store", () => {
    const main = renderNatsConfig({ mode: "hub", serverName: "desktop", storeDir: "/data" });
    expect(main).toContain(`jetstream {\n  store_dir: "/data"\n  domain: "${JS_DOMAIN}"\n}`);
    expect(main).toContain('listen: "0.0.0.0:4222"');
  });

  it("a leaf runs no JetStream and sends its clients' JetStream calls to the hub's domain", () => {
    const main = renderNatsConfig({ mode: "leaf", serverName: "laptop" });
    expect(main).not.toContain("jetstream");
    expect(main).toContain(`default_js_domain: { "$G": "${JS_DOMAIN}" }`);
  });

  it("a leaf dials the hub with nats-leaf:// unless the hub needs TLS", () => {
    expect(renderNatsSecrets(LEAF, TOKEN)).toContain('url: "nats-leaf://leaf:');
    expect(renderNatsSecrets(LEAF, TOKEN)).not.toContain("tls");
    const system = renderNatsSecrets({ ...LEAF, tls: {} }, TOKEN);
    expect(system).toContain('url: "tls://leaf:');
    expect(system).not.toContain("ca_file");
  });

  it("listens where it is told (tests run servers on 127.0.0.1 ports)", () => {
    const listen = { host: "127.0.0.1", client: 14222, monitor: 18222, leaf: 17422 };
    expect(renderNatsConfig({ mode: "leaf", serverName: "t", listen })).toContain('listen: "127.0.0.1:14222"\nhttp: "127.0.0.1:18222"');
    expect(renderNatsSecrets({ mode: "hub" }, TOKEN, listen)).toContain('listen: "127.0.0.1:17422"');
  });
});

describe.runIf(hasTool("nats-server"))("NATS configs (nats-server -t)", () => {
  it("the hub config is valid", () => {
    const r = check(renderNatsConfig({ mode: "hub", serverName: "desktop", storeDir: "/data" }), renderNatsSecrets({ mode: "hub" }, TOKEN));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/configuration file .* is valid/);
  });

  it("the hub config is valid with an address advertised to its leaves", () => {
    const secrets = renderNatsSecrets({ mode: "hub", advertise: "192.168.1.10:7422" }, TOKEN);
    expect(secrets).toContain('advertise: "192.168.1.10:7422"');
    const r = check(renderNatsConfig({ mode: "hub", serverName: "desktop", storeDir: "/data" }), secrets);
    expect(r.code, r.out).toBe(0);
  });

  it("the leaf config is valid, with a token that needs URL escaping", () => {
    const secrets = renderNatsSecrets(LEAF, TOKEN);
    expect(secrets).toContain(encodeURIComponent(TOKEN));
    const r = check(renderNatsConfig({ mode: "leaf", serverName: "laptop" }), secrets);
    expect(r.code, r.out).toBe(0);
  });

  it.runIf(hasTool("openssl"))("a leaf of a TLS hub dials tls:// and trusts the hub's CA file; a missing CA file fails the check", () => {
    const t = tempFiles({});
    cleanups.push(t.cleanup);
    const { caFile } = makeTestCerts(t.dir, ["nats.aios.example.com"]);
    const secrets = renderNatsSecrets({ ...LEAF, hubHost: "nats.aios.example.com", tls: { caFile } }, TOKEN);
    expect(secrets).toContain(`url: "tls://leaf:${encodeURIComponent(TOKEN)}@nats.aios.example.com:7422"`);
    expect(secrets).toContain(`tls { ca_file: ${JSON.stringify(caFile)} }`);
    const r = check(renderNatsConfig({ mode: "leaf", serverName: "desktop" }), secrets);
    expect(r.code, r.out).toBe(0);
    const broken = check(renderNatsConfig({ mode: "leaf", serverName: "desktop" }), secrets.replace(caFile, `${caFile}.missing`));
    expect(broken.code).not.toBe(0);
  });

  it("the main file holds no secret; a broken file fails the check", () => {
    const main = renderNatsConfig({ mode: "hub", serverName: "desktop", storeDir: "/data" });
    expect(main).not.toContain(TOKEN);
    const r = check(main.replace("jetstream {", "jetstream {{"), renderNatsSecrets({ mode: "hub" }, TOKEN));
    expect(r.code).not.toBe(0);
  });
});
