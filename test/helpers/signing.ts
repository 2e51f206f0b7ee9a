// Who a member's signing says it is, as a receiver reads it: what it seals opens under its own
// certificate's member and role. Asked of what it signs, not of its fields.
import type { Signer, Signing } from "../../app/src/lib/signing.ts";

const SCOPE = "aios.test.signer";

/** The member and role a receiver holding the same fleet key reads off what `signing` seals. */
export function signerOf(signing: Signing): Signer | undefined {
  let signer: Signer | undefined;
  const opened = signing.open(SCOPE, signing.seal(SCOPE, { probe: true }), (s) => ((signer = { member: s.member, role: s.role }), true));
  return opened.ok ? signer : undefined;
}
