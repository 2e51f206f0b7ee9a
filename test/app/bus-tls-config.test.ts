// TLS to the bus from the environment: nats:// stays plain, a tls:// URL upgrades when offered,
// AIOS_NATS_TLS_FIRST / AIOS_NATS_CA_FILE require TLS on every server. That a cell really joins
// this way is shown in test/e2e/vps-hub-tls.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, type ConfigError } from "../../app/src/config.ts";
import { configErrorOf } from "../helpers/config-error.ts";

const base = { AIOS_ROLE: "cell", AIOS_CELL_ID: "beta", AIOS_DEVICE: "phone", AIOS_TOKEN: "a-token-of-16-chars-or-more" };
const dir = mkdtempSync(join(tmpdir(), "aios-bus-tls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CA = join(dir, "ca.pem");
writeFileSync(CA, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
const NOT_PEM = join(dir, "notes.txt");
writeFileSync(NOT_PEM, "not a certificate\n");
const HUB = "tls://s3cret-bus-token-0123@nats.aios.example.com:443";

const errorOf = (env: Record<string, string>): ConfigError => configErrorOf({ ...base, ...env });

describe("bus TLS settings", () => {
  it("nats:// URLs stay plain; a tls:// URL upgrades when the server offers TLS", () => {
    expect(loadConfig({ ...base, AIOS_NATS_URLS: "nats://nats:4222" }).natsTls).toEqual({ mode: "plain" });
    expect(loadConfig({ ...base, AIOS_NATS_URLS: "nats://192.0.2.1:4222,tls://hub.example.org:4222" }).natsTls).toEqual({ mode: "offered" });
  });

  it("TLS first with a CA file, for the hub behind Traefik on 443", () => {
    const c = loadConfig({ ...base, AIOS_NATS_URLS: HUB, AIOS_NATS_TLS_FIRST: "true", AIOS_NATS_CA_FILE: CA });
    expect(c.natsTls).toEqual({ mode: "required", handshakeFirst: true, caFile: CA });
    expect(loadConfig({ ...base, AIOS_NATS_URLS: HUB, AIOS_NATS_TLS_FIRST: "true" }).natsTls).toEqual({ mode: "required", handshakeFirst: true });
    expect(loadConfig({ ...base, AIOS_NATS_URLS: HUB, AIOS_NATS_CA_FILE: CA }).natsTls).toEqual({ mode: "required", handshakeFirst: false, caFile: CA });
  });

  it.each([
    [{ AIOS_NATS_URLS: HUB, AIOS_NATS_TLS_FIRST: "yes" }, "AIOS_NATS_TLS_FIRST", /expected true or false, got "yes"/],
    [{ AIOS_NATS_URLS: `nats://192.0.2.1:4222,${HUB}`, AIOS_NATS_TLS_FIRST: "true" }, "AIOS_NATS_TLS_FIRST", /tls:\/\/ URLs only, got "nats:\/\/192.0.2.1:4222"/],
    [{ AIOS_NATS_URLS: "nats://192.0.2.1:4222", AIOS_NATS_CA_FILE: CA }, "AIOS_NATS_CA_FILE", /tls:\/\/ URLs only/],
    [{ AIOS_NATS_URLS: HUB, AIOS_NATS_CA_FILE: join(dir, "missing.pem") }, "AIOS_NATS_CA_FILE", /cannot read ".*missing.pem" \(ENOENT\)/],
    [{ AIOS_NATS_URLS: HUB, AIOS_NATS_CA_FILE: NOT_PEM }, "AIOS_NATS_CA_FILE", /holds no PEM certificate/],
  ])("rejects %j naming %s", (env, variable, reason) => {
    const err = errorOf(env);
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(reason);
  });

  it("never echoes the bus token inside a URL in an error", () => {
    const err = errorOf({ AIOS_NATS_URLS: `${HUB},nats://s3cret-bus-token-0123@192.0.2.1:4222`, AIOS_NATS_TLS_FIRST: "true" });
    expect(err.message).not.toContain("s3cret-bus-token-0123");
  });
});
