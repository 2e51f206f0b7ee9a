// Signed bus payloads (app/src/lib/signing.ts): what a receiver takes, what it refuses and why,
// and how a member's start refuses a certificate that is not its own.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../app/src/config.ts";
import { configErrorOf } from "../helpers/config-error.ts";
import { FleetVerifier, fleetPublicKey, memberCertificate, Signing, unsigned, type Signer } from "../../app/src/lib/signing.ts";

const ROOT = "bus-root-of-the-signing-tests-0123456789";
const OTHER_ROOT = "the-root-of-another-fleet-0123456789abcd";
const password = (id: string) => `password-of-${id}-0123456789`;
const member = (id: string, role = "cell", root = ROOT) =>
  new Signing({ member: id, role, password: password(id), cert: memberCertificate(root, id, role, password(id)), fleetKey: fleetPublicKey(ROOT) });
const from = (id: string) => (s: Signer) => s.member === id;

describe("signed bus payloads", () => {
  const alpha = member("alpha");
  const beta = member("beta");
  const subject = "aios.msg.alpha.to.beta";
  const message = { id: "m-1", from: "alpha", to: "beta", body: { text: "hello", n: [1, 2.5, -0], nested: { signature: "not this one" } }, sent_at: "2026-12-01T00:00:00.000Z" };

  it("a receiver takes a payload signed for its subject by the member it expects, exactly as sent", () => {
    const opened = beta.open(subject, alpha.seal(subject, message), from("alpha"));
    expect(opened).toEqual({ ok: true, value: JSON.parse(JSON.stringify(message)) });
    expect(beta.open("$KV.b.k", alpha.seal("$KV.b.k", {}), from("alpha"))).toEqual({ ok: true, value: {} });
  });

  it("refuses the same payload under another subject: a replay onto another member's subject", () => {
    const sealed = alpha.seal(subject, message);
    expect(beta.open("aios.msg.alpha.to.gamma", sealed, from("alpha"))).toEqual({ ok: false, reason: `"alpha"'s signature does not match (another subject, altered, or for another receiver)` });
  });

  it("refuses a payload altered after it was signed, or one signed by a member it does not expect", () => {
    const sealed = alpha.seal(subject, message);
    expect(beta.open(subject, sealed.replace('"hello"', '"hullo"'), from("alpha")).ok).toBe(false);
    expect(beta.open(subject, sealed, from("gamma"))).toEqual({ ok: false, reason: 'signed by "alpha" (cell), who may not send this' });
    expect(beta.open(subject, beta.seal(subject, message), from("alpha"))).toEqual({ ok: false, reason: 'signed by "beta" (cell), who may not send this' });
  });

  it("refuses a signature whose claimed member or role the fleet did not certify", () => {
    const sealed = alpha.seal(subject, message);
    const renamed = sealed.replace('"member":"alpha"', '"member":"gamma"');
    expect(beta.open(subject, renamed, from("gamma"))).toEqual({ ok: false, reason: 'no certificate of this fleet for "gamma"' });
    const promoted = sealed.replace('"role":"cell"', '"role":"task-dispatcher"');
    expect(beta.open(subject, promoted, () => true).ok).toBe(false);
  });

  it("refuses a member certified by another fleet's key", () => {
    // a Signing checks its own certificate with the fleet key it is given: another fleet's does not pass
    expect(() => member("mallory", "cell", OTHER_ROOT)).toThrow(/not the fleet's for member "mallory"/);
  });

  it("refuses what is unsigned or unreadable", () => {
    expect(beta.open(subject, JSON.stringify(message), from("alpha"))).toEqual({ ok: false, reason: "unsigned" });
    expect(beta.open(subject, '{"a":1,"signature":{"member":', from("alpha")).ok).toBe(false);
    expect(beta.open(subject, '{"a":1,"signature":{"member":"alpha","role":"cell","key":"x","cert":"y","sig":"z"}}', from("alpha")).ok).toBe(false);
  });

  it("a message for one receiver whose keys the sender has seen goes with their pair's HMAC, which only that receiver takes", () => {
    const a = member("alpha");
    const b = member("beta");
    const c = member("gamma");
    const to = (receiver: string) => `aios.msg.alpha.to.${receiver}`;
    // before alpha has seen beta's keys: signed
    expect(JSON.parse(a.seal(to("beta"), message, "beta")).signature).toHaveProperty("sig");
    // alpha sees beta's keys in anything beta signed (its presence record, as it beats)
    expect(a.open("$KV.aios_presence.beta", b.seal("$KV.aios_presence.beta", { cell_id: "beta" }), from("beta")).ok).toBe(true);
    const paired = a.seal(to("beta"), message, "beta");
    const field = JSON.parse(paired).signature as Record<string, string>;
    expect(field).toHaveProperty("mac");
    expect(field).not.toHaveProperty("sig");
    expect(b.open(to("beta"), paired, from("alpha"))).toEqual({ ok: true, value: JSON.parse(JSON.stringify(message)) });
    // another receiver, another subject, an altered body, a fleet tool: refused
    expect(c.open(to("beta"), paired, from("alpha")).ok).toBe(false);
    expect(b.open(to("gamma"), paired, from("alpha")).ok).toBe(false);
    expect(b.open(to("beta"), paired.replace('"hello"', '"hullo"'), from("alpha")).ok).toBe(false);
    expect(new FleetVerifier(fleetPublicKey(ROOT)).open(to("beta"), paired, from("alpha")).ok).toBe(false);
    // and beta answers alpha with their pair's HMAC too: it saw alpha's keys in the message
    const back = b.seal("aios.msg.beta.to.alpha", message, "alpha");
    expect(JSON.parse(back).signature).toHaveProperty("mac");
    expect(a.open("aios.msg.beta.to.alpha", back, from("beta")).ok).toBe(true);
  });

  it("a member without signing takes payloads of both kinds, without the signature field", () => {
    expect(unsigned.open(subject, alpha.seal(subject, message), () => false)).toEqual({ ok: true, value: JSON.parse(JSON.stringify(message)) });
    expect(unsigned.open(subject, unsigned.seal(subject, message), () => false)).toEqual({ ok: true, value: JSON.parse(JSON.stringify(message)) });
    expect(unsigned.open(subject, "not json", () => true)).toEqual({ ok: false, reason: "not JSON" });
  });
});

describe("a member's signing settings", () => {
  const base = { AIOS_ROLE: "cell", AIOS_CELL_ID: "alpha", AIOS_DEVICE: "desktop", AIOS_TOKEN: "api-token-0123456789", AIOS_NATS_USER: "alpha", AIOS_NATS_TOKEN: password("alpha") };
  const signed = { ...base, AIOS_BUS_FLEET_KEY: fleetPublicKey(ROOT), AIOS_BUS_CERT: memberCertificate(ROOT, "alpha", "cell", password("alpha")) };
  const errorOf = configErrorOf;

  it("signs with its certificate and the fleet key, and without either signs nothing", () => {
    expect(loadConfig(signed).sealer).toBeInstanceOf(Signing);
    expect(loadConfig(base).sealer).toBe(unsigned);
  });

  it("refuses a certificate of another member, role or password, naming AIOS_BUS_CERT and no secret", () => {
    const cases = [
      { ...signed, AIOS_BUS_CERT: memberCertificate(ROOT, "beta", "cell", password("alpha")) },
      { ...signed, AIOS_BUS_CERT: memberCertificate(ROOT, "alpha", "task-dispatcher", password("alpha")) },
      { ...signed, AIOS_NATS_TOKEN: password("beta") },
      { ...signed, AIOS_BUS_FLEET_KEY: fleetPublicKey(OTHER_ROOT) },
    ];
    for (const env of cases) {
      const err = errorOf(env);
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.variable).toBe("AIOS_BUS_CERT");
      expect(err.message).toContain('not the fleet\'s for member "alpha" as cell');
      expect(err.message).not.toContain(env.AIOS_NATS_TOKEN);
    }
  });

  it("wants both values, a bus user of its own, and well-formed keys", () => {
    expect(errorOf({ ...base, AIOS_BUS_CERT: signed.AIOS_BUS_CERT }).variable).toBe("AIOS_BUS_FLEET_KEY");
    expect(errorOf({ ...base, AIOS_BUS_FLEET_KEY: signed.AIOS_BUS_FLEET_KEY }).variable).toBe("AIOS_BUS_CERT");
    const { AIOS_NATS_USER: _u, AIOS_NATS_TOKEN: _t, ...noUser } = signed;
    expect(errorOf(noUser).variable).toBe("AIOS_NATS_USER");
    expect(errorOf({ ...signed, AIOS_BUS_FLEET_KEY: "short" }).variable).toBe("AIOS_BUS_FLEET_KEY");
    expect(errorOf({ ...signed, AIOS_BUS_CERT: "short" }).variable).toBe("AIOS_BUS_CERT");
  });
});
