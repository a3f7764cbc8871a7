import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import type { AppEnv } from "../context";

/**
 * The API reference page: Scalar rendering this deployment's own /openapi.json (relative, so it
 * works bare and under /v1). The page's script comes from Scalar's CDN, so its Content-Security-
 * Policy allows that origin and the inline bootstrap Scalar writes; nothing else on the gateway does.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
  "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.scalar.com",
  "font-src 'self' data: https://fonts.scalar.com https://cdn.jsdelivr.net",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const docsRoutes = new Hono<AppEnv>().get(
  "/docs",
  async (c, next) => {
    await next();
    c.res.headers.set("Content-Security-Policy", CSP);
    c.res.headers.set("X-Content-Type-Options", "nosniff");
  },
  Scalar({ url: "openapi.json", pageTitle: "Comfy Edge API", hideClientButton: true }),
);
