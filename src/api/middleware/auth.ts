import { eq } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import type { Principal } from "../../auth/principal";
import { checkApiKey, type KeyCheck } from "../../auth/api-keys";
import { basicCredentials } from "../../auth/basic";
import { jwtFailureMessage, jwtSettings, verifyJwt } from "../../auth/jwt";
import { adoptLegacyJwtRows } from "../../auth/legacy-owners";
import { authMode } from "../../auth/mode";
import { jwtOwner } from "../../auth/owner";
import { OPEN_PRINCIPAL } from "../../auth/principal";
import { hasRole, type Role } from "../../auth/roles";
import { apiKeys } from "../../db/schema";
import { ApiError } from "../../errors";
import { errorFields, log } from "../../lib/log";
import type { AppEnv } from "../context";

export const MISSING_CREDENTIALS = "Authentication required. Provide X-API-Key header or Authorization: Bearer token.";
const INVALID_KEY = "Invalid API key";
/** last_used_at_ms is a hint, not an audit log: written at most once a minute per key. */
const LAST_USED_EVERY_MS = 60_000;

type Presented = { kind: "api-key"; secret: string } | { kind: "jwt"; token: string } | { kind: "basic"; secrets: string[] } | null;

/**
 * `X-API-Key: …`, or `Authorization: Bearer …` carrying a JWT (three dot-separated parts) or an API
 * key, or (only where `basic` allows it) `Authorization: Basic …` carrying an API key as username
 * or password.
 */
function presented(header: (name: string) => string | undefined, basic: boolean): Presented {
  const key = header("x-api-key");
  if (key !== undefined) return { kind: "api-key", secret: key.trim() };
  if (basic) {
    const secrets = basicCredentials(header("authorization"));
    if (secrets) return { kind: "basic", secrets };
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header("authorization") ?? "");
  if (!m) return null;
  return m[1]!.split(".").length === 3 ? { kind: "jwt", token: m[1]! } : { kind: "api-key", secret: m[1]! };
}

function keyFailure(check: Exclude<KeyCheck, { ok: true }>): ApiError {
  if (check.reason === "expired") return new ApiError("AUTH_FAILED", "API key has expired", { reason: "key_expired" });
  return new ApiError("AUTH_FAILED", INVALID_KEY, { reason: `key_${check.reason}` });
}

/**
 * A Basic credential's halves, checked in turn: the first that is a valid key wins. None valid:
 * the most telling refusal (an expired or revoked key says so rather than "invalid").
 */
async function checkBasic(secrets: string[], check: (secret: string) => Promise<KeyCheck>): Promise<KeyCheck> {
  let refusal: KeyCheck = { ok: false, reason: "unknown" };
  for (const secret of secrets) {
    const r = await check(secret);
    if (r.ok) return r;
    if (r.reason !== "unknown") refusal = r;
  }
  return refusal;
}

/**
 * Resolves who is calling into `caller`, or why not into `authError`, and never throws for a bad
 * credential: the rate limiter counts the attempt first (per client IP), then `requireRole` refuses it.
 * `basic(path)` says where HTTP Basic carries a key (the Comfy Router facade); elsewhere it is ignored.
 */
export const authenticate = ({ basic = () => false }: { basic?: (path: string) => boolean } = {}): MiddlewareHandler<AppEnv> =>
  async function authenticate(c, next) {
    // The router is mounted at / and /v1; a request that falls through both resolves once.
    if (c.get("authMode")) return next();
    const cfg = c.get("config");
    const mode = await authMode(cfg, c.env.DB);
    c.set("authMode", mode);
    if (mode === "open") {
      c.set("caller", OPEN_PRINCIPAL);
      return next();
    }
    const cred = presented((n) => c.req.header(n), basic(c.req.path));
    if (!cred) return next();
    const now = Date.now();
    if (cred.kind === "jwt") {
      const r = await verifyJwt(cred.token, jwtSettings(cfg), now);
      if (r.ok) {
        const id = jwtOwner(r.iss, r.sub);
        // Before the handler reads, so a subject's pre-0006 rows are there on its first request.
        await adoptLegacyJwtRows(c.env.DB, r.sub, id, now).catch((e: unknown) => log.warn("auth.legacy_adopt_failed", { owner: id, ...errorFields(e) }));
        c.set("caller", { id, role: r.role, via: "jwt" });
        return next();
      }
      if (r.error.reason === "keys_unavailable") log.error("auth.jwks_unavailable", { detail: r.error.detail, requestId: c.get("requestId") });
      const jwtError = new ApiError("AUTH_FAILED", jwtFailureMessage(r.error), { reason: r.error.reason });
      // A Bearer token with two dots that does not even decode as a JWT may be an API key with dots
      // in it (RunPod's clients send their key as a Bearer token). Anything that decodes as a JWT is
      // judged as one only, and a token that is neither keeps the JWT's answer.
      const asKey = r.error.reason === "malformed" ? await checkApiKey(cred.token, { apiKeys: cfg.API_KEYS, db: c.get("db"), nowMs: now }) : null;
      if (asKey?.ok) useKey(c, asKey, now);
      else c.set("authError", jwtError);
      return next();
    }
    const checkKey = (secret: string) => checkApiKey(secret, { apiKeys: cfg.API_KEYS, db: c.get("db"), nowMs: now });
    const check = cred.kind === "basic" ? await checkBasic(cred.secrets, checkKey) : await checkKey(cred.secret);
    if (check.ok) useKey(c, check, now);
    else c.set("authError", keyFailure(check));
    return next();
  };

/** A valid key is the caller; a stored key's last use is noted, at most once a minute, after the answer. */
function useKey(c: Context<AppEnv>, check: Extract<KeyCheck, { ok: true }>, now: number) {
  c.set("caller", check.principal);
  const stored = check.stored;
  if (stored && (stored.lastUsedAtMs ?? 0) < now - LAST_USED_EVERY_MS) {
    c.executionCtx.waitUntil(
      c.get("db").update(apiKeys).set({ lastUsedAtMs: now }).where(eq(apiKeys.id, stored.id)).run()
        .catch((e: unknown) => log.warn("key.last_used_failed", { keyId: stored.id, ...errorFields(e) })),
    );
  }
}

/**
 * Refuses a request without a valid credential (401) or without `role` (403), and hands the
 * caller on as `principal`. `requireRole("user")` is "any valid credential".
 */
export const requireRole = (role: Role): MiddlewareHandler<AppEnv> =>
  async function requireRole(c, next) {
    allowed(c, role);
    await next();
  };

/** The caller, when it holds `role` (then also set as `principal`); else the 401 or 403 requireRole answers. */
export function allowed(c: Context<AppEnv>, role: Role): Principal {
  const who = c.get("caller");
  if (!who) throw c.get("authError") ?? new ApiError("AUTH_FAILED", MISSING_CREDENTIALS, { reason: "no_credentials" });
  if (!hasRole(who, role)) throw new ApiError("FORBIDDEN", `${role === "admin" ? "Admin" : "User"} role required for this operation`);
  c.set("principal", who);
  return who;
}

/** For routes open to probes: no credential is fine, a bad one is still refused. */
export const rejectBadCredentials = (): MiddlewareHandler<AppEnv> =>
  async function rejectBadCredentials(c, next) {
    const e = c.get("authError");
    if (e) throw e;
    await next();
  };
