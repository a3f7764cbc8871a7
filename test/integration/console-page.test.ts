import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CONSOLE_CSP } from "../../src/console/page";

describe("GET /admin, the console's page", () => {
  it("is a static page under a strict Content-Security-Policy: own script and style only, no inline script, no eval", async () => {
    const res = await exports.default.fetch("http://gw.test/admin");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    // Scripts only by src from this origin; no inline script or handler attribute.
    expect([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual(['<script type="module" src="/admin/console.js">']);
    expect(html).not.toMatch(/<script[^>]*>[^<]+<\/script>|\son\w+=/);
  });
});
