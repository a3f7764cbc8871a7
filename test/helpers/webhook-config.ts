/**
 * Webhook settings every test project runs with (vitest.config.ts binds them), and that tests import
 * so the two never drift. The receiver is an http server on 127.0.0.1, which only
 * ALLOW_PRIVATE_URLS lets through; the refusals are tested on the pure checks with it off.
 * Timeout and backoff are short so retries and timeouts take seconds, not minutes.
 */
export const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const WEBHOOK_SECRET_PREVIOUS = "whsec_cHJldmlvdXMtc2VjcmV0LWZvci1yb3RhdGlvbi0wMQ==";
export const WEBHOOK_MAX_ATTEMPTS = 4;
export const WEBHOOK_TIMEOUT_MS = 1_000;

export const webhookBindings = {
  ALLOW_PRIVATE_URLS: "true",
  WEBHOOK_SECRET,
  WEBHOOK_SECRET_PREVIOUS,
  WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT_MS),
  WEBHOOK_MAX_ATTEMPTS: String(WEBHOOK_MAX_ATTEMPTS),
  WEBHOOK_BACKOFF_BASE_MS: "300",
  WEBHOOK_BACKOFF_MAX_MS: "5000",
  WEBHOOK_PROGRESS_INTERVAL_MS: "200",
};
