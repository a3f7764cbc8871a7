import { Hono } from "hono";
import type { AppEnv } from "../api/context";

/**
 * The admin console's page (`/admin`). The page is static: no data and no secret is ever put into
 * it; its script (`/admin/console.js`, built from console/ by scripts/build-console.ts and served as
 * a Workers static asset) signs in with a key kept in sessionStorage and renders everything as text.
 * The policy allows only this origin's script and style: no inline script, no eval, no plugins,
 * no framing. Images may also come from https (signed output links may point at R2).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: https:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Comfy Edge console</title>
<link rel="stylesheet" href="/admin/console.css">
<script type="module" src="/admin/console.js"></script>
</head>
<body>
<header><h1>Comfy Edge</h1><nav id="nav"></nav><div id="who"></div></header>
<main id="view"><noscript>The console needs JavaScript.</noscript></main>
</body>
</html>
`;

export const consoleRoutes = new Hono<AppEnv>().get("/admin", (c) =>
  c.body(PAGE, 200, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": CONSOLE_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
  }),
);
