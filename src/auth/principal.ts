export type Role = "user" | "admin";
/** Who is calling: `id` is the owner recorded on their jobs (never the credential itself). */
export type Principal = { id: string; role: Role; via: "open" | "api-key" };
