// The organelles' own variables (the network-listener's, the VS Code bridge's): a bad value
// stops the service with an error naming it.
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../app/src/app.ts";
import { ConfigError, loadConfig } from "../../app/src/config.ts";
import { TEST_TOKEN } from "../helpers/service.ts";

/** Builds an organelle with `extra` in its environment; resolves with the error it fails with. */
async function failureOf(extra: Record<string, string>, role = "network-listener"): Promise<unknown> {
  const env = {
    AIOS_ROLE: role,
    AIOS_DEVICE: "laptop",
    AIOS_TOKEN: TEST_TOKEN,
    AIOS_DATA_DIR: mkdtempSync(join(tmpdir(), "aios-listener-")),
    AIOS_NATS_URLS: "nats://127.0.0.1:1", // nothing there: the bus is not the subject
    AIOS_MDNS: "off",
    ...extra,
  };
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    app = await buildApp({ config: loadConfig(env), logger: false });
    await app.ready();
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await app?.close();
  }
}

describe("network-listener configuration", () => {
  it.each([
    [{ AIOS_MDNS_EXPIRE_S: "1" }, "AIOS_MDNS_EXPIRE_S", /integer from 3 to 86400, got "1"/],
    [{ AIOS_MDNS_EXPIRE_S: "ten" }, "AIOS_MDNS_EXPIRE_S", /got "ten"/],
    [{ AIOS_MDNS: "maybe" }, "AIOS_MDNS", /on or off/],
    [{ AIOS_PRIMARY_CELL_URL: "ftp://desktop" }, "AIOS_PRIMARY_CELL_URL", /http\(s\) URL/],
  ])("rejects %j naming %s", async (extra, variable, reason) => {
    const err = await failureOf(extra);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as Error).message).toMatch(reason);
  });

  it("starts with the defaults", async () => {
    expect(await failureOf({})).toBeUndefined();
  });
});

describe("vscode-bridge configuration", () => {
  it("refuses a timeout past the two minutes nats-server lets a cell answer a request in", async () => {
    const err = await failureOf({ AIOS_BRIDGE_TIMEOUT_MS: "300000" }, "vscode-bridge");
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe("AIOS_BRIDGE_TIMEOUT_MS");
    expect((err as Error).message).toMatch(/integer from 100 to 110000, got "300000"/);
    expect(await failureOf({ AIOS_BRIDGE_TIMEOUT_MS: "110000" }, "vscode-bridge")).toBeUndefined();
  });
});
