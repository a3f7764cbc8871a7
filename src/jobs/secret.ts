import { base64url } from "../lib/bytes";

/**
 * A job's own secrets (its Comfy.org API key) at rest: AES-256-GCM with a key derived (HKDF-SHA-256)
 * from the deployment's signing secret, so a D1 dump alone reveals nothing. `v1.<iv>.<ciphertext>`,
 * base64url. The job id is the associated data: a ciphertext moved to another row does not decrypt.
 */
const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = (async () => {
      const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode("comfy-edge job secret v1") },
        base,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
    })();
    keys.set(secret, k);
  }
  return k;
}

const fromB64url = (s: string) => Uint8Array.from(atob(s.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));

export async function encryptSecret(secret: string, jobId: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(jobId) }, await keyFor(secret), new TextEncoder().encode(plaintext));
  return `v1.${base64url(iv)}.${base64url(ct)}`;
}

/** The plaintext, or null when the value is not ours (another key, another job, tampered). */
export async function decryptSecret(secret: string, jobId: string, sealed: string): Promise<string | null> {
  const [v, iv, ct] = sealed.split(".");
  if (v !== "v1" || !iv || !ct) return null;
  try {
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromB64url(iv), additionalData: new TextEncoder().encode(jobId) }, await keyFor(secret), fromB64url(ct));
    return new TextDecoder().decode(pt);
  } catch {
    return null;
  }
}
