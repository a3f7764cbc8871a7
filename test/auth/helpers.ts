import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { expect } from "vitest";
import { call } from "../helpers/gateway";
import { ADMIN_KEY, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET } from "./closed-config";

export type Headers = Record<string, string>;
export const apiKey = (key: string): Headers => ({ "x-api-key": key });
export const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
export const admin = apiKey(ADMIN_KEY);

/** The owner id the gateway derives for a config key (never the key itself). */
export async function configKeyOwner(key: string) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return `cfg:${[...d].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16)}`;
}

/** The owner id of a JWT subject from the closed project's issuer (its `:` written `%3A`). */
export const jwtSubOwner = (sub: string) => `jwt:${JWT_ISSUER.replaceAll(":", "%3A")}:${sub}`;

/** An HS256 token for the closed project's JWT_SECRET, audience and issuer; a fresh `sub` unless given. */
export async function mintJwt(claims: Record<string, unknown> = {}, opts: { secret?: string | Uint8Array; expiresIn?: string | number; aud?: string; iss?: string } = {}) {
  const { sub = `user-${crypto.randomUUID()}`, ...rest } = claims;
  let t = new SignJWT(rest).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(String(sub)).setIssuedAt()
    .setAudience(opts.aud ?? JWT_AUDIENCE).setIssuer(opts.iss ?? JWT_ISSUER);
  t = t.setExpirationTime(opts.expiresIn ?? "5m");
  const secret = typeof opts.secret === "string" || opts.secret === undefined ? new TextEncoder().encode(opts.secret ?? JWT_SECRET) : opts.secret;
  return t.sign(secret);
}

/** A stored key made through POST /keys by the config admin; returns its id, owner id, secret and headers. */
export async function createKey(body: Record<string, unknown> = {}) {
  const r = await call("POST", "/keys", { name: `test-${crypto.randomUUID().slice(0, 8)}`, ...body }, admin);
  expect(r.status, r.text).toBe(201);
  return { ...(r.json as { id: string; secret: string; prefix: string; role: string }), owner: `key:${r.json.id}`, headers: apiKey(r.json.secret) };
}

/** A job row written straight into D1, for ownership tests that need a finished job with an output. */
export async function insertJob(owner: string, over: { status?: string; outputs?: unknown[]; executionMs?: number | null; createdAtMs?: number } = {}) {
  const id = crypto.randomUUID();
  const now = over.createdAtMs ?? Date.now();
  await env.DB.prepare(
    `INSERT INTO jobs (id, owner, status, priority, graph_json, metadata_json, attempts, outputs_json, execution_ms, created_at_ms, updated_at_ms, enqueued_at_ms, completed_at_ms)
     VALUES (?, ?, ?, 0, '{}', '{}', 1, ?, ?, ?, ?, ?, ?)`,
  ).bind(id, owner, over.status ?? "succeeded", JSON.stringify(over.outputs ?? []), over.executionMs ?? null, now, now, now, over.status === "queued" ? null : now).run();
  return id;
}

/** A finished webhook delivery row for `owner`'s job (ids look like `<jobId>:<event>`). */
export async function insertDelivery(owner: string, jobId: string) {
  const id = `${jobId}:succeeded`;
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO webhook_deliveries (id, job_id, owner, event, url, status, attempts, created_at_ms, updated_at_ms, completed_at_ms)
     VALUES (?, ?, ?, 'succeeded', 'https://127.0.0.1:9/comfy-hook', 'failed', 1, ?, ?, ?)`,
  ).bind(id, jobId, owner, now, now, now).run();
  return id;
}

export const textOutput = (name = "caption.txt", text = "a secret caption") => ({ name, node: "9", kind: "text", contentType: "text/plain", bytes: text.length, text });

export function expectAuthFailed(r: { status: number; json: any }, message: string | RegExp) {
  expect(r.status).toBe(401);
  expect(r.json).toMatchObject({ error: "AUTH_FAILED" });
  if (typeof message === "string") expect(r.json.message).toBe(message);
  else expect(r.json.message).toMatch(message);
}
