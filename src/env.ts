import { z } from "zod";
import { log, setLogLevel } from "./lib/log";

/**
 * Secrets and optional settings that wrangler.toml does not declare (they are set with
 * `wrangler secret put` or `.dev.vars`), on top of the generated binding types.
 */
export type Env = Cloudflare.Env & {
  API_KEYS?: string;
  JWT_SECRET?: string;
  JWT_JWKS_URL?: string;
  JWT_AUDIENCE?: string;
  JWT_ISSUER?: string;
  RATE_LIMIT_MAX?: string;
  SIGNING_SECRET?: string;
  R2_ACCOUNT_ID?: string;
  R2_ACCESS_KEY_ID?: string;
  R2_SECRET_ACCESS_KEY?: string;
  R2_BUCKET_NAME?: string;
  WEBHOOK_SECRET?: string;
  WEBHOOK_SECRET_PREVIOUS?: string;
  WEBHOOK_ALLOWED_DOMAINS?: string;
  COMFY_ORG_API_KEY?: string;
  CORS_ORIGINS?: string;
  METRICS_TOKEN?: string;
  ALERT_WEBHOOK_URL?: string;
};

/** An empty variable (`NAME=` in .dev.vars, `NAME = ""` in wrangler.toml) means unset, not 0. */
const unsetIfEmpty = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const num = () => z.preprocess(unsetIfEmpty, z.coerce.number());
const int = (min: number, max: number, fallback: number) =>
  num().pipe(z.number().int().min(min).max(max)).catch(fallback);
/** A secret or name: any non-empty string; anything else is ignored, as if unset. */
const text = () => z.string().min(1).optional().catch(undefined);

/** `a,b` → ["a", "b"]; unset or empty → undefined. */
const list = z
  .string()
  .optional()
  .transform((v) => {
    const items = (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    return items.length ? items : undefined;
  })
  .catch(undefined);

const ConfigSchema = z.object({
  COMFYUI_TIMEOUT_MS: int(1_000, 24 * 3_600_000, 600_000),
  MAX_ATTEMPTS: int(1, 20, 3),
  QUEUE_TTL_MS: int(1_000, 30 * 24 * 3_600_000, 3_600_000),
  SIGNED_URL_TTL_S: int(10, 7 * 24 * 3600, 3600),
  MAX_BODY_BYTES: int(1024, 100 * 1024 * 1024, 10 * 1024 * 1024),
  DEFAULT_HOST_SLOTS: int(1, 64, 2),
  HOST_TICK_MS: int(100, 60_000, 2_000),
  HOST_IDLE_CHECK_MS: int(1_000, 3_600_000, 30_000),
  HOST_QUEUE_WAIT_MS: int(1_000, 24 * 3_600_000, 30_000),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).catch("info"),
  WEBSOCKET_RECONNECT_ATTEMPTS: int(0, 100, 5),
  WEBSOCKET_RECONNECT_DELAY_S: num().pipe(z.number().min(0).max(300)).catch(1),
  MAX_IMAGE_SIZE: int(64, 16384, 2048),
  MAX_BATCH_SIZE: int(1, 256, 8),
  // Kept as a string whatever its type, so a malformed value still closes open mode (see JWT_SECRET).
  API_KEYS: z.preprocess((v) => (v === undefined || v === null || typeof v === "string" ? (v ?? undefined) : JSON.stringify(v)), z.string().optional()),
  // Any non-empty value closes open mode, even one too weak or malformed to use: a typo must never open the gateway.
  JWT_SECRET: z.string().min(1).optional().catch(undefined),
  JWT_JWKS_URL: z.string().trim().min(1).optional().catch(undefined),
  JWT_AUDIENCE: list,
  JWT_ISSUER: list,
  /** Unset: 600 per window with credentials configured, no limit in open mode. 0: no limit. */
  RATE_LIMIT_MAX: num().pipe(z.number().int().min(0).max(1_000_000)).optional().catch(undefined),
  /** "false" under `wrangler dev`, where clients set CF-Connecting-IP themselves (see clientIpForLimits). */
  TRUST_CF_CONNECTING_IP: z.enum(["true", "false"]).optional().transform((v) => v !== "false").catch(true),
  RATE_LIMIT_WINDOW_MS: int(1_000, 24 * 3_600_000, 60_000),
  /** Queued + running jobs per owner, and across the deployment; 0 = no limit. */
  PENDING_LIMIT: int(0, 1_000_000, 100),
  GLOBAL_PENDING_LIMIT: int(0, 100_000_000, 10_000),
  SIGNING_SECRET: z.string().min(16).optional().catch(undefined),
  R2_ACCOUNT_ID: text(),
  R2_ACCESS_KEY_ID: text(),
  R2_SECRET_ACCESS_KEY: text(),
  R2_BUCKET_NAME: text(),
  // Webhooks (docs/webhooks.md). The secrets are parsed, and warned about, in src/webhooks/settings.ts.
  WEBHOOK_SECRET: z.string().optional().catch(undefined),
  WEBHOOK_SECRET_PREVIOUS: z.string().optional().catch(undefined),
  WEBHOOK_ALLOWED_DOMAINS: z.string().optional().catch(undefined),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000, 10_000),
  WEBHOOK_MAX_ATTEMPTS: int(1, 50, 10),
  WEBHOOK_BACKOFF_BASE_MS: int(100, 3_600_000, 10_000),
  WEBHOOK_BACKOFF_MAX_MS: int(1_000, 12 * 3_600_000, 3_600_000),
  WEBHOOK_PROGRESS_INTERVAL_MS: int(100, 3_600_000, 5_000),
  /** Development only: lets webhooks and URL inputs reach http and private or loopback addresses. Anything but "true" is off. */
  ALLOW_PRIVATE_URLS: z.union([z.enum(["true", "false"]), z.boolean()]).optional().transform((v) => v === "true" || v === true).catch(false),
  // Input files (docs/api.md "Input files").
  INPUT_MAX_BYTES: int(1024, 100 * 1024 * 1024, 20 * 1024 * 1024),
  INPUT_CACHE_MAX_BYTES: int(0, 1024 * 1024 * 1024 * 1024, 1024 * 1024 * 1024),
  INPUT_FETCH_TIMEOUT_MS: int(100, 120_000, 15_000),
  /** Outputs inline (base64) per job, in bytes before encoding; past it an output has its link only, with a note. */
  INLINE_OUTPUT_MAX_BYTES: int(0, 64 * 1024 * 1024, 4 * 1024 * 1024),
  /** The RunPod facade's output: `base64` (worker-comfyui without a bucket) or `s3_url` (signed links, as with a bucket). */
  RUNPOD_OUTPUT_TYPE: z.enum(["base64", "s3_url"]).catch("base64"),
  /** Comfy.org API-node key sent with every prompt unless a job brings its own. */
  COMFY_ORG_API_KEY: text(),
  /** Finished jobs and their outputs are deleted this many days after they end; 0 keeps them forever. */
  OUTPUT_RETENTION_DAYS: num().pipe(z.number().min(0).max(36_500)).catch(30),
  /** Origins browsers may call from (`*` = any); unset = no CORS headers. Parsed in src/api/middleware/cors.ts. */
  CORS_ORIGINS: list,
  /** A bearer token for GET /metrics besides an admin credential (≥ 16 characters; shorter is ignored). */
  METRICS_TOKEN: z.string().trim().min(16).optional().catch(undefined),
  /** Where fleet alerts (work queued that no host can take) are POSTed on each change, signed like job webhooks; unset = log only. */
  ALERT_WEBHOOK_URL: z.string().trim().url().max(2048).optional().catch(undefined),
  /** The gateway's public origin for links in webhook bodies; unset = the origin of the request that created the job. */
  PUBLIC_URL: z
    .string()
    .trim()
    .refine((v) => v === "" || safeOrigin(v) !== undefined, "not an http(s) URL")
    .optional()
    .transform((v) => (v ? safeOrigin(v) : undefined))
    .catch(undefined),
});

