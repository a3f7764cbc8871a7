import type { Config } from "../env";
import { log } from "../lib/log";
import { jwtConfigured } from "./jwt";

/**
 * Open mode is for local development only: with no API_KEYS, no JWT config and no key stored in
 * D1, every caller is admin. Any configured credential closes it, and so does the first stored key
 * (a revoked key still counts: revoking the last key must not open the gateway to everyone).
 */
export type AuthMode = "open" | "closed";

/** Isolates ask D1 at most this often whether a stored key exists; POST /keys tells its own isolate at once. */
const OPEN_RECHECK_MS = 5_000;
const CLOSED_RECHECK_MS = 60_000;

const storedKeysSeen = new WeakMap<D1Database, { exists: boolean; checkedAtMs: number }>();
let warnedOpen = false;

export function credentialsConfigured(cfg: Pick<Config, "API_KEYS" | "JWT_SECRET" | "JWT_JWKS_URL">): boolean {
  // A non-empty API_KEYS closes the gateway even when no entry in it parses.
  return Boolean(cfg.API_KEYS?.trim()) || jwtConfigured(cfg);
}

async function storedKeysExist(d1: D1Database, nowMs: number): Promise<boolean> {
  const seen = storedKeysSeen.get(d1);
  if (seen && nowMs - seen.checkedAtMs < (seen.exists ? CLOSED_RECHECK_MS : OPEN_RECHECK_MS)) return seen.exists;
  const row = await d1.prepare("SELECT 1 AS one FROM api_keys LIMIT 1").first<{ one: number }>();
  storedKeysSeen.set(d1, { exists: row !== null, checkedAtMs: nowMs });
  return row !== null;
}

export async function authMode(cfg: Config, d1: D1Database, nowMs = Date.now()): Promise<AuthMode> {
  if (credentialsConfigured(cfg) || (await storedKeysExist(d1, nowMs))) return "closed";
  if (!warnedOpen) {
    warnedOpen = true;
    log.warn("auth.open_mode", { note: "no API_KEYS, JWT_SECRET, JWT_JWKS_URL or stored key: every caller is admin. For local development only." });
  }
  return "open";
}

/** Called after a key is stored, so this isolate closes open mode now rather than at its next check. */
export function noteStoredKey(d1: D1Database, nowMs = Date.now()) {
  storedKeysSeen.set(d1, { exists: true, checkedAtMs: nowMs });
}
