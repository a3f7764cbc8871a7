import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { authMode, credentialsConfigured } from "../../src/auth/mode";
import { config } from "../../src/env";

describe("whether the gateway is open", () => {
  it.each([
    { vars: {}, closed: false },
    { vars: { API_KEYS: "  " }, closed: false },
    { vars: { API_KEYS: "k:admin" }, closed: true },
    { vars: { API_KEYS: ":admin" }, closed: true },
    { vars: { JWT_SECRET: "short" }, closed: true },
    { vars: { JWT_JWKS_URL: "not a url" }, closed: true },
  ])("with $vars: closed = $closed", ({ vars, closed }) => {
    expect(credentialsConfigured(vars)).toBe(closed);
  });

  it("notices a key another isolate stored within a few seconds", async () => {
    const cfg = config(env);
    const now = Date.now();
    expect(await authMode(cfg, env.DB, now)).toBe("open");
    await env.DB.prepare("INSERT INTO api_keys (id, name, role, secret_hash, prefix, created_at_ms) VALUES (?, 'x', 'user', ?, 'ce_x', ?)")
      .bind(crypto.randomUUID(), crypto.randomUUID(), now).run();
    expect(await authMode(cfg, env.DB, now + 1_000)).toBe("open");
    expect(await authMode(cfg, env.DB, now + 5_001)).toBe("closed");
  });
});
