import { eq } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import type { Principal } from "../../auth/principal";
import { checkApiKey, type KeyCheck } from "../../auth/api-keys";
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

type Presented = { kind: "api-key"; secret: string } | { kind: "jwt"; token: string } | null;

/** `X-API-Key: …`, or `Authorization: Bearer …` carrying a JWT (three dot-separated parts) or an API key. */
function presented(header: (name: string) => string | undefined): Presented {
  const key = header("x-api-key");
  if (key !== undefined) return { kind: "api-key", secret: key.trim() };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header("authorization") ?? "");
  if (!m) return null;
  return m[1]!.split(".").length === 3 ? { kind: "jwt", token: m[1]! } : { kind: "api-key", secret: m[1]! };
}

function keyFailure(check: Exclude<KeyCheck, { ok: true }>): ApiError {
  if (check.reason === "expired") return new ApiError("AUTH_FAILED", "API key has expired", { reason: "key_expired" });
  return new ApiError("AUTH_FAILED", INVALID_KEY, { reason: `key_${check.reason}` });
}

/**
 * Resolves who is calling into `caller`, or why not into `authError`, and never throws for a bad
 * credential: the rate limiter counts the attempt first (per client IP), then `requireRole` refuses it.
 */
export const authenticate = (): MiddlewareHandler<AppEnv> =>
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
    const cred = presented((n) => c.req.header(n));
    if (!cred) return next();
    const now = Date.now();
    if (cred.kind === "jwt") {
      const r = await verifyJwt(cred.token, jwtSettings(cfg), now);
      if (r.ok) {
        const id = jwtOwner(r.iss, r.sub);
        // Before the handler reads, so a subject's pre-0006 rows are there on its first request.
        await adoptLegacyJwtRows(c.env.DB, r.sub, id, now).catch((e: unknown) => log.warn("auth.legacy_adopt_failed", { owner: id, ...errorFields(e) }));
        c.set("caller", { id, role: r.role, via: "jwt" });
      } else {
        if (r.error.reason === "keys_unavailable") log.error("auth.jwks_unavailable", { detail: r.error.detail, requestId: c.get("requestId") });
        c.set("authError", new ApiError("AUTH_FAILED", jwtFailureMessage(r.error), { reason: r.error.reason }));
      }
      return next();
    }
    const check = await checkApiKey(cred.secret, { apiKeys: cfg.API_KEYS, db: c.get("db"), nowMs: now });
    if (!check.ok) {
      c.set("authError", keyFailure(check));
      return next();
    }
    c.set("caller", check.principal);
    const stored = check.stored;
    if (stored && (stored.lastUsedAtMs ?? 0) < now - LAST_USED_EVERY_MS) {
      c.executionCtx.waitUntil(
        c.get("db").update(apiKeys).set({ lastUsedAtMs: now }).where(eq(apiKeys.id, stored.id)).run()
          .catch((e: unknown) => log.warn("key.last_used_failed", { keyId: stored.id, ...errorFields(e) })),
      );
    }
    return next();
  };

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
