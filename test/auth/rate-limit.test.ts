import { describe, expect, it } from "vitest";
import { call } from "../helpers/gateway";
import { RATE_LIMIT_MAX } from "./closed-config";
import { apiKey, bearer, createKey, mintJwt } from "./helpers";

/** Rate limits through the real Worker and one RateLimiterDO per bucket: exact under concurrency. */
const ip = () => `203.0.113.${Math.floor(Math.random() * 250)}-${crypto.randomUUID().slice(0, 6)}`;
const remaining = (r: { headers: Headers }) => Number(r.headers.get("x-ratelimit-remaining"));

describe("rate limits", () => {
  it("lets exactly N of N+1 concurrent requests through on a key limited to N, and counts down", async () => {
    const N = 5;
    const key = await createKey({ rateLimitMax: N });
    const rs = await Promise.all(Array.from({ length: N + 1 }, () => call("GET", "/usage", undefined, key.headers)));
    const ok = rs.filter((r) => r.status === 200);
    const limited = rs.filter((r) => r.status === 429);
    expect(ok).toHaveLength(N);
    expect(limited).toHaveLength(1);
    expect(ok.map(remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const r of rs) expect(r.headers.get("x-ratelimit-limit")).toBe(String(N));
    const refused = limited[0]!;
    expect(refused.json).toMatchObject({ error: "RATE_LIMITED", message: expect.stringContaining("Retry after") });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(59);
    expect(remaining(refused)).toBe(0);
    const reset = Number(refused.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThan(Date.now() / 1000 + 50);
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
  });

  it(`limits requests without a credential per client IP: exactly RATE_LIMIT_MAX (${RATE_LIMIT_MAX}) of ${RATE_LIMIT_MAX + 1}`, async () => {
    const from = ip();
    const rs = await Promise.all(Array.from({ length: RATE_LIMIT_MAX + 1 }, () => call("GET", "/health", undefined, { "cf-connecting-ip": from })));
    expect(rs.filter((r) => r.status === 200)).toHaveLength(RATE_LIMIT_MAX);
    expect(rs.filter((r) => r.status === 429)).toHaveLength(1);
    // Another address has its own count.
    expect((await call("GET", "/health", undefined, { "cf-connecting-ip": ip() })).status).toBe(200);
  });

  it("counts refused credentials against the client IP, so keys cannot be guessed at full speed", async () => {
    const from = ip();
    const rs = await Promise.all(Array.from({ length: RATE_LIMIT_MAX }, (_, i) => call("GET", "/jobs", undefined, { "cf-connecting-ip": from, ...apiKey(`guess-${i}`) })));
    expect(rs.every((r) => r.status === 401)).toBe(true);
    expect((await call("GET", "/jobs", undefined, { "cf-connecting-ip": from, ...apiKey("one-more-guess") })).status).toBe(429);
    // A valid credential from the same address counts as itself, not as the address.
    const key = await createKey();
    expect((await call("GET", "/jobs", undefined, { "cf-connecting-ip": from, ...key.headers })).status).toBe(200);
  });

  it("puts the headers on every response (2xx, 401, 403, 404) and counts each request once, under / and /v1 alike", async () => {
    const key = await createKey({ rateLimitMax: 100 });
    const seen = [];
    for (const [path, headers] of [
      ["/usage", key.headers],
      ["/v1/usage", key.headers],
      ["/v1/keys", key.headers],
      ["/v1/jobs/00000000-0000-4000-8000-000000000000", key.headers],
      ["/v1/no-such-route", key.headers],
      ["/no-such-route", key.headers],
    ] as const) {
      const r = await call("GET", path, undefined, headers);
      seen.push([r.status, remaining(r)]);
    }
    expect(seen).toEqual([[200, 99], [200, 98], [403, 97], [404, 96], [404, 95], [404, 94]]);
    const anon = await call("GET", "/jobs", undefined, { "cf-connecting-ip": ip() });
    expect(anon.status).toBe(401);
    expect(anon.headers.get("x-ratelimit-limit")).toBe(String(RATE_LIMIT_MAX));
  });

  it("counts a JWT subject as one bucket, whichever of its tokens it presents", async () => {
    const sub = `bucket-${crypto.randomUUID()}`;
    const a = await call("GET", "/usage", undefined, bearer(await mintJwt({ sub })));
    const b = await call("GET", "/usage", undefined, bearer(await mintJwt({ sub, role: "admin" })));
    expect(remaining(a) - remaining(b)).toBe(1);
  });

  it("meters the OpenAPI document (it reads D1) while answering it without a credential", async () => {
    const r = await call("GET", "/openapi.json");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-ratelimit-limit")).not.toBeNull();
  });
});
