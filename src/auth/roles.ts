import { ROLES } from "../schemas/roles";
import type { Principal } from "./principal";

/**
 * Who may do what. `user`: its own jobs, outputs, deliveries and usage, plus health, capabilities and
 * reading workflows. `admin`: everything, including workflows, hosts and keys. A route states the
 * least role it needs with `requireRole(…)`; ownership is checked with `canSee`/`ownerScope`.
 */
export { ROLES };
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { user: 1, admin: 2 };

export const isRole = (v: unknown): v is Role => typeof v === "string" && (ROLES as readonly string[]).includes(v);

/** Whether `who` holds `needed` or a role above it. */
export const hasRole = (who: Pick<Principal, "role">, needed: Role): boolean => RANK[who.role] >= RANK[needed];

/** A resource owned by `owner` is visible to its owner and to admins; to anyone else it does not exist (404). */
export const canSee = (who: Pick<Principal, "id" | "role">, owner: string): boolean => who.role === "admin" || who.id === owner;

/** The owner a list query is limited to: the caller's own id, or undefined (everyone's) for an admin. */
export const ownerScope = (who: Pick<Principal, "id" | "role">): string | undefined => (who.role === "admin" ? undefined : who.id);
