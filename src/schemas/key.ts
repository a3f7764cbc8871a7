import { z } from "zod";
import { ROLES } from "./roles";
import { SafeName } from "./common";

export const CreateKey = z.strictObject({
  name: SafeName.trim().min(1).max(100).describe("What the key is for, e.g. the app or person using it"),
  role: z.enum(ROLES).default("user").describe("user: own jobs only; admin: everything, including keys"),
  rateLimitMax: z.int().min(1).max(1_000_000).optional().describe("Requests per RATE_LIMIT_WINDOW_MS for this key; default RATE_LIMIT_MAX"),
  pendingLimit: z.int().min(1).max(1_000_000).optional().describe("Queued + running jobs for this key; default PENDING_LIMIT"),
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((v) => Date.parse(v) > Date.now(), "expiresAt must be in the future")
    .optional()
    .describe("After this instant the key is refused with 401"),
});
export type CreateKey = z.infer<typeof CreateKey>;

export const KeySchema = z.object({
  id: z.string().describe("The key's jobs belong to owner id key:<id>"),
  name: z.string(),
  role: z.enum(ROLES),
  prefix: z.string().describe("The first characters of the secret, to tell keys apart"),
  rateLimitMax: z.number().nullable(),
  pendingLimit: z.number().nullable(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().describe("Updated at most once a minute"),
  revokedAt: z.string().nullable(),
});

export const CreatedKeySchema = KeySchema.extend({
  secret: z.string().describe("The key itself. Shown once, here; only its SHA-256 is stored"),
});

export const KeyListSchema = z.object({ items: z.array(KeySchema), count: z.number() });
