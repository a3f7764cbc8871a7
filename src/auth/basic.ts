/**
 * HTTP Basic credentials (RFC 7617) as the API-key candidates they carry. Comfy Router's clients
 * send `Authorization: Basic base64(user:password)`; whichever half holds one of our keys
 * identifies them, so both `curl -u KEY:` and `requests` with ("admin", KEY) work. The password is
 * tried first: that is where a secret usually goes. Null when the header is not Basic or is
 * malformed; an empty list when both halves are empty. Pure.
 */
export function basicCredentials(authorization: string | undefined): string[] | null {
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization ?? "");
  if (!m) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(m[1]!), (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  const user = decoded.slice(0, colon).trim();
  const password = decoded.slice(colon + 1).trim();
  return [...new Set([password, user].filter((s) => s.length > 0))];
}
