import { describe, expect, it } from "vitest";
import { call, tinyGraph } from "../helpers/gateway";
import { ADMIN_KEY, JWT_AUDIENCE, JWT_ISSUER, JWT_SECRET, USER_KEY } from "./closed-config";
import { admin, apiKey, bearer, createKey, expectAuthFailed } from "./helpers";

/**
 * ComfyUI Gateway's troubleshooting guide (../shared/seeds/comfyui-gateway-troubleshooting.txt),
 * §9 Rate Limiting and §10 Authentication: its requests with keys configured (API_KEYS, JWT_SECRET),
 * each test named after the guide's section and asserting the exact texts it shows. The open-mode
 * requests are in test/integration/seed-gateway.test.ts.
 */
const user = apiKey(USER_KEY);
const nowS = () => Math.floor(Date.now() / 1000);

/**
 * A token made exactly as the guide's §10b `node -e` snippet makes one (HS256 by hand, base64url,
 * `sub`, `role`, `iat`, `exp`), plus the `aud`/`iss` this project's JWT_AUDIENCE/JWT_ISSUER ask for
 * (a deployment that sets neither accepts the guide's token as it is).
 */
async function guideToken(payload: Record<string, unknown>, secret = JWT_SECRET) {
  const b64url = (s: string | Uint8Array) => {
    const bytes = typeof s === "string" ? new TextEncoder().encode(s) : s;
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify({ aud: JWT_AUDIENCE, iss: JWT_ISSUER, ...payload }));
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${header}.${body}`)));
  return `${header}.${body}.${b64url(sig)}`;
}

describe("ComfyUI Gateway's requests with keys configured", () => {
  it("9a. Identifying You Are Being Rate Limited: GET /health with X-API-Key carries X-RateLimit-Limit / -Remaining, and past the limit 429 { error: RATE_LIMITED } with Retry-After", async () => {
    const key = await createKey({ rateLimitMax: 2 });
    const first = await call("GET", "/health", undefined, key.headers);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
    expect((await call("GET", "/health", undefined, key.headers)).headers.get("x-ratelimit-remaining")).toBe("0");
    const limited = await call("GET", "/health", undefined, key.headers);
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ error: "RATE_LIMITED", message: expect.any(String) });
    expect(limited.headers.get("x-ratelimit-limit")).toBe("2");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("9b / 9c. Rate Limit Per API Key: each key has its own counter", async () => {
    const [client1, client2] = await Promise.all([createKey({ rateLimitMax: 1 }), createKey({ rateLimitMax: 1 })]);
    expect((await call("GET", "/health", undefined, client1.headers)).status).toBe(200);
    expect((await call("GET", "/health", undefined, client1.headers)).status).toBe(429);
    // client1 being limited leaves client2 (same client IP) untouched.
    const other = await call("GET", "/health", undefined, client2.headers);
    expect(other.status).toBe(200);
    expect(other.headers.get("x-ratelimit-remaining")).toBe("0");
  });

  it('10a. API Key Not Accepted: an unknown X-API-Key gets 401 { error: "AUTH_FAILED", message: "Invalid API key" }; keys are case-sensitive', async () => {
    expectAuthFailed(await call("GET", "/health", undefined, apiKey("mykey123")), "Invalid API key");
    expectAuthFailed(await call("GET", "/health", undefined, apiKey(ADMIN_KEY.toUpperCase())), "Invalid API key");
    // The exact key works.
    const ok = await call("GET", "/health", undefined, admin);
    expect(ok.status).toBe(200);
    expect(typeof ok.json.comfyui.reachable).toBe("boolean");
  });

  it('10b. JWT Token Expired: { error: "AUTH_FAILED", message: "JWT token has expired" }; a fresh token made the same way works', async () => {
    const iat = nowS();
    expectAuthFailed(await call("GET", "/jobs", undefined, bearer(await guideToken({ sub: "user-1", role: "admin", iat: iat - 7200, exp: iat - 3600 }))), "JWT token has expired");
    const fresh = await call("GET", "/jobs", undefined, bearer(await guideToken({ sub: "user-1", role: "admin", iat, exp: iat + 86400 })));
    expect(fresh.status, fresh.text).toBe(200);
  });

  it('10c. JWT Signature Invalid: a token signed with another secret gets { error: "AUTH_FAILED", message: "Invalid JWT signature" }', async () => {
    const token = await guideToken({ sub: "user-1", role: "admin", iat: nowS(), exp: nowS() + 3600 }, "not-the-gateway-jwt-secret-0123456789");
    expectAuthFailed(await call("GET", "/jobs", undefined, bearer(token)), "Invalid JWT signature");
  });

  it("10d. No Authentication Header Provided: 401 with the guide's message; X-API-Key (A) or a Bearer JWT (B) on /health works", async () => {
    expectAuthFailed(await call("GET", "/jobs"), "Authentication required. Provide X-API-Key header or Authorization: Bearer token.");
    expectAuthFailed(await call("POST", "/jobs", { workflow: tinyGraph() }), "Authentication required. Provide X-API-Key header or Authorization: Bearer token.");
    const a = await call("GET", "/health", undefined, user);
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ ok: expect.any(Boolean), comfyui: { reachable: expect.any(Boolean) } });
    const b = await call("GET", "/health", undefined, bearer(await guideToken({ sub: "user-1", role: "user", iat: nowS(), exp: nowS() + 3600 })));
    expect(b.status).toBe(200);
    expect(b.json).toMatchObject({ comfyui: { reachable: expect.any(Boolean) } });
  });

  it('10e. Insufficient Permissions: a user key on POST /workflows gets 403 { error: "FORBIDDEN", message: "Admin role required for this operation" }; the admin key creates it', async () => {
    const id = `seed-${crypto.randomUUID().slice(0, 8)}`;
    const body = { id, name: "Seed", graph: tinyGraph() };
    const refused = await call("POST", "/workflows", body, user);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: "FORBIDDEN", message: "Admin role required for this operation" });
    const created = await call("POST", "/workflows", body, apiKey(ADMIN_KEY));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id });
    // "User role can: create jobs, read own jobs, view health/capabilities."
    expect((await call("POST", "/jobs", { workflowId: id }, user)).status).toBe(202);
    expect((await call("GET", "/capabilities", undefined, user)).status).toBe(200);
  });

  it("Quick Diagnostic Commands: GET /jobs?status=queued|running with X-API-Key answers count", async () => {
    for (const status of ["queued", "running"]) {
      const r = await call("GET", `/jobs?status=${status}`, undefined, user);
      expect(r.status).toBe(200);
      expect(typeof r.json.count).toBe("number");
    }
  });
});
