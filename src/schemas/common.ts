import { z } from "zod";

export const Id = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, "may contain only letters, digits, '.', '_', ':' and '-'");
export const Uuid = z.uuid().describe("A UUID");

export const ErrorBodySchema = z
  .object({
    error: z.string().describe("A stable error code, e.g. VALIDATION_FAILED"),
    message: z.string().describe("What went wrong and what to fix"),
    details: z.unknown().optional(),
    retryable: z.boolean().optional(),
  })
  ;

/** Metadata is the client's own: any JSON object, bounded so a row stays small. */
export const Metadata = z
  .record(z.string().max(128), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 16_384, "metadata must serialise to at most 16 KiB");
