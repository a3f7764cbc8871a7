import type { Config } from "../env";
import { log } from "../lib/log";
import { parseAllowedDomains } from "./allowlist";
import type { CallbackPolicy } from "./callback";
import type { Backoff } from "./policy";
import { parseWebhookSecret, type SigningKey } from "./sign";

/** Webhook settings as the delivery code uses them, derived once per parsed config. */
export type WebhookSettings = {
  current: SigningKey | null;
  previous: SigningKey | null;
  callbacks: CallbackPolicy;
  timeoutMs: number;
  maxAttempts: number;
  backoff: Backoff;
  progressIntervalMs: number;
  publicUrl: string | null;
  warnings: string[];
};

const cache = new WeakMap<Config, WebhookSettings>();

export function webhookSettings(cfg: Config): WebhookSettings {
  let s = cache.get(cfg);
  if (!s) {
    s = derive(cfg);
    cache.set(cfg, s);
    // Once per isolate (config is parsed once per env): the log says what /health says.
    for (const warning of s.warnings) log.warn("config.warning", { warning });
  }
  return s;
}

function derive(cfg: Config): WebhookSettings {
  const warnings: string[] = [];
  const current = parseWebhookSecret(cfg.WEBHOOK_SECRET);
  const previous = parseWebhookSecret(cfg.WEBHOOK_SECRET_PREVIOUS);
  if (!current.ok && current.reason === "unset") warnings.push("WEBHOOK_SECRET is not set: webhooks are sent unsigned");
  if (!current.ok && current.reason === "malformed") warnings.push("WEBHOOK_SECRET is not of the form whsec_<base64 of at least 16 bytes>: webhooks are sent unsigned");
  if (!previous.ok && previous.reason === "malformed") warnings.push("WEBHOOK_SECRET_PREVIOUS is not of the form whsec_<base64>: it is ignored");
  if (cfg.ALLOW_PRIVATE_URLS) warnings.push("ALLOW_PRIVATE_URLS=true: webhooks may reach http, private and loopback addresses; for local development only");
  return {
    current: current.ok ? current.key : null,
    previous: current.ok && previous.ok ? previous.key : null,
    callbacks: { allowPrivate: cfg.ALLOW_PRIVATE_URLS, allowed: parseAllowedDomains(cfg.WEBHOOK_ALLOWED_DOMAINS) },
    timeoutMs: cfg.WEBHOOK_TIMEOUT_MS,
    maxAttempts: cfg.WEBHOOK_MAX_ATTEMPTS,
    backoff: { baseMs: cfg.WEBHOOK_BACKOFF_BASE_MS, maxMs: Math.max(cfg.WEBHOOK_BACKOFF_MAX_MS, cfg.WEBHOOK_BACKOFF_BASE_MS) },
    progressIntervalMs: cfg.WEBHOOK_PROGRESS_INTERVAL_MS,
    publicUrl: cfg.PUBLIC_URL ?? null,
    warnings,
  };
}

/** Progress is a snapshot: one attempt, because a retried one would arrive stale and out of order. */
export const maxAttemptsFor = (event: string, s: WebhookSettings) => (event === "progress" ? 1 : s.maxAttempts);
