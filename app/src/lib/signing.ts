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
//  - A message for one receiver carries, once the sender knows the receiver's key, an HMAC with
//    their pair key instead (X25519 between the two members' certified keys): an Ed25519 check
//    costs ~130 µs on this VM, an HMAC ~4. Only the two can make it, and the receiver could make
//    it only for a message to itself. Broadcasts, records and tasks stay signed.
// infra/identities.ts makes the certificates; test/app/signing.test.ts and bus-identity.test.ts check it.
import { createHmac, createPrivateKey, createPublicKey, createSecretKey, diffieHellman, hkdfSync, sign, timingSafeEqual, verify, type KeyObject } from "node:crypto";

/** PKCS#8 Ed25519 and X25519 private keys are these prefixes and the 32-byte seed (RFC 8410). */
const PKCS8 = { Ed25519: "302e020100300506032b657004220420", X25519: "302e020100300506032b656e04220420" };
type Curve = keyof typeof PKCS8;
const keyFromSeed = (curve: Curve, seed: Buffer): KeyObject =>
  createPrivateKey({ key: Buffer.concat([Buffer.from(PKCS8[curve], "hex"), seed]), format: "der", type: "pkcs8" });
/** A public key as its raw 32 bytes in base64url (43 characters). */
const rawPublicKey = (k: KeyObject): string => createPublicKey(k).export({ format: "jwk" }).x!;
const publicKeyFrom = (curve: Curve, x: string): KeyObject => createPublicKey({ key: { kty: "OKP", crv: curve, x }, format: "jwk" });

const B64URL_KEY = /^[A-Za-z0-9_-]{43}$/;
const B64URL_SIG = /^[A-Za-z0-9_-]{86}$/;
/** An HMAC-SHA256 tag, 32 bytes. */
const B64URL_MAC = B64URL_KEY;

const seed = (secret: string, label: string): Buffer => createHmac("sha256", secret).update(label).digest();
const memberKey = (password: string): KeyObject => keyFromSeed("Ed25519", seed(password, "aios-bus-signing"));
const memberDhKey = (password: string): KeyObject => keyFromSeed("X25519", seed(password, "aios-bus-pairing"));
const fleetKey = (busRoot: string): KeyObject => keyFromSeed("Ed25519", seed(busRoot, "aios-fleet-signing"));
/** What the fleet's certificate of a member says: these keys sign and pair for this member in this role. */
const certText = (member: string, role: string, key: string, dh: string): Buffer => Buffer.from(`aios-member-key\n${member}\n${role}\n${key}\n${dh}`);

/** What a KV record is signed for: its key's subject in the bucket's stream. */
export const kvScope = (bucket: string, key: string): string => `$KV.${bucket}.${key}`;

/** The fleet's public key (AIOS_BUS_FLEET_KEY), from the bus root. */
export const fleetPublicKey = (busRoot: string): string => rawPublicKey(fleetKey(busRoot));

/** A member's certificate (AIOS_BUS_CERT): the fleet's signature of its id, role and public key. */
export const memberCertificate = (busRoot: string, member: string, role: string, password: string): string =>
  sign(null, certText(member, role, rawPublicKey(memberKey(password)), rawPublicKey(memberDhKey(password))), fleetKey(busRoot)).toString("base64url");

/** Who signed a payload, as its certificate says. */
export interface Signer {
  member: string;
  role: string;
}

interface SignatureField extends Signer {
  /** The member's Ed25519 and X25519 public keys, and the fleet's certificate of both. */
  key: string;
  dh: string;
  cert: string;
  /** Its Ed25519 signature, or (a message for one receiver) the HMAC with their pair key. */
  sig?: string;
  mac?: string;
}

export type Opened<T> = { ok: true; value: T } | { ok: false; reason: string };

/** How a reader checks what it receives. */
export interface Opener {
  /** `text` parsed, if signed for `scope` by a member `accept` takes; else why not. */
  open<T>(scope: string, text: string, accept: (s: Signer) => boolean): Opened<T>;
}

/** How a member seals what it publishes and opens what it receives. */
export interface Sealer extends Opener {
  /**
   * The JSON text of `value` with this member's signature for `scope` (a subject or KV key);
   * for one receiver `to`, whose keys it has seen, their pair's HMAC instead.
   */
  seal(scope: string, value: object, to?: string): string;
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

/** A member's keys as the fleet certified them. */
interface Certified {
  key: KeyObject;
  /** Its X25519 public key, raw (what a pair key is made with). */
  dh: string;
}

/** Accepts what carries a certificate of the fleet's key (the fleet tools read with only that key). */
export class FleetVerifier implements Opener {
  private readonly fleet: KeyObject;
  private readonly checked = new Map<string, Certified>();

  /** Throws SigningError when `fleetKey` is no public key. */
  constructor(fleetKey: string) {
    if (!B64URL_KEY.test(fleetKey)) throw new SigningError("fleetKey", "expected the fleet's public key, 43 base64url characters");
    this.fleet = publicKeyFrom("Ed25519", fleetKey);
  }

