import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { call } from "../helpers/gateway";
import { ALLOWED_ORIGIN, OTHER_ALLOWED_ORIGIN } from "./closed-config";
import { createKey } from "./helpers";

/**
 * CORS: this project binds CORS_ORIGINS to two origins (closed-config.ts); `*` and unset are
 * checked against the same app with the variable overridden. A browser reads a response (errors
 * included) only if it names its origin, and sends no credential with a preflight.
 */
const REFUSED_ORIGIN = "https://evil.example.test";
const ip = () => `198.51.100.${Math.floor(Math.random() * 250)}-${crypto.randomUUID().slice(0, 6)}`;
const preflight = (origin: string, method = "POST") => ({
  origin,
  "access-control-request-method": method,
  "access-control-request-headers": "x-api-key, content-type, idempotency-key",
  "cf-connecting-ip": ip(),
});
const exposed = (h: Headers) => (h.get("access-control-expose-headers") ?? "").split(",").map((s) => s.trim().toLowerCase());
const allowedHeaders = (h: Headers) => (h.get("access-control-allow-headers") ?? "").split(",").map((s) => s.trim().toLowerCase());

/** The same app with CORS_ORIGINS overridden (undefined = unset). */
async function withOrigins(origins: string | undefined, method: string, path: string, headers: Record<string, string>) {
  const overridden = { ...env, CORS_ORIGINS: origins } as unknown as typeof env;
  const ctx = createExecutionContext();
  const res = await createApp().request(`http://gw.test${path}`, { method, headers }, overridden, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("CORS with CORS_ORIGINS set to a list", () => {
  it.each(["/jobs", "/v1/jobs", "/jobs/00000000-0000-4000-8000-000000000000/cancel", "/v1/hosts", "/keys", "/health", "/v1/openapi.json", "/no-such-route"])(
    "answers a preflight for %s with 204 and the allowed headers, before any credential is asked for",
    async (path) => {
      const r = await call("OPTIONS", path, undefined, preflight(ALLOWED_ORIGIN));
      expect(r.status).toBe(204);
      expect(r.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
      expect(r.headers.get("access-control-allow-credentials")).toBeNull();
      expect(r.headers.get("access-control-allow-methods")).toMatch(/POST/);
      expect(allowedHeaders(r.headers)).toEqual(expect.arrayContaining(["x-api-key", "authorization", "idempotency-key", "content-type", "last-event-id"]));
      expect(r.headers.get("vary")).toMatch(/origin/i);
      // Not counted against the rate limit: no X-RateLimit-* on it.
      expect(r.headers.get("x-ratelimit-limit")).toBeNull();
    },
  );

  it("echoes each allowed origin and exposes the headers clients read", async () => {
    const key = await createKey();
    for (const origin of [ALLOWED_ORIGIN, OTHER_ALLOWED_ORIGIN]) {
      const r = await call("GET", "/v1/usage", undefined, { ...key.headers, origin });
      expect(r.status).toBe(200);
      expect(r.headers.get("access-control-allow-origin")).toBe(origin);
      expect(exposed(r.headers)).toEqual(expect.arrayContaining(
        ["x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "location", "idempotent-replayed"],
      ));
    }
  });

  it("gives a refused origin no Access-Control-Allow-Origin, on a preflight or a request", async () => {
    const pre = await call("OPTIONS", "/jobs", undefined, preflight(REFUSED_ORIGIN));
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect(pre.headers.get("access-control-allow-headers")).toBeNull();
    const key = await createKey();
    const r = await call("GET", "/usage", undefined, { ...key.headers, origin: REFUSED_ORIGIN });
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    expect(r.headers.get("access-control-expose-headers")).toBeNull();
  });

  it.each<{ name: string; status: number; headers?: Record<string, string>; path?: string; key?: boolean }>([
    { name: "401 without a credential", status: 401, headers: {} },
    { name: "401 with a wrong key", status: 401, headers: { "x-api-key": "not-a-key" } },
    { name: "404 for an unknown route", status: 404, path: "/v1/no-such-route", key: true },
    { name: "404 for an unknown job", status: 404, path: "/jobs/00000000-0000-4000-8000-000000000000", key: true },
  ])("puts the CORS headers on errors too: $name", async ({ status, headers, path, key }) => {
    const auth = key ? (await createKey()).headers : headers;
    const r = await call("GET", path ?? "/jobs", undefined, { ...auth, origin: ALLOWED_ORIGIN, "cf-connecting-ip": ip() });
    expect(r.status).toBe(status);
    expect(r.json.error).toBeTruthy();
    expect(r.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
    expect(exposed(r.headers)).toContain("x-request-id");
  });

  it("puts the CORS headers on a 429, so a browser can read Retry-After", async () => {
    const key = await createKey({ rateLimitMax: 1 });
    await call("GET", "/usage", undefined, key.headers);
    const r = await call("GET", "/usage", undefined, { ...key.headers, origin: ALLOWED_ORIGIN });
    expect(r.status).toBe(429);
    expect(r.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
    expect(r.headers.get("retry-after")).toBeTruthy();
    expect(exposed(r.headers)).toEqual(expect.arrayContaining(["retry-after", "x-ratelimit-reset"]));
  });

  it("leaves an OPTIONS request that is not a preflight to the router", async () => {
    const r = await call("OPTIONS", "/jobs", undefined, { origin: ALLOWED_ORIGIN });
    expect(r.status).not.toBe(204);
    expect(r.json.error).toBeTruthy();
    expect(r.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
  });
});

describe("CORS with CORS_ORIGINS=*", () => {
  it("allows any origin with a literal *, never with credentials", async () => {
    const pre = await withOrigins("*", "OPTIONS", "/v1/jobs", preflight("https://anywhere.example"));
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
    const r = await withOrigins("*", "GET", "/jobs", { origin: "https://anywhere.example", "cf-connecting-ip": ip() });
    expect(r.status).toBe(401);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-credentials")).toBeNull();
    expect(exposed(r.headers)).toContain("x-request-id");
  });
});

describe("CORS with CORS_ORIGINS unset", () => {
  it("adds no CORS header at all, and a preflight goes through auth as before", async () => {
    const pre = await withOrigins(undefined, "OPTIONS", "/jobs", preflight(ALLOWED_ORIGIN));
    expect(pre.status).toBe(401);
    const r = await withOrigins(undefined, "GET", "/jobs", { origin: ALLOWED_ORIGIN, "cf-connecting-ip": ip() });
    for (const res of [pre, r]) {
      for (const h of ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers", "access-control-expose-headers"]) {
        expect(res.headers.get(h)).toBeNull();
      }
    }
  });
});
