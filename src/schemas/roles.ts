/** The roles a caller can have; what each may do is src/auth/roles.ts. */
export const ROLES = ["user", "admin"] as const;