  /** True when the fleet certified these keys for this member and role. */
  protected certifies(member: string, role: string, key: string, dh: string, cert: string): boolean {
    return verify(null, certText(member, role, key, dh), this.fleet, Buffer.from(cert, "base64url"));
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
    const proofOk = s.sig !== undefined ? typeof s.sig === "string" && B64URL_SIG.test(s.sig) : typeof s.mac === "string" && B64URL_MAC.test(s.mac);
    if (typeof s.member !== "string" || typeof s.role !== "string" || !proofOk) return { ok: false, reason: "unreadable signature" };
    const keys = this.certified(s);
    if (!keys) return { ok: false, reason: `no certificate of this fleet for "${s.member}"` };
    if (!accept(s)) return { ok: false, reason: `signed by "${s.member}" (${s.role}), who may not send this` };
    const signed = Buffer.from(`${scope}\n${parts.body}`);
    const authentic = s.sig !== undefined ? verify(null, signed, keys.key, Buffer.from(s.sig, "base64url")) : this.macMatches(s.member, keys.dh, signed, s.mac!);
    if (!authentic) return { ok: false, reason: `"${s.member}"'s signature does not match (another subject, altered, or for another receiver)` };
    try {
      return { ok: true, value: JSON.parse(parts.body) as T };
    } catch {
      return { ok: false, reason: "not JSON" };
    }
  }

  /** A pair's HMAC can be checked only by one of the pair: a verifier alone is neither. */
  protected macMatches(_member: string, _dh: string, _signed: Buffer, _mac: string): boolean {
    return false;
  }

  /** Called once for each member's keys as the fleet certified them. */
  protected onCertified(_member: string, _dh: string): void {}

  /** The keys the fleet certified for this member and role, or undefined. */
  private certified(s: SignatureField): Certified | undefined {
    const id = `${s.member}\n${s.role}\n${s.key}\n${s.dh}\n${s.cert}`;
    const known = this.checked.get(id);
    if (known) return known;
    for (const k of [s.key, s.dh]) if (typeof k !== "string" || !B64URL_KEY.test(k)) return undefined;
    if (typeof s.cert !== "string" || !B64URL_SIG.test(s.cert) || !this.certifies(s.member, s.role, s.key, s.dh, s.cert)) return undefined;
    const keys = { key: publicKeyFrom("Ed25519", s.key), dh: s.dh };
    if (this.checked.size >= CHECKED_LIMIT) this.checked.clear();
    this.checked.set(id, keys);
    this.onCertified(s.member, s.dh);
    return keys;
  }
}


/**
 * Signs with a member's own key, and checks what it receives as a FleetVerifier does. It keeps
 * the X25519 key of every member whose certificate it checked, so a message for one of them
 * goes with their pair's HMAC.
 */
export class Signing extends FleetVerifier implements Sealer {
  private readonly member: string;
  private readonly key: KeyObject;
  private readonly dhKey: KeyObject;
  /** This member's signature field, all but the proof. */
  private readonly fieldHead: string;
  /** Members' certified X25519 keys, by id (the latest seen). */
  private readonly peers = new Map<string, string>();
  /** Pair keys, by the other member's id and X25519 key. */
  private readonly pairs = new Map<string, KeyObject>();

  /** Throws SigningError when the certificate is not the fleet's for this member, role and password. */
  constructor(o: { member: string; role: string; password: string; cert: string; fleetKey: string }) {
    super(o.fleetKey);
    if (!B64URL_SIG.test(o.cert)) throw new SigningError("cert", "expected a certificate, 86 base64url characters");
    this.member = o.member;
    this.key = memberKey(o.password);
    this.dhKey = memberDhKey(o.password);
    const pub = rawPublicKey(this.key);
    const dh = rawPublicKey(this.dhKey);
    if (!this.certifies(o.member, o.role, pub, dh, o.cert)) {
      throw new SigningError("cert", `the certificate is not the fleet's for member "${o.member}" as ${o.role} with this bus password`);
    }
    this.fieldHead = JSON.stringify({ member: o.member, role: o.role, key: pub, dh, cert: o.cert }).slice(0, -1);
  }

  seal(scope: string, value: object, to?: string): string {
    const body = JSON.stringify(value);
    const signed = Buffer.from(`${scope}\n${body}`);
    const peer = to === undefined ? undefined : this.peers.get(to);
    const proof = peer ? `"mac":"${this.tag(to!, peer, signed)}"` : `"sig":"${sign(null, signed, this.key).toString("base64url")}"`;
    const field = `${this.fieldHead},${proof}}`;
    return body === "{}" ? `{"signature":${field}}` : `${body.slice(0, -1)}${MARK}${field}}`;
  }

  protected override onCertified(member: string, dh: string): void {
    this.peers.set(member, dh);
  }

  protected override macMatches(member: string, dh: string, signed: Buffer, mac: string): boolean {
    return timingSafeEqual(Buffer.from(this.tag(member, dh, signed)), Buffer.from(mac));
  }

  /** The pair's tag of `signed`: HMAC-SHA256 with the key both members derive from X25519 (base64url). */
  private tag(other: string, dh: string, signed: Buffer): string {
    const id = `${other}\n${dh}`;
    let key = this.pairs.get(id);
    if (!key) {
      const shared = diffieHellman({ privateKey: this.dhKey, publicKey: publicKeyFrom("X25519", dh) });
      const info = `aios-pair\n${[this.member, other].sort().join("\n")}`;
      key = createSecretKey(Buffer.from(hkdfSync("sha256", shared, Buffer.alloc(0), info, 32)));
      if (this.pairs.size >= CHECKED_LIMIT) this.pairs.clear();
      this.pairs.set(id, key);
    }
    return createHmac("sha256", key).update(signed).digest("base64url");
  }
}
