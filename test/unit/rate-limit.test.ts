import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/api/context";
import { rateLimit, rateLimitBucket, rateLimitRule } from "../../src/api/middleware/rate-limit";
import type { Principal } from "../../src/auth/principal";
import { ApiError } from "../../src/errors";
import { rateLimitHeaders, retryAfterSeconds } from "../../src/rate-limit/headers";
import { countHit, memoryLimiter, type WindowState } from "../../src/rate-limit/limiter";

const rule = { max: 3, windowMs: 60_000 };

describe("countHit (fixed window from the first request)", () => {
  it.each<{ name: string; state: WindowState | undefined; now: number; allowed: boolean; remaining: number; count: number; resetAtMs: number }>([
    { name: "a fresh bucket opens a window", state: undefined, now: 1_000, allowed: true, remaining: 2, count: 1, resetAtMs: 61_000 },
    { name: "inside the window it counts", state: { startMs: 0, resetAtMs: 60_000, count: 1 }, now: 59_999, allowed: true, remaining: 1, count: 2, resetAtMs: 60_000 },
    { name: "the last allowed request leaves 0", state: { startMs: 0, resetAtMs: 60_000, count: 2 }, now: 10, allowed: true, remaining: 0, count: 3, resetAtMs: 60_000 },
    { name: "past the limit it refuses without counting", state: { startMs: 0, resetAtMs: 60_000, count: 3 }, now: 10, allowed: false, remaining: 0, count: 3, resetAtMs: 60_000 },
    { name: "at the reset a new window opens", state: { startMs: 0, resetAtMs: 60_000, count: 3 }, now: 60_000, allowed: true, remaining: 2, count: 1, resetAtMs: 120_000 },
  ])("$name", ({ state, now, allowed, remaining, count, resetAtMs }) => {
    const r = countHit(state, rule, now);
    expect(r.result).toEqual({ allowed, limit: 3, remaining, resetAtMs });
    expect(r.state.count).toBe(count);
  });
});

describe("rate-limit headers", () => {
  it("gives the limit, what is left and the reset in epoch seconds", () => {
    expect(rateLimitHeaders({ allowed: true, limit: 10, remaining: 4, resetAtMs: 1_700_000_000_500 }, 1_700_000_000_000)).toEqual({
      "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "4", "X-RateLimit-Reset": "1700000001",
    });
  });
  it.each([
    [30_000, 30],
    [1, 1],
    [0, 1],
    [-5, 1],
    [1_001, 2],
  ])("Retry-After for a reset %i ms away is %i s", (inMs, want) => {
    const r = { allowed: false, limit: 1, remaining: 0, resetAtMs: 1_000_000 + inMs };
    expect(retryAfterSeconds(r, 1_000_000)).toBe(want);
    expect(rateLimitHeaders(r, 1_000_000)["Retry-After"]).toBe(String(want));
  });
});

describe("rateLimitRule", () => {
  const key = (rateLimitMax: number | null): Principal => ({ id: "k", role: "user", via: "stored-key", rateLimitMax });
  it.each<{ name: string; max: number | undefined; mode: "open" | "closed"; caller?: Principal; want: number | null }>([
    { name: "closed, RATE_LIMIT_MAX unset: 600", max: undefined, mode: "closed", want: 600 },
    { name: "open, RATE_LIMIT_MAX unset: none", max: undefined, mode: "open", want: null },
    { name: "open, RATE_LIMIT_MAX set: it applies", max: 50, mode: "open", want: 50 },
    { name: "RATE_LIMIT_MAX=0: none", max: 0, mode: "closed", want: null },
    { name: "a stored key's own limit wins", max: 50, mode: "closed", caller: key(5), want: 5 },
    { name: "a stored key without one gets the default", max: 50, mode: "closed", caller: key(null), want: 50 },
  ])("$name", ({ max, mode, caller, want }) => {
    expect(rateLimitRule({ RATE_LIMIT_MAX: max, RATE_LIMIT_WINDOW_MS: 60_000 }, mode, caller)?.max ?? null).toBe(want);
  });
});

describe("rateLimitBucket", () => {
  it.each<[Principal | undefined, string | undefined, string]>([
    [{ id: "cfg:0123456789abcdef", role: "user", via: "config-key" }, "1.2.3.4", "principal:cfg:0123456789abcdef"],
    [{ id: "jwt:-:sub-1", role: "admin", via: "jwt" }, undefined, "principal:jwt:-:sub-1"],
    [undefined, "1.2.3.4", "ip:1.2.3.4"],
    [undefined, undefined, "ip:unknown"],
    [{ id: "open:anonymous", role: "admin", via: "open" }, "5.6.7.8", "ip:5.6.7.8"],
  ])("%j from %s → %s", (caller, ip, want) => {
    expect(rateLimitBucket(caller, ip)).toBe(want);
  });
});

describe("the rateLimit middleware", () => {
  /** A tiny app with what the real one sets before rateLimit(), and a counter passed in. */
  function app(max: number) {
    const clock = () => 1_000_000;
    const limiter = memoryLimiter(clock);
    const a = new Hono<AppEnv>();
    a.onError((e, c) => (e instanceof ApiError ? c.json(e.body(), e.status, e.more.headers) : c.text("boom", 500)));
    a.use("*", async (c, next) => {
      c.set("config", { RATE_LIMIT_MAX: max, RATE_LIMIT_WINDOW_MS: 60_000 } as AppEnv["Variables"]["config"]);
      c.set("authMode", "closed");
      c.set("caller", { id: c.req.header("x-who") ?? "someone", role: "user", via: "jwt" });
      await next();
    });
    a.use("*", rateLimit({ limiter: () => limiter, clock }));
    a.get("/ok", (c) => c.text("ok"));
    a.get("/missing", (c) => c.json({ error: "NOT_FOUND" }, 404));
    a.get("/raw", () => new Response("raw"));
    return a;
  }

  it("counts down on every response, whatever its status, then answers 429 with Retry-After", async () => {
    const a = app(3);
    const seen = [];
    for (const path of ["/ok", "/missing", "/raw", "/ok"]) {
      const r = await a.request(path);
      seen.push([r.status, r.headers.get("x-ratelimit-remaining"), r.headers.get("retry-after")]);
    }
    expect(seen).toEqual([[200, "2", null], [404, "1", null], [200, "0", null], [429, "0", "60"]]);
  });

  it("keeps separate counts per principal", async () => {
    const a = app(1);
    expect((await a.request("/ok", { headers: { "x-who": "a" } })).status).toBe(200);
    expect((await a.request("/ok", { headers: { "x-who": "a" } })).status).toBe(429);
    expect((await a.request("/ok", { headers: { "x-who": "b" } })).status).toBe(200);
  });

  it("lets requests through when the counter is unreachable", async () => {
    const a = new Hono<AppEnv>();
    a.use("*", async (c, next) => {
      c.set("config", { RATE_LIMIT_MAX: 1, RATE_LIMIT_WINDOW_MS: 60_000 } as AppEnv["Variables"]["config"]);
      c.set("authMode", "closed");
      await next();
    });
    a.use("*", rateLimit({ limiter: () => ({ limit: () => Promise.reject(new Error("overloaded")) }) }));
    a.get("/ok", (c) => c.text("ok"));
    const r = await a.request("/ok");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-ratelimit-limit")).toBeNull();
  });
});