export function safeOrigin(v: string): string | undefined {
  try {
    const u = new URL(v);
    return u.protocol === "https:" || u.protocol === "http:" ? u.origin : undefined;
  } catch {
    return undefined;
  }
}
export type Config = z.infer<typeof ConfigSchema>;

export const CONFIG_KEYS = Object.keys(ConfigSchema.shape) as (keyof Config)[];

const R2_KEYS = ["R2_ACCOUNT_ID", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "R2_BUCKET_NAME"] as const;

/** What a fallback means, in words; never the bad value itself, which may be a secret. */
function fallbackWords(v: unknown): string {
  return v === undefined ? "it is ignored, as if unset" : `using the default ${JSON.stringify(v)}`;
}

/**
 * Each set variable its schema had to replace by its fallback, by name. The schema without its
 * `.catch` tells a bad value from a good one; an empty value is unset, not bad. Pure.
 */
export function findConfigWarnings(env: Record<string, unknown>, cfg: Config): string[] {
  const warnings: string[] = [];
  for (const key of CONFIG_KEYS) {
    const raw = env[key];
    if (raw === undefined || (typeof raw === "string" && raw.trim() === "")) continue;
    if (key === "API_KEYS" && typeof raw !== "string") warnings.push("API_KEYS is not a string: the gateway stays closed, but its keys may not work");
    const field = ConfigSchema.shape[key];
    if (!(field instanceof z.ZodCatch)) continue;
    if (!field.unwrap().safeParse(raw).success) warnings.push(`${key} has an invalid value: ${fallbackWords(cfg[key])}`);
  }
  const set = R2_KEYS.filter((k) => cfg[k] !== undefined);
  if (set.length > 0 && set.length < R2_KEYS.length) {
    const missing = R2_KEYS.filter((k) => cfg[k] === undefined);
    warnings.push(`${missing.join(", ")} unset or empty while other R2_* variables are set: download links are Worker-signed, not R2 presigned`);
  }
  return warnings;
}

const cache = new WeakMap<object, Config>();
const warningsOf = new WeakMap<Config, string[]>();

/**
 * Config is parsed once per env object (once per isolate in production). Every variable has a
 * fallback: a bad value is logged and listed in /health `warnings`, and never takes the Worker down.
 */
export function config(env: Env): Config {
  let c = cache.get(env);
  if (!c) {
    c = ConfigSchema.parse(env);
    cache.set(env, c);
    setLogLevel(c.LOG_LEVEL);
    const warnings = findConfigWarnings(env as unknown as Record<string, unknown>, c);
    warningsOf.set(c, warnings);
    for (const warning of warnings) log.warn("config.warning", { warning });
  }
  return c;
}

/** The bad variables found when this config was parsed (see findConfigWarnings). */
export const configWarnings = (c: Config): string[] => warningsOf.get(c) ?? [];

export function s3Credentials(c: Config) {
  if (!c.R2_ACCOUNT_ID || !c.R2_ACCESS_KEY_ID || !c.R2_SECRET_ACCESS_KEY || !c.R2_BUCKET_NAME) return null;
  return { accountId: c.R2_ACCOUNT_ID, accessKeyId: c.R2_ACCESS_KEY_ID, secretAccessKey: c.R2_SECRET_ACCESS_KEY, bucket: c.R2_BUCKET_NAME };
}
