import type { Role } from "./roles";

export type { Role } from "./roles";

/**
 * Who is calling. `id` is the owner recorded on their jobs, never the credential itself:
 * `key_<16 hex of its SHA-256>` for a key from API_KEYS, the key id for a stored key, `sub` for a JWT.
 */
export type Principal = {
  id: string;
  role: Role;
  via: "open" | "config-key" | "stored-key" | "jwt";
  /** Per-credential overrides (stored keys); absent or null = the deployment's defaults. */
  rateLimitMax?: number | null;
  pendingLimit?: number | null;
};

/** Open mode (no credential configured anywhere): local development, everyone is admin. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ id: "anonymous", role: "admin", via: "open" });
