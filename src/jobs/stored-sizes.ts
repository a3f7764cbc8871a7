import { ApiError } from "../errors";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Bytes of UTF-8 JSON each unbounded client field may take in its D1 column. Production D1 caps a
 * row, string or BLOB at 2 MB (local D1 allows more, so only production would fail): the bounds
 * keep a whole row (graph + inputs + metadata + the rest) under that with room to spare, and a
 * body under MAX_BODY_BYTES can no longer fail at the INSERT with SQLITE_TOOBIG.
 */
export const STORED_LIMITS = {
  /** A job's graph (after inputs are filled in) and a stored workflow's graph. */
  graph: 1 * MiB,
  /** A job's named inputs, and a stored workflow's input definitions. */
  inputs: 256 * KiB,
} as const;

export type StoredSizeIssue = { path: string; message: string; bytes: number; limit: number };

const encoder = new TextEncoder();

/** Null when the serialized field fits its limit. Pure. */
export function storedSizeIssue(path: string, json: string, limit: number = STORED_LIMITS.graph): StoredSizeIssue | null {
  // UTF-8 takes at most three bytes per UTF-16 code unit: most fields need no encoding at all.
  if (json.length * 3 <= limit) return null;
  const bytes = encoder.encode(json).length;
  if (bytes <= limit) return null;
  return { path, bytes, limit, message: `${path} is ${bytes} bytes as JSON, over the stored limit of ${limit} bytes` };
}

/** Throws 413 PAYLOAD_TOO_LARGE naming the first field over its limit; call it before anything is written. */
export function assertStoredSizes(fields: [path: string, json: string | null, limit: number][]): void {
  const issues = fields.flatMap(([path, json, limit]) => (json === null ? [] : [storedSizeIssue(path, json, limit)].filter((i) => i !== null)));
  if (issues.length) {
    throw new ApiError("PAYLOAD_TOO_LARGE", `${issues[0]!.message} (docs/api.md "Stored size limits")`, { details: { issues } });
  }
}
