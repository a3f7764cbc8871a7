import { hmacSha256, toHex } from "../lib/bytes";

/**
 * Webhook signatures, two schemes from one secret:
 * - `X-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body keyed with WEBHOOK_SECRET exactly as
 *   configured (the string, `whsec_` and all), which is what ComfyUI Gateway receivers compute.
 * - Standard Webhooks: `webhook-signature: v1,<base64>` over `${id}.${timestamp}.${body}`, keyed
 *   with the secret's decoded bytes, so receivers can use the `standardwebhooks` libraries. During a
 *   rotation the previous secret signs too, as a second space-separated `v1,` entry.
 */
export type SigningKey = { secret: string; key: Uint8Array };
export type SecretParse = { ok: true; key: SigningKey } | { ok: false; reason: "unset" | "malformed" };

const PREFIX = "whsec_";
const MIN_KEY_BYTES = 16;

export function parseWebhookSecret(raw: string | undefined): SecretParse {
  if (raw === undefined || raw === "") return { ok: false, reason: "unset" };
  if (!raw.startsWith(PREFIX)) return { ok: false, reason: "malformed" };
  const b64 = raw.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { ok: false, reason: "malformed" };
  let key: Uint8Array;
  try {
    key = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (key.length < MIN_KEY_BYTES) return { ok: false, reason: "malformed" };
  return { ok: true, key: { secret: raw, key } };
}

function base64(buf: ArrayBuffer): string {
  let bin = "";
  for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
  return btoa(bin);
}

export async function xSignature(secret: string, body: string): Promise<string> {
  return `sha256=${toHex(await hmacSha256(secret, body))}`;
}

export async function standardSignature(key: Uint8Array, msgId: string, timestampS: number, body: string): Promise<string> {
  return `v1,${base64(await hmacSha256(key, `${msgId}.${timestampS}.${body}`))}`;
}

/**
 * The headers that identify and sign one attempt. `webhook-id` is the same on every attempt and
 * redelivery of a message (receivers use it to drop duplicates); the timestamp is the attempt's own.
 * Without a current key the message goes unsigned (and /health warns about it).
 */
export async function signatureHeaders(opts: {
  current: SigningKey | null;
  previous: SigningKey | null;
  msgId: string;
  timestampS: number;
  body: string;
}): Promise<Record<string, string>> {
  const headers: Record<string, string> = { "webhook-id": opts.msgId, "webhook-timestamp": String(opts.timestampS) };
  if (!opts.current) return headers;
  const keys = opts.previous ? [opts.current, opts.previous] : [opts.current];
  const signatures = await Promise.all(keys.map((k) => standardSignature(k.key, opts.msgId, opts.timestampS, opts.body)));
  headers["webhook-signature"] = signatures.join(" ");
  headers["x-signature"] = await xSignature(opts.current.secret, opts.body);
  return headers;
}
