// Signed bus payloads. Subject permissions let a member publish only under its own name, but
// nats-server lets any member that may create a consumer give a push consumer another member's
// subject as its deliver subject, and then publishes stored messages there on its behalf
// (nats-io/nats-server#8274, open upstream): a message, presence record, task or load record
// under another member's name. So every payload a receiver attributes to a member carries that
// member's signature, over the subject (or KV key) it was meant for and the payload's text; a
// replay under another subject, or a payload the member did not write, fails the check.
//  - A member's Ed25519 key is derived from its bus password: whoever holds one holds the other,
//    so signing adds no secret to hand out (Vault, files, the phone's bootstrap stay as they were).
//  - The stacks hold the bus root and derive a fleet key from it. The fleet key certifies each
//    member's public key with its id and role (AIOS_BUS_CERT, no secret); every member holds the
//    fleet's public key (AIOS_BUS_FLEET_KEY), so a receiver needs no list of the fleet's members.
//  - The signature rides inside the JSON payload, as its last field "signature", because nats.js
//    shows KV entries without their headers.
// infra/identities.ts makes the certificates; test/app/signing.test.ts and bus-identity.test.ts check it.
import { createHmac, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

/** A PKCS#8 Ed25519 private key is this prefix and the 32-byte seed (RFC 8410). */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const keyFromSeed = (seed: Buffer): KeyObject => createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
/** An Ed25519 public key as its raw 32 bytes in base64url (43 characters). */
const rawPublicKey = (k: KeyObject): string => createPublicKey(k).export({ format: "jwk" }).x!;
const publicKeyFrom = (x: string): KeyObject => createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });

const B64URL_KEY = /^[A-Za-z0-9_-]{43}$/;
const B64URL_SIG = /^[A-Za-z0-9_-]{86}$/;

const memberKey = (password: string): KeyObject => keyFromSeed(createHmac("sha256", password).update("aios-bus-signing").digest());
const fleetKey = (busRoot: string): KeyObject => keyFromSeed(createHmac("sha256", busRoot).update("aios-fleet-signing").digest());
/** What the fleet's certificate of a member says: this key signs for this member in this role. */
const certText = (member: string, role: string, key: string): Buffer => Buffer.from(`aios-member-key\n${member}\n${role}\n${key}`);

/** What a KV record is signed for: its key's subject in the bucket's stream. */
export const kvScope = (bucket: string, key: string): string => `$KV.${bucket}.${key}`;

/** The fleet's public key (AIOS_BUS_FLEET_KEY), from the bus root. */
export const fleetPublicKey = (busRoot: string): string => rawPublicKey(fleetKey(busRoot));

/** A member's certificate (AIOS_BUS_CERT): the fleet's signature of its id, role and public key. */
export const memberCertificate = (busRoot: string, member: string, role: string, password: string): string =>
  sign(null, certText(member, role, rawPublicKey(memberKey(password))), fleetKey(busRoot)).toString("base64url");

/** Who signed a payload, as its certificate says. */
export interface Signer {
  member: string;
  role: string;
}

interface SignatureField extends Signer {
  key: string;
  cert: string;
  sig: string;
}

export type Opened<T> = { ok: true; value: T } | { ok: false; reason: string };

/** How a reader checks what it receives. */
export interface Opener {
  /** `text` parsed, if signed for `scope` by a member `accept` takes; else why not. */
  open<T>(scope: string, text: string, accept: (s: Signer) => boolean): Opened<T>;
}

/** How a member seals what it publishes and opens what it receives. */
export interface Sealer extends Opener {
  /** The JSON text of `value` with this member's signature for `scope` (a subject or KV key). */
  seal(scope: string, value: object): string;
}

const MARK = ',"signature":';

/** The payload without its signature field: the text that was signed, and the field's text. */
function split(text: string): { body: string; field: string } | undefined {
  const at = text.lastIndexOf(MARK);
  if (at >= 0 && text.endsWith("}")) return { body: `${text.slice(0, at)}}`, field: text.slice(at + MARK.length, -1) };
  const alone = '{"signature":';
  if (text.startsWith(alone) && text.endsWith("}")) return { body: "{}", field: text.slice(alone.length, -1) };
  return undefined;
}

/** A bus without signing (no AIOS_BUS_FLEET_KEY): the subject permissions alone say who sent what. */
export const unsigned: Sealer = {
  seal: (_scope, value) => JSON.stringify(value),
  open<T>(_scope: string, text: string): Opened<T> {
    try {
      const value = JSON.parse(text) as T & { signature?: unknown };
      if (value && typeof value === "object") delete value.signature; // from a member that signs
      return { ok: true, value };
    } catch {
      return { ok: false, reason: "not JSON" };
    }
  },
};

