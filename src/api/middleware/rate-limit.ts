import type { MiddlewareHandler } from "hono";
import type { AuthMode } from "../../auth/mode";
import type { Principal } from "../../auth/principal";
import type { Config } from "../../env";
import { ApiError } from "../../errors";
import { errorFields, log } from "../../lib/log";
import { durableObjectLimiter } from "../../rate-limit/do-limiter";
import { rateLimitHeaders, retryAfterSeconds } from "../../rate-limit/headers";
import type { RateLimiter, RateLimitRule } from "../../rate-limit/limiter";
import type { AppEnv } from "../context";
import { setResponseHeaders } from "../response-headers";

/** With credentials configured and RATE_LIMIT_MAX unset, this many requests per window. */
export const DEFAULT_RATE_LIMIT_MAX = 600;

/**
 * The limit for this caller, or null for none. A stored key's own limit wins; then RATE_LIMIT_MAX
 * (0 = no limit); unset, it is 600 per window once credentials are configured and none in open mode.
 */
export function rateLimitRule(cfg: Pick<Config, "RATE_LIMIT_MAX" | "RATE_LIMIT_WINDOW_MS">, mode: AuthMode, caller: Principal | undefined): RateLimitRule | null {
  const max = caller?.rateLimitMax ?? cfg.RATE_LIMIT_MAX ?? (mode === "open" ? 0 : DEFAULT_RATE_LIMIT_MAX);
  return max > 0 ? { max, windowMs: cfg.RATE_LIMIT_WINDOW_MS } : null;
}

/**
 * The client IP anonymous callers are metered by. Cloudflare's edge overwrites CF-Connecting-IP
 * with the connecting address, so in production it is the truth. Under `wrangler dev` nothing
 * overwrites it (miniflare only fills it in when absent), so a client could name a new bucket per
 * request; and nothing the Worker sees there tells local from production reliably (`request.cf`
 * is a placeholder object locally, and every header is the client's), so the deployment says so
 * itself: TRUST_CF_CONNECTING_IP=false (`npm run dev` sets it) meters all anonymous callers as one.
 */
export function clientIpForLimits(header: string | undefined, trusted: boolean): string {
  return (trusted && header?.trim()) || "unknown";
}

/** A principal counts as itself wherever it calls from; anyone else (no or a bad credential, open mode) by client IP. */
export function rateLimitBucket(caller: Principal | undefined, clientIp: string | undefined): string {
  if (caller && caller.via !== "open") return `principal:${caller.id}`;
  return `ip:${clientIp?.trim() || "unknown"}`;
}

/**
 * Counts every request (after authenticate(), before requireRole(), so refused credentials count
 * too), adds X-RateLimit-* to every response, and answers 429 RATE_LIMITED with Retry-After past
 * the limit. If the counter cannot be reached the request passes: an outage of the limiter must not
 * become an outage of the API.
 */
export const rateLimit = ({
  limiter = (env) => durableObjectLimiter(env.RATE_LIMITER),
  clock = Date.now,
}: { limiter?: (env: AppEnv["Bindings"]) => RateLimiter; clock?: () => number } = {}): MiddlewareHandler<AppEnv> =>
  async function rateLimit(c, next) {
    if (c.get("rateLimit")) return next();
    const caller = c.get("caller");
    const rule = rateLimitRule(c.get("config"), c.get("authMode"), caller);
    if (!rule) return next();
    const bucket = rateLimitBucket(caller, clientIpForLimits(c.req.header("cf-connecting-ip"), c.get("config").TRUST_CF_CONNECTING_IP));
    let result;
    try {
      result = await limiter(c.env).limit(bucket, rule);
    } catch (e) {
      log.warn("rate_limit.unavailable", { requestId: c.get("requestId"), ...errorFields(e) });
      return next();
    }
    c.set("rateLimit", result);
    const now = clock();
    const headers = rateLimitHeaders(result, now);
    if (!result.allowed) {
      log.info("rate_limit.exceeded", { requestId: c.get("requestId"), principal: caller?.via === "open" ? undefined : caller?.id, limit: rule.max });
      throw new ApiError("RATE_LIMITED", `Rate limit exceeded: ${rule.max} requests per ${rule.windowMs / 1000} s. Retry after ${retryAfterSeconds(result, now)} s.`, { headers, retryable: true });
    }
    await next();
    setResponseHeaders(c, headers);
  };
