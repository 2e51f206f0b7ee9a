// Signing as a member in tests, and who a member's signing says it is, as a receiver reads it:
// what it seals opens under its own certificate's member and role (asked of what it signs, not
// of its fields).
import { fleetPublicKey, memberCertificate, Signing, type Signer } from "../../app/src/lib/signing.ts";
import { busPassword } from "../../infra/identities.ts";

/** How a program holding a member's password signs, as that member's app does (its password derived from `root` unless given). */
export const signingFor = (root: string, member: string, role = "cell", password = busPassword(root, member)): Signing =>
  new Signing({ member, role, password, cert: memberCertificate(root, member, role, password), fleetKey: fleetPublicKey(root) });

const SCOPE = "aios.test.signer";

/** The member and role a receiver holding the same fleet key reads off what `signing` seals. */
export function signerOf(signing: Signing): Signer | undefined {
  let signer: Signer | undefined;
  const opened = signing.open(SCOPE, signing.seal(SCOPE, { probe: true }), (s) => ((signer = { member: s.member, role: s.role }), true));
  return opened.ok ? signer : undefined;
}
