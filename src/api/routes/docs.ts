import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import type { AppEnv } from "../context";

/**
 * The API reference page: Scalar rendering this deployment's own /openapi.json (relative, so it
 * works bare and under /v1). Scalar's script is a static asset of the gateway (/docs/scalar.js,
 * copied by scripts/build-console.ts), so the page needs no third party; its Content-Security-Policy
 * allows the inline bootstrap and styles Scalar writes, on this page only.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
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
  Scalar({ url: "openapi.json", pageTitle: "Comfy Edge API", hideClientButton: true, withDefaultFonts: false, cdn: "/docs/scalar.js" }),
);
