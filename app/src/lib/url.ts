/** True when `raw` parses as a URL with one of `schemes` (without ":") and a host. */
export function isUrl(raw: string, schemes: readonly string[]): boolean {
  if (!URL.canParse(raw)) return false;
  const u = new URL(raw);
  return schemes.includes(u.protocol.slice(0, -1)) && u.hostname !== "";
}
