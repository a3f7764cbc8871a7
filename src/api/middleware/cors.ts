import type { MiddlewareHandler } from "hono";
import { safeOrigin } from "../../env";
import type { AppEnv } from "../context";
import { setResponseHeaders } from "../response-headers";

/** The request headers a browser client sends: credentials, idempotency, JSON bodies, SSE resumption. */
export const CORS_ALLOW_HEADERS = ["X-API-Key", "Authorization", "Idempotency-Key", "Content-Type", "Last-Event-ID", "X-Request-Id"];
/** The response headers a browser client reads beyond the CORS-safelisted ones. */
export const CORS_EXPOSE_HEADERS = ["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "Location", "Idempotent-Replayed"];
const ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
/** Browsers cap this anyway (Chromium at 2 h); 10 min keeps a changed CORS_ORIGINS from lingering. */
const PREFLIGHT_MAX_AGE_S = 600;

/** `*` (any origin), a set of exact origins, or null for no CORS at all (CORS_ORIGINS unset). */
export type CorsPolicy = "*" | ReadonlySet<string> | null;

/** CORS_ORIGINS entries → a policy; each entry is normalised to an origin (`https://App.example/` → `https://app.example`). */
export function corsPolicy(entries: readonly string[] | undefined): CorsPolicy {
  if (!entries?.length) return null;
  if (entries.includes("*")) return "*";
  const origins = new Set<string>();
  for (const e of entries) {
    const o = safeOrigin(e);
    if (o) origins.add(o);
  }
  return origins;
}

/**
 * The headers for a response to `origin` under `policy` (a preflight when `preflight`). A refused
 * origin gets only `Vary: Origin`, so a cache never hands one origin's answer to another. No
 * Access-Control-Allow-Credentials ever: the API authenticates by header, never by cookie, and `*`
 * with credentials is refused by browsers anyway.
 */
export function corsHeaders(policy: Exclude<CorsPolicy, null>, origin: string | undefined, preflight: boolean): Record<string, string> {
  const h: Record<string, string> = policy === "*" ? {} : { Vary: "Origin" };
  const allowed = policy === "*" ? "*" : origin && policy.has(safeOrigin(origin) ?? "") ? origin : undefined;
  if (!origin || !allowed) return h;
  h["Access-Control-Allow-Origin"] = allowed;
  if (preflight) {
    h["Access-Control-Allow-Methods"] = ALLOW_METHODS;
    h["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS.join(", ");
    h["Access-Control-Max-Age"] = String(PREFLIGHT_MAX_AGE_S);
  } else {
    h["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS.join(", ");
  }
  return h;
}

/**
 * CORS for browser clients, from CORS_ORIGINS; unset, it adds nothing. It runs before
 * authentication and the rate limiter: a preflight carries no credential, so it is answered here
 * (204) on any path, and every other response, errors included, gets the headers on its way out
 * so a browser can read a 401 or a 429's Retry-After.
 */
export const cors = (): MiddlewareHandler<AppEnv> =>
  async function cors(c, next) {
    const policy = corsPolicy(c.get("config").CORS_ORIGINS);
    if (!policy) return next();
    const origin = c.req.header("origin");
    if (c.req.method === "OPTIONS" && origin && c.req.header("access-control-request-method")) {
      return c.body(null, 204, corsHeaders(policy, origin, true));
    }
    await next();
    const headers = corsHeaders(policy, origin, false);
    const vary = c.res.headers.get("vary");
    if (headers.Vary && vary && !/(^|,)\s*origin\s*(,|$)/i.test(vary)) headers.Vary = `${vary}, Origin`;
    setResponseHeaders(c, headers);
  };
