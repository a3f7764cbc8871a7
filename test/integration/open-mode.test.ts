import { afterEach, describe, expect, it, vi } from "vitest";
import { call, tinyGraph } from "../helpers/gateway";

/**
 * Open mode (this project configures no credential): local development, everyone is admin, and
 * /health and the log say so. The last test closes it by storing a key, so it stays last.
 */
afterEach(() => vi.restoreAllMocks());

describe("open mode", () => {
  it("warns once in the log, not on every request", async () => {
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warnings.push(String(line)));
    for (let i = 0; i < 3; i++) await call("GET", "/jobs");
    expect(warnings.filter((l) => l.includes('"auth.open_mode"'))).toHaveLength(1);
  });

  it("says so on /health, with the fleet details, to a caller without credentials", async () => {
    const r = await call("GET", "/health");
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, auth: "open", comfyui: expect.any(Object), jobs: expect.any(Object) });
  });

  it("treats everyone as admin", async () => {
    for (const path of ["/keys", "/hosts", "/usage?owner=anyone"]) expect((await call("GET", path)).status).toBe(200);
    const job = await call("POST", "/jobs", { workflow: tinyGraph() });
    expect(job.status).toBe(202);
    expect((await call("GET", "/usage")).json.owner).toBe("open:anonymous");
  });

  it("does not rate-limit unless RATE_LIMIT_MAX is set", async () => {
    expect((await call("GET", "/jobs")).headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("ends the moment a key is stored: from then on every request needs a credential", async () => {
    const created = await call("POST", "/keys", { name: "first admin", role: "admin" });
    expect(created.status).toBe(201);
    const anon = await call("GET", "/jobs");
    expect(anon.status).toBe(401);
    expect(anon.json.message).toBe("Authentication required. Provide X-API-Key header or Authorization: Bearer token.");
    expect((await call("GET", "/health")).json).toEqual({ ok: true, auth: "required" });
    const withKey = await call("GET", "/keys", undefined, { "x-api-key": created.json.secret });
    expect(withKey.status).toBe(200);
    // Rate limits now apply by default (600 per minute).
    expect(withKey.headers.get("x-ratelimit-limit")).toBe("600");
    // Revoking the last key does not reopen the gateway.
    await call("DELETE", `/keys/${created.json.id}`, undefined, { "x-api-key": created.json.secret });
    expect((await call("GET", "/jobs")).status).toBe(401);
  });
});
