import type { MiddlewareHandler } from "hono";
import { parseApiKeys, principalForKey } from "../../auth/api-keys";
import type { Role } from "../../auth/principal";
import { ApiError } from "../../errors";
import type { AppEnv } from "../context";

/**
 * Resolves the caller. With no credential configured the gateway is in open mode (local
 * development): everyone is admin, and /health says so.
 */
export const authenticate = (): MiddlewareHandler<AppEnv> =>
  async function authenticate(c, next) {
    const keys = parseApiKeys(c.get("config").API_KEYS);
    if (keys.length === 0) {
      c.set("principal", { id: "anonymous", role: "admin", via: "open" });
      return next();
    }
    const presented = c.req.header("x-api-key");
    if (!presented) {
      throw new ApiError("AUTH_FAILED", "Authentication required. Provide X-API-Key header or Authorization: Bearer token.");
    }
    const principal = await principalForKey(presented, keys);
    if (!principal) throw new ApiError("AUTH_FAILED", "Invalid API key");
    c.set("principal", principal);
    await next();
  };

export const requireRole = (role: Role): MiddlewareHandler<AppEnv> =>
  async function requireRole(c, next) {
    if (role === "admin" && c.get("principal").role !== "admin") {
      throw new ApiError("FORBIDDEN", "Admin role required for this operation");
    }
    await next();
  };
