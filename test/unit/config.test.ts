import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { CONFIG_KEYS, config, configWarnings, type Env } from "../../src/env";

const parse = (vars: Record<string, unknown>) => config(vars as unknown as Env);
const defaults = parse({});

/** Every variable of README's configuration table, each with a value that is wrong for it. */
const BAD: { name: string; value: unknown }[] = [
  ...["COMFYUI_TIMEOUT_MS", "MAX_ATTEMPTS", "QUEUE_TTL_MS", "SIGNED_URL_TTL_S", "MAX_BODY_BYTES", "DEFAULT_HOST_SLOTS", "HOST_TICK_MS",
    "HOST_IDLE_CHECK_MS", "HOST_QUEUE_WAIT_MS", "WEBSOCKET_RECONNECT_ATTEMPTS", "WEBSOCKET_RECONNECT_DELAY_S", "MAX_IMAGE_SIZE", "MAX_BATCH_SIZE",
    "RATE_LIMIT_MAX", "RATE_LIMIT_WINDOW_MS", "PENDING_LIMIT", "GLOBAL_PENDING_LIMIT", "WEBHOOK_TIMEOUT_MS", "WEBHOOK_MAX_ATTEMPTS",
    "WEBHOOK_BACKOFF_BASE_MS", "WEBHOOK_BACKOFF_MAX_MS", "WEBHOOK_PROGRESS_INTERVAL_MS", "INPUT_MAX_BYTES", "INPUT_CACHE_MAX_BYTES",
    "INPUT_FETCH_TIMEOUT_MS", "OUTPUT_RETENTION_DAYS", "INLINE_OUTPUT_MAX_BYTES"].map((name) => ({ name, value: "ten" })),
  { name: "LOG_LEVEL", value: "loud" },
  { name: "TRUST_CF_CONNECTING_IP", value: "maybe" },
  { name: "RUNPOD_OUTPUT_TYPE", value: "url" },
  { name: "ALERT_WEBHOOK_URL", value: "not a url" },
  { name: "API_KEYS", value: { not: "a string" } },
  { name: "JWT_SECRET", value: 42 },
  { name: "JWT_JWKS_URL", value: 42 },
  { name: "JWT_AUDIENCE", value: 42 },
  { name: "JWT_ISSUER", value: 42 },
  { name: "SIGNING_SECRET", value: "short" },
  { name: "R2_ACCOUNT_ID", value: "" },
  { name: "R2_ACCESS_KEY_ID", value: "" },
  { name: "R2_SECRET_ACCESS_KEY", value: "" },
  { name: "R2_BUCKET_NAME", value: "" },
  { name: "WEBHOOK_SECRET", value: 42 },
  { name: "WEBHOOK_SECRET_PREVIOUS", value: 42 },
  { name: "WEBHOOK_ALLOWED_DOMAINS", value: 42 },
  { name: "PUBLIC_URL", value: "not a url" },
  { name: "CORS_ORIGINS", value: 42 },
  { name: "METRICS_TOKEN", value: "short" },
  { name: "ALLOW_PRIVATE_URLS", value: "yes" },
  { name: "COMFY_ORG_API_KEY", value: 42 },
];

describe("config with bad values", () => {
  it.each(BAD)("$name = $value falls back with a warning naming it", ({ name, value }) => {
    const full = { R2_ACCOUNT_ID: "acc", R2_ACCESS_KEY_ID: "id", R2_SECRET_ACCESS_KEY: "secret", R2_BUCKET_NAME: "bucket" };
    // The R2 variables go together: one bad among good ones is what breaks a deployment.
    const vars = name.startsWith("R2_") ? { ...full, [name]: value } : { [name]: value };
    let cfg!: ReturnType<typeof parse>;
    expect(() => (cfg = parse(vars))).not.toThrow();
    expect(configWarnings(cfg).join("\n")).toContain(name);
    if (!name.startsWith("R2_") && name !== "API_KEYS") expect(cfg[name as keyof typeof cfg]).toEqual(defaults[name as keyof typeof defaults]);
  });

  it("covers every variable the schema reads", () => {
    expect(new Set(BAD.map((b) => b.name))).toEqual(new Set(CONFIG_KEYS));
  });

  it.each(["", " ", "garbage", 12345, -1, {}, [], true, "1e400", "\u0000", "\ud800"])("never throws for any variable set to %j", (value) => {
    for (const name of CONFIG_KEYS) expect(() => parse({ [name]: value }), name).not.toThrow();
  });

  it("keeps a malformed API_KEYS closing the gateway: a typo never opens it", () => {
    expect(parse({ API_KEYS: { not: "a string" } }).API_KEYS).toBeTruthy();
    expect(parse({ API_KEYS: 12345 }).API_KEYS).toBe("12345");
  });

  it("says nothing about unset variables, nor about the shipped wrangler.toml values", () => {
    expect(configWarnings(defaults)).toEqual([]);
    expect(configWarnings(config(env as Env))).toEqual([]);
  });

  it("never puts a secret's value in a warning", () => {
    const cfg = parse({ SIGNING_SECRET: "tooshort-secret", R2_ACCOUNT_ID: "acct-1234", R2_ACCESS_KEY_ID: "" });
    expect(configWarnings(cfg).join("\n")).not.toMatch(/tooshort-secret|acct-1234/);
  });
});

describe("GET /health with a bad variable", () => {
  it("answers 200 and lists the warning (R2_ACCOUNT_ID empty used to take the Worker down)", async () => {
    const bad = { ...env, R2_ACCOUNT_ID: "", MAX_ATTEMPTS: "many" } as unknown as typeof env;
    const ctx = createExecutionContext();
    const res = await createApp().request("http://gw.test/health", {}, bad, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { warnings: string[] };
    expect(body.warnings.join("\n")).toContain("MAX_ATTEMPTS");
  });
});
