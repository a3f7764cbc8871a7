import { sha256Hex, timingSafeEqualStr } from "../lib/bytes";
import type { Principal, Role } from "./principal";

export type ConfiguredKey = { key: string; role: Role };

/** `API_KEYS=key:role,key:role`; a key without a role is a user key. Malformed entries are skipped. */
export function parseApiKeys(raw: string | undefined): ConfiguredKey[] {
  if (!raw) return [];
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry): ConfiguredKey => {
      const i = entry.lastIndexOf(":");
      const role = i > 0 ? entry.slice(i + 1) : "";
      if (role === "admin" || role === "user") return { key: entry.slice(0, i), role };
      return { key: entry, role: "user" };
    })
    .filter((k) => k.key.length > 0);
}

/** Compares against every configured key, always all of them, in constant time per key. */
export async function principalForKey(presented: string, keys: ConfiguredKey[]): Promise<Principal | null> {
  let match: ConfiguredKey | null = null;
  for (const k of keys) if (timingSafeEqualStr(presented, k.key) && !match) match = k;
  if (!match) return null;
  return { id: `key_${(await sha256Hex(match.key)).slice(0, 16)}`, role: match.role, via: "api-key" };
}
