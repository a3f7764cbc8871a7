import { z } from "zod";

export const Id = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, "may contain only letters, digits, '.', '_', ':' and '-'");
/**
 * NUL truncates strings in C code downstream (ComfyUI, SQLite tooling, log shippers) and a lone
 * surrogate cannot be encoded as UTF-8, so D1 and JSON consumers would mangle it: neither is ever
 * what a client meant.
 */
export function isSafeText(s: string): boolean {
  return !s.includes("\0") && !/\p{Cs}/u.test(s);
}
const SAFE_TEXT_MESSAGE = "may not contain NUL or unpaired surrogate characters";

/** Free text (descriptions): any characters but NUL and lone surrogates. */
export const SafeText = z.string().refine(isSafeText, SAFE_TEXT_MESSAGE);

/** A name shown to people: safe text without control characters either. */
export const SafeName = z.string().regex(/^[^\x00-\x1f\x7f]*$/, "may not contain control characters").refine(isSafeText, SAFE_TEXT_MESSAGE);

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
  .record(SafeName.max(128), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 16_384, "metadata must serialise to at most 16 KiB");
