import { AwsClient } from "aws4fetch";
import { eq } from "drizzle-orm";
import { db, type Db } from "../db/client";
import { config, s3Credentials, type Env } from "../env";
import { settings } from "../db/schema";
import { base64url, hmacSha256, timingSafeEqualStr } from "../lib/bytes";

/**
 * Worker-signed download links: HMAC-SHA256 over the object key and the expiry. They work the
 * same locally and in production and support Range; when R2 S3 credentials are configured the
 * gateway hands out R2 presigned URLs instead (see presignR2).
 */
export type SignedLink = { url: string; expiresAtMs: number };

const payload = (key: string, expS: number) => `${key}\n${expS}`;

export async function signKey(secret: string, key: string, expS: number): Promise<string> {
  return base64url(await hmacSha256(secret, payload(key, expS)));
}

export type Verdict = { ok: true } | { ok: false; reason: "missing" | "malformed" | "expired" | "mismatch" };

/** Checks the signature first, so an expired link is only reported as expired when it was genuine. */
export async function verifySignature(
  secret: string,
  key: string,
  exp: string | undefined,
  sig: string | undefined,
  nowMs: number,
): Promise<Verdict> {
  if (!exp || !sig) return { ok: false, reason: "missing" };
  if (!/^\d{1,12}$/.test(exp) || !/^[\w-]{20,100}$/.test(sig)) return { ok: false, reason: "malformed" };
  const expected = await signKey(secret, key, Number(exp));
  if (!timingSafeEqualStr(expected, sig)) return { ok: false, reason: "mismatch" };
  if (Number(exp) * 1000 < nowMs) return { ok: false, reason: "expired" };
  return { ok: true };
}

export async function workerSignedUrl(origin: string, secret: string, key: string, ttlS: number, nowMs: number): Promise<SignedLink> {
  const expS = Math.floor(nowMs / 1000) + ttlS;
  const sig = await signKey(secret, key, expS);
  const path = key.split("/").map(encodeURIComponent).join("/");
  return { url: `${origin}/files/${path}?exp=${expS}&sig=${sig}`, expiresAtMs: expS * 1000 };
}

export async function presignR2(
  creds: { accountId: string; accessKeyId: string; secretAccessKey: string; bucket: string },
  key: string,
  ttlS: number,
  nowMs: number,
): Promise<SignedLink> {
  const client = new AwsClient({ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, service: "s3", region: "auto" });
  const path = key.split("/").map(encodeURIComponent).join("/");
  const url = new URL(`https://${creds.accountId}.r2.cloudflarestorage.com/${creds.bucket}/${path}`);
  url.searchParams.set("X-Amz-Expires", String(ttlS));
  const signed = await client.sign(new Request(url, { method: "GET" }), {
    aws: { signQuery: true, datetime: new Date(nowMs).toISOString().replace(/[:-]|\.\d{3}/g, "") },
  });
  return { url: signed.url, expiresAtMs: nowMs + ttlS * 1000 };
}

let cachedKey: { secret: string; from: D1Database } | undefined;

/**
 * The signing secret: SIGNING_SECRET when set, otherwise a random key the deployment makes once
 * and keeps in D1, so links verify in every isolate without any setup.
 */
export async function signingSecret(d: Db, d1: D1Database, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  if (cachedKey?.from === d1) return cachedKey.secret;
  const fresh = base64url(crypto.getRandomValues(new Uint8Array(32)));
  await d.insert(settings).values({ key: "signing_secret", value: fresh }).onConflictDoNothing();
  const row = await d.select().from(settings).where(eq(settings.key, "signing_secret")).get();
  if (!row) throw new Error("signing secret could not be stored");
  cachedKey = { secret: row.value, from: d1 };
  return row.value;
}

/** How this deployment signs output links: R2 presigned URLs when S3 credentials exist, else Worker-signed links pointing at `origin`. */
export function linkSigner(env: Env, origin: string): (key: string) => Promise<SignedLink> {
  const cfg = config(env);
  const creds = s3Credentials(cfg);
  let secret: Promise<string> | undefined;
  return async (key) => {
    const now = Date.now();
    if (creds) return presignR2(creds, key, cfg.SIGNED_URL_TTL_S, now);
    secret ??= signingSecret(db(env.DB), env.DB, cfg.SIGNING_SECRET);
    return workerSignedUrl(origin, await secret, key, cfg.SIGNED_URL_TTL_S, now);
  };
}
