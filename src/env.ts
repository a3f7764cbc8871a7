import { z } from "zod";

/**
 * Secrets and optional settings that wrangler.toml does not declare (they are set with
 * `wrangler secret put` or `.dev.vars`), on top of the generated binding types.
 */
export type Env = Cloudflare.Env & {
  API_KEYS?: string;
  SIGNING_SECRET?: string;
  R2_ACCOUNT_ID?: string;
  R2_ACCESS_KEY_ID?: string;
  R2_SECRET_ACCESS_KEY?: string;
  R2_BUCKET_NAME?: string;
};

const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).catch(fallback);

const ConfigSchema = z.object({
  COMFYUI_TIMEOUT_MS: int(1_000, 24 * 3_600_000, 600_000),
  MAX_ATTEMPTS: int(1, 20, 3),
  QUEUE_TTL_MS: int(1_000, 30 * 24 * 3_600_000, 3_600_000),
  SIGNED_URL_TTL_S: int(10, 7 * 24 * 3600, 3600),
  MAX_BODY_BYTES: int(1024, 100 * 1024 * 1024, 10 * 1024 * 1024),
  DEFAULT_HOST_SLOTS: int(1, 64, 2),
  HOST_TICK_MS: int(100, 60_000, 2_000),
  WEBSOCKET_RECONNECT_ATTEMPTS: int(0, 100, 5),
  WEBSOCKET_RECONNECT_DELAY_S: z.coerce.number().min(0).max(300).catch(1),
  MAX_IMAGE_SIZE: int(64, 16384, 2048),
  MAX_BATCH_SIZE: int(1, 256, 8),
  API_KEYS: z.string().optional(),
  SIGNING_SECRET: z.string().min(16).optional().catch(undefined),
  R2_ACCOUNT_ID: z.string().min(1).optional(),
  R2_ACCESS_KEY_ID: z.string().min(1).optional(),
  R2_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  R2_BUCKET_NAME: z.string().min(1).optional(),
});
export type Config = z.infer<typeof ConfigSchema>;

const cache = new WeakMap<object, Config>();

/** Config is parsed once per env object (once per isolate in production); bad values fall back to safe defaults. */
export function config(env: Env): Config {
  let c = cache.get(env);
  if (!c) {
    c = ConfigSchema.parse(env);
    cache.set(env, c);
  }
  return c;
}

export function s3Credentials(c: Config) {
  if (!c.R2_ACCOUNT_ID || !c.R2_ACCESS_KEY_ID || !c.R2_SECRET_ACCESS_KEY || !c.R2_BUCKET_NAME) return null;
  return { accountId: c.R2_ACCOUNT_ID, accessKeyId: c.R2_ACCESS_KEY_ID, secretAccessKey: c.R2_SECRET_ACCESS_KEY, bucket: c.R2_BUCKET_NAME };
}