/** Certificates already checked, by their text: a verify costs ~130 µs, a member sends thousands. */
const CHECKED_LIMIT = 1024;

/** A member's signing settings are wrong: `field` is the one at fault. */
export class SigningError extends Error {
  readonly field: "fleetKey" | "cert";
  constructor(field: "fleetKey" | "cert", message: string) {
    super(message);
    this.field = field;
  }
}

/** Accepts what carries a certificate of the fleet's key (the fleet tools read with only that key). */
export class FleetVerifier implements Opener {
  private readonly fleet: KeyObject;
  private readonly checked = new Map<string, KeyObject>();

  /** Throws SigningError when `fleetKey` is no public key. */
  constructor(fleetKey: string) {
    if (!B64URL_KEY.test(fleetKey)) throw new SigningError("fleetKey", "expected the fleet's public key, 43 base64url characters");
    this.fleet = publicKeyFrom(fleetKey);
  }

  /** True when the fleet certified `key` for this member and role. */
  protected certifies(member: string, role: string, key: string, cert: string): boolean {
    return verify(null, certText(member, role, key), this.fleet, Buffer.from(cert, "base64url"));
  }

  open<T>(scope: string, text: string, accept: (s: Signer) => boolean): Opened<T> {
    const parts = split(text);
    if (!parts) return { ok: false, reason: "unsigned" };
    let s: SignatureField;
    try {
      s = JSON.parse(parts.field) as SignatureField;
    } catch {
      return { ok: false, reason: "unreadable signature" };
    }
    if (typeof s.member !== "string" || typeof s.role !== "string" || typeof s.sig !== "string" || !B64URL_SIG.test(s.sig)) {
      return { ok: false, reason: "unreadable signature" };
    }
    const key = this.certified(s);
    if (!key) return { ok: false, reason: `no certificate of this fleet for "${s.member}"` };
    if (!accept(s)) return { ok: false, reason: `signed by "${s.member}" (${s.role}), who may not send this` };
    if (!verify(null, Buffer.from(`${scope}\n${parts.body}`), key, Buffer.from(s.sig, "base64url"))) {
      return { ok: false, reason: `"${s.member}"'s signature does not match (another subject, or altered)` };
    }
    try {
      return { ok: true, value: JSON.parse(parts.body) as T };
    } catch {
      return { ok: false, reason: "not JSON" };
    }
  }

  /** The public key the fleet certified for this member and role, or undefined. */
  private certified(s: SignatureField): KeyObject | undefined {
    const id = `${s.member}\n${s.role}\n${s.key}\n${s.cert}`;
    const known = this.checked.get(id);
    if (known) return known;
    if (typeof s.key !== "string" || !B64URL_KEY.test(s.key) || typeof s.cert !== "string" || !B64URL_SIG.test(s.cert)) return undefined;
    if (!this.certifies(s.member, s.role, s.key, s.cert)) return undefined;
    const key = publicKeyFrom(s.key);
    if (this.checked.size >= CHECKED_LIMIT) this.checked.clear();
    this.checked.set(id, key);
    return key;
  }
}

/** Signs with a member's own key, and checks what it receives as a FleetVerifier does. */
export class Signing extends FleetVerifier implements Sealer {
  private readonly key: KeyObject;
  /** This member's signature field, all but `sig`. */
  private readonly fieldHead: string;

  /** Throws SigningError when the certificate is not the fleet's for this member, role and password. */
  constructor(o: { member: string; role: string; password: string; cert: string; fleetKey: string }) {
    super(o.fleetKey);
    if (!B64URL_SIG.test(o.cert)) throw new SigningError("cert", "expected a certificate, 86 base64url characters");
    this.key = memberKey(o.password);
    const pub = rawPublicKey(this.key);
    if (!this.certifies(o.member, o.role, pub, o.cert)) {
      throw new SigningError("cert", `the certificate is not the fleet's for member "${o.member}" as ${o.role} with this bus password`);
    }
    this.fieldHead = JSON.stringify({ member: o.member, role: o.role, key: pub, cert: o.cert }).slice(0, -1);
  }

  seal(scope: string, value: object): string {
    const body = JSON.stringify(value);
    const sig = sign(null, Buffer.from(`${scope}\n${body}`), this.key).toString("base64url");
    const field = `${this.fieldHead},"sig":"${sig}"}`;
    return body === "{}" ? `{"signature":${field}}` : `${body.slice(0, -1)}${MARK}${field}}`;
  }
}
