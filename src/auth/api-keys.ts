import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys } from "../db/schema";
import { base64url, sha256Hex, timingSafeEqualStr } from "../lib/bytes";
import { configKeyOwner, storedKeyOwner } from "./owner";
import type { Principal } from "./principal";
import type { Role } from "./roles";

export type ConfiguredKey = { key: string; role: Role };
/** A config key as the gateway keeps it in memory: its digest, never the key; `id` is its owner id (stable across restarts, useless to whoever reads it). */
export type ConfiguredDigest = { digest: string; role: Role; id: string };
export type StoredKeyRow = typeof apiKeys.$inferSelect;
export type KeyCheck =
  | { ok: true; principal: Principal; stored?: StoredKeyRow }
  | { ok: false; reason: "unknown" | "revoked" | "expired" };
export type Equal = (a: string, b: string) => boolean;

/** Secrets of keys created through the API start with this, so a leaked one is easy to grep for. */
export const STORED_KEY_PREFIX = "ce_";
const SHOWN_PREFIX_LENGTH = STORED_KEY_PREFIX.length + 8;

/** `API_KEYS=key:role,key:role`; a key without a role is a user key. Malformed entries are skipped. */
export function parseApiKeys(raw: string | undefined): ConfiguredKey[] {
  if (!raw) return [];
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry): ConfiguredKey => {
      const i = entry.lastIndexOf(":");
      const role = i > 0 ? entry.slice(i + 1).toLowerCase() : "";
      if (role === "admin" || role === "user") return { key: entry.slice(0, i), role };
      return { key: entry, role: "user" };
    })
    .filter((k) => k.key.length > 0);
}

/** Every credential is looked up by its SHA-256: a secret is never compared, stored or logged as is. */
export const keyDigest = (secret: string): Promise<string> => sha256Hex(secret);

let digestCache: { raw: string; keys: Promise<ConfiguredDigest[]> } | undefined;

/** API_KEYS as digests, computed once per isolate. */
export function configuredDigests(raw: string | undefined): Promise<ConfiguredDigest[]> {
  const r = raw ?? "";
  if (digestCache?.raw !== r) {
    const keys = Promise.all(parseApiKeys(r).map(async (k) => {
      const digest = await keyDigest(k.key);
      return { digest, role: k.role, id: configKeyOwner(digest) };
    }));
    digestCache = { raw: r, keys };
  }
  return digestCache.keys;
}

/**
 * Compares the presented digest with every configured one, always all of them, each in constant
 * time, so the time taken says nothing about which key (if any) matched.
 */
export function matchConfiguredKey(presented: string, keys: readonly ConfiguredDigest[], equal: Equal = timingSafeEqualStr): ConfiguredDigest | null {
  let match: ConfiguredDigest | null = null;
  for (const k of keys) if (equal(presented, k.digest) && !match) match = k;
  return match;
}

/**
 * A stored key, found by the digest of the presented secret. The index lookup can only leak
 * something about a SHA-256 digest (useless without a preimage of a 256-bit random secret); the
 * final check is the same constant-time comparison the config keys get.
 */
export async function findStoredKey(d: Db, presented: string, nowMs: number, equal: Equal = timingSafeEqualStr): Promise<KeyCheck> {
  const row = await d.select().from(apiKeys).where(eq(apiKeys.secretHash, presented)).get();
  if (!row || !equal(presented, row.secretHash)) return { ok: false, reason: "unknown" };
  if (row.revokedAtMs !== null) return { ok: false, reason: "revoked" };
  if (row.expiresAtMs !== null && row.expiresAtMs <= nowMs) return { ok: false, reason: "expired" };
  return {
    ok: true,
    stored: row,
    principal: { id: storedKeyOwner(row.id), role: row.role, via: "stored-key", rateLimitMax: row.rateLimitMax, pendingLimit: row.pendingLimit },
  };
}

/** Config keys first (no I/O), then D1, which is only asked about secrets shaped like the ones it issues. */
export async function checkApiKey(secret: string, opts: { apiKeys: string | undefined; db: Db; nowMs: number; equal?: Equal }): Promise<KeyCheck> {
  const digest = await keyDigest(secret);
  const configured = matchConfiguredKey(digest, await configuredDigests(opts.apiKeys), opts.equal);
  if (configured) return { ok: true, principal: { id: configured.id, role: configured.role, via: "config-key" } };
  if (!secret.startsWith(STORED_KEY_PREFIX)) return { ok: false, reason: "unknown" };
  return findStoredKey(opts.db, digest, opts.nowMs, opts.equal);
}

/** A new key's secret (256 random bits) and the few characters of it that may be shown again. */
export function newKeySecret(): { secret: string; prefix: string } {
  const secret = STORED_KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { secret, prefix: secret.slice(0, SHOWN_PREFIX_LENGTH) };
}
