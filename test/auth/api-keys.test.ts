import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, tinyGraph } from "../helpers/gateway";
import { USER_KEY } from "./closed-config";
import { admin, apiKey, bearer, createKey, expectAuthFailed } from "./helpers";

/** Keys created through the API: shown once, stored as SHA-256, revocable, expirable. */
const sha256 = async (s: string) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("");
const row = (id: string) => env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first<Record<string, unknown>>();

afterEach(() => vi.restoreAllMocks());

describe("POST /keys", () => {
  it("shows the secret once and stores only its SHA-256", async () => {
    const r = await call("POST", "/keys", { name: "ci bot", role: "user", rateLimitMax: 50, pendingLimit: 3 }, admin);
    expect(r.status).toBe(201);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.json).toMatchObject({ id: expect.any(String), name: "ci bot", role: "user", rateLimitMax: 50, pendingLimit: 3, expiresAt: null, revokedAt: null, lastUsedAt: null });
    const { secret, prefix, id } = r.json;
    expect(secret.startsWith(prefix)).toBe(true);
    const stored = (await row(id))!;
    expect(stored.secret_hash).toBe(await sha256(secret));
    expect(JSON.stringify(stored)).not.toContain(secret);
    const list = await call("GET", "/keys", undefined, admin);
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain(stored.secret_hash as string);
    expect(list.json.items.find((k: { id: string }) => k.id === id)).toMatchObject({ id, prefix, name: "ci bot" });
    expect(list.json.items[0]).not.toHaveProperty("secret");
  });

  it.each([
    { name: "no name", body: {} },
    { name: "an unknown role", body: { name: "x", role: "root" } },
    { name: "a zero rate limit", body: { name: "x", rateLimitMax: 0 } },
    { name: "an expiry in the past", body: { name: "x", expiresAt: "2020-01-01T00:00:00Z" } },
    { name: "an extra field", body: { name: "x", secret: "mine" } },
  ])("refuses $name with 400", async ({ body }) => {
    const r = await call("POST", "/keys", body, admin);
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("VALIDATION_FAILED");
  });

  it("never logs a secret; logs the key's id and prefix", async () => {
    const lines: string[] = [];
    for (const m of ["log", "warn", "error", "info", "debug"] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(" ")));
    const key = await createKey({ role: "admin" });
    await call("GET", "/keys", undefined, key.headers);
    await call("GET", "/jobs", undefined, apiKey(`${key.secret}x`));
    await call("POST", "/jobs", { workflow: tinyGraph() }, key.headers);
    vi.restoreAllMocks();
    expect(lines.join("\n")).not.toContain(key.secret);
    expect(lines.join("\n")).not.toContain(key.secret.slice(key.prefix.length));
    expect(lines.some((l) => l.includes('"key.created"') && l.includes(key.id) && l.includes(key.prefix))).toBe(true);
  });
});

describe("a stored key", () => {
  it("authenticates as itself (X-API-Key or Bearer), with owner id key:<its id> on its jobs", async () => {
    const key = await createKey();
    for (const headers of [key.headers, bearer(key.secret)]) {
      const r = await call("POST", "/jobs", { workflow: tinyGraph() }, headers);
      expect(r.status).toBe(202);
      expect(await env.DB.prepare("SELECT owner FROM jobs WHERE id = ?").bind(r.json.id).first("owner")).toBe(`key:${key.id}`);
    }
  });

  it("carries its role: an admin key manages keys, a user key may not", async () => {
    expect((await call("GET", "/keys", undefined, (await createKey({ role: "admin" })).headers)).status).toBe(200);
    expect((await call("GET", "/keys", undefined, (await createKey({ role: "user" })).headers)).status).toBe(403);
  });

  it("stops working when revoked; revoking again changes nothing", async () => {
    const key = await createKey();
    expect((await call("GET", "/jobs", undefined, key.headers)).status).toBe(200);
    const first = await call("DELETE", `/keys/${key.id}`, undefined, admin);
    expect(first.status).toBe(200);
    expect(first.json.revokedAt).toEqual(expect.any(String));
    expectAuthFailed(await call("GET", "/jobs", undefined, key.headers), "Invalid API key");
    const again = await call("DELETE", `/keys/${key.id}`, undefined, admin);
    expect(again.json.revokedAt).toBe(first.json.revokedAt);
  });

  it("answers 404 for revoking a key that does not exist", async () => {
    expect((await call("DELETE", `/keys/${crypto.randomUUID()}`, undefined, admin)).status).toBe(404);
    expect((await call("DELETE", "/keys/not-a-uuid", undefined, admin)).status).toBe(404);
  });

  it("stops working at its expiry", async () => {
    const key = await createKey({ expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await call("GET", "/jobs", undefined, key.headers)).status).toBe(200);
    await env.DB.prepare("UPDATE api_keys SET expires_at_ms = ? WHERE id = ?").bind(Date.now() - 1, key.id).run();
    expectAuthFailed(await call("GET", "/jobs", undefined, key.headers), "API key has expired");
  });

  it("records when it was last used", async () => {
    const key = await createKey();
    await call("GET", "/jobs", undefined, key.headers);
    await expect.poll(async () => (await row(key.id))!.last_used_at_ms, { timeout: 5_000 }).toEqual(expect.any(Number));
  });

  it("is refused when one character is off", async () => {
    const key = await createKey();
    const last = key.secret.at(-1) === "A" ? "B" : "A";
    expectAuthFailed(await call("GET", "/jobs", undefined, apiKey(key.secret.slice(0, -1) + last)), "Invalid API key");
    expectAuthFailed(await call("GET", "/jobs", undefined, apiKey(key.prefix)), "Invalid API key");
  });
});

describe("config keys", () => {
  it("authenticate without D1 and are refused when altered", async () => {
    expect((await call("GET", "/jobs", undefined, apiKey(USER_KEY))).status).toBe(200);
    expectAuthFailed(await call("GET", "/jobs", undefined, apiKey(`${USER_KEY} `.trim() + "x")), "Invalid API key");
    expectAuthFailed(await call("GET", "/jobs", undefined, apiKey(USER_KEY.slice(0, -1))), "Invalid API key");
  });
});
