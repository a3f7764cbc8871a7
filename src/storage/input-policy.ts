import type { Config } from "../env";
import type { FetchPolicy } from "./inputs";

/** The rules for URL and inline inputs, from the config (ALLOW_PRIVATE_URLS is the webhooks' switch, shared). */
export const inputPolicy = (c: Config): FetchPolicy => ({ allowPrivate: c.ALLOW_PRIVATE_URLS, maxBytes: c.INPUT_MAX_BYTES, timeoutMs: c.INPUT_FETCH_TIMEOUT_MS });
