import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../app/src/config.ts";
import { configErrorOf } from "../helpers/config-error.ts";

const base = { AIOS_ROLE: "cell", AIOS_CELL_ID: "alpha", AIOS_DEVICE: "laptop", AIOS_TOKEN: "a-token-of-16-chars-or-more" };

const errorOf = configErrorOf;

describe("service configuration (environment only)", () => {
  it("applies role defaults: cell on 8000, discovery on 8001 with a derived id", () => {
    const cell = loadConfig(base);
    expect(cell).toMatchObject({ role: "cell", port: 8000, natsUrls: ["nats://127.0.0.1:4222"], level: 0 });
    const disc = loadConfig({ ...base, AIOS_ROLE: "discovery", AIOS_CELL_ID: "" });
    expect(disc).toMatchObject({ port: 8001, cellId: "discovery-laptop" });
  });

  it("has abuse and overload limits by default, and trusts no proxy", () => {
    const c = loadConfig(base);
    expect(c.limits).toMatchObject({ rateMax: 1200, rateWindowMs: 60_000, authFailMax: 10, maxEventLoopDelayMs: 1000, retryAfterS: 5 });
    expect(c.limits.maxHeapUsedBytes).toBeGreaterThan(0);
    expect(c.limits.drainLimitBytes).toBe(16 * 1024 * 1024);
    expect(c.trustProxy).toEqual([]);
    expect(loadConfig({ ...base, AIOS_TRUST_PROXY: "172.29.0.0/16, 127.0.0.1" }).trustProxy).toEqual(["172.29.0.0/16", "127.0.0.1"]);
  });

  it("keeps the bus URLs in the configured order", () => {
    const c = loadConfig({ ...base, AIOS_NATS_URLS: "nats://192.0.2.1:4222, tls://hub.example.org:7422" });
    expect(c.natsUrls).toEqual(["nats://192.0.2.1:4222", "tls://hub.example.org:7422"]);
  });

  it("reads the token from AIOS_TOKEN_FILE", () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-cfg-"));
    writeFileSync(join(dir, "token"), "file-token-0123456789\n");
    const { AIOS_TOKEN: _t, ...noToken } = base;
    expect(loadConfig({ ...noToken, AIOS_TOKEN_FILE: join(dir, "token") }).token).toBe("file-token-0123456789");
  });

  it.each([
    [{ AIOS_ROLE: "" }, "AIOS_ROLE", /required/],
    [{ AIOS_ROLE: "king" }, "AIOS_ROLE", /expected one of cell, discovery/],
    [{ AIOS_CELL_ID: "" }, "AIOS_CELL_ID", /required/],
    [{ AIOS_CELL_ID: "Bad_Id" }, "AIOS_CELL_ID", /lowercase/],
    [{ AIOS_DEVICE: "" }, "AIOS_DEVICE", /required/],
    [{ AIOS_PORT: "80000" }, "AIOS_PORT", /integer from 0 to 65535/],
    [{ AIOS_PORT: "abc" }, "AIOS_PORT", /got "abc"/],
    [{ AIOS_NATS_URLS: "http://x:4222" }, "AIOS_NATS_URLS", /nats:\/\//],
    [{ AIOS_LEVEL: "11" }, "AIOS_LEVEL", /from 0 to 10/],
    [{ AIOS_TOKEN: "" }, "AIOS_TOKEN", /required/],
    [{ AIOS_TOKEN: "short" }, "AIOS_TOKEN", /shorter than 16/],
    [{ AIOS_TOKEN: "", AIOS_TOKEN_FILE: "/nonexistent/token" }, "AIOS_TOKEN_FILE", /cannot read/],
    [{ AIOS_HEARTBEAT_MS: "5000", AIOS_DOWN_AFTER_MS: "3000" }, "AIOS_DOWN_AFTER_MS", /longer than/],
    [{ AIOS_PUBLIC_URL: "ftp://x" }, "AIOS_PUBLIC_URL", /http/],
    [{ AIOS_INBOX_KEEP: "10" }, "AIOS_INBOX_KEEP", /integer from 1000 to 1000000/],
    [{ AIOS_RATE_LIMIT: "0" }, "AIOS_RATE_LIMIT", /integer from 1/],
    [{ AIOS_RATE_WINDOW_S: "1m" }, "AIOS_RATE_WINDOW_S", /got "1m"/],
    [{ AIOS_AUTH_FAIL_LIMIT: "-1" }, "AIOS_AUTH_FAIL_LIMIT", /integer from 1/],
    [{ AIOS_MAX_EVENT_LOOP_DELAY_MS: "fast" }, "AIOS_MAX_EVENT_LOOP_DELAY_MS", /integer from 0/],
    [{ AIOS_MAX_HEAP_MB: "1.5" }, "AIOS_MAX_HEAP_MB", /integer/],
    [{ AIOS_RETRY_AFTER_S: "0" }, "AIOS_RETRY_AFTER_S", /integer from 1 to 3600/],
    [{ AIOS_BODY_DRAIN_LIMIT: "2048" }, "AIOS_BODY_DRAIN_LIMIT", /at least AIOS_BODY_LIMIT \(1048576\)/],
    [{ AIOS_TRUST_PROXY: "traefik" }, "AIOS_TRUST_PROXY", /addresses or CIDRs/],
    [{ AIOS_DRAIN_MS: "soon" }, "AIOS_DRAIN_MS", /integer from 0 to 60000/],
  ])("rejects %j naming %s", (override, variable, reason) => {
    const err = errorOf({ ...base, ...override } as Record<string, string>);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(reason);
  });

  it("never echoes a secret in an error", () => {
    const url = errorOf({ ...base, AIOS_NATS_URLS: "nats://s3cr3t-bus-token@hub:4222,http://x" });
    expect(url.variable).toBe("AIOS_NATS_URLS");
    const bad = errorOf({ ...base, AIOS_NATS_URLS: "http://user:s3cr3t@hub:4222" });
    expect(bad.message).toContain("//***@hub");
    expect(`${url.message}${bad.message}`).not.toContain("s3cr3t");
    const err = errorOf({ ...base, AIOS_TOKEN: "sekrit" });
    expect(err.message).not.toContain("sekrit");
    const both = errorOf({ ...base, AIOS_TOKEN_FILE: "/x" });
    expect(both.message).not.toContain(base.AIOS_TOKEN);
  });
});
