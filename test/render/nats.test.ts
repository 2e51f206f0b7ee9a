// NATS hub and leaf configs, checked by the real nats-server -t.
import { afterAll, describe, expect, it } from "vitest";
import { renderNatsConfig, renderNatsSecrets, NATS_SECRETS_FILE } from "../../infra/render/nats.ts";
import { hasTool } from "../helpers/tools.ts";
import { runTool, tempFiles } from "./tool.ts";

const TOKEN = "bus-token-0e8d7c6b/5a4f@3e2d";
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function check(main: string, secrets: string) {
  const t = tempFiles({ "nats.conf": main, [NATS_SECRETS_FILE]: secrets });
  cleanups.push(t.cleanup);
  return runTool("nats-server", ["-t", "-c", t.path("nats.conf")]);
}

describe.runIf(hasTool("nats-server"))("NATS configs (nats-server -t)", () => {
  it("the hub config is valid", () => {
    const r = check(
      renderNatsConfig({ serverName: "desktop", storeDir: "/data", domain: "hub" }),
      renderNatsSecrets({ mode: "hub" }, TOKEN),
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/configuration file .* is valid/);
  });

  it("the leaf config is valid, with a token that needs URL escaping", () => {
    const secrets = renderNatsSecrets({ mode: "leaf", hubHost: "192.168.1.10", hubLeafPort: 7422 }, TOKEN);
    expect(secrets).toContain(encodeURIComponent(TOKEN));
    const r = check(renderNatsConfig({ serverName: "laptop", storeDir: "/data", domain: "laptop" }), secrets);
    expect(r.code, r.out).toBe(0);
  });

  it("the main file holds no secret; a broken file fails the check", () => {
    const main = renderNatsConfig({ serverName: "laptop", storeDir: "/data", domain: "laptop" });
    expect(main).not.toContain(TOKEN);
    const r = check(main.replace("jetstream {", "jetstream {{"), renderNatsSecrets({ mode: "hub" }, TOKEN));
    expect(r.code).not.toBe(0);
  });
});
