import { OPEN_OWNER } from "./owner";
import type { Role } from "./roles";

export type { Role } from "./roles";

/**
 * Who is calling. `id` is the owner recorded on their jobs, never the credential itself, and always
 * namespaced by the credential's source (src/auth/owner.ts), so no credential can name another's owner.
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
export const OPEN_PRINCIPAL: Principal = Object.freeze({ id: OPEN_OWNER, role: "admin", via: "open" });
