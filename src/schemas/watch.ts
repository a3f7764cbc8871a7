import { z } from "zod";

/** A job's watch link (`watchUrl`) carries these; without them the key header is needed. `at` only busts caches on preview links. */
export const WatchQuery = z.object({
  exp: z.string().max(20).optional().describe("Watch link expiry (Unix seconds), from the job's watchUrl"),
  sig: z.string().max(200).optional().describe("Watch link signature, from the job's watchUrl"),
  at: z.string().max(20).optional().describe("Ignored; makes each preview link of a stream distinct"),
});

export const FeedQuery = z.strictObject({
  timeout: z.coerce.number().int().min(1).max(3600).default(300).describe("Seconds before the server ends the stream (an EventSource then resumes it with Last-Event-ID)"),
});

/** `Last-Event-ID` as this API writes ids (`<epoch>-<seq>`); anything else starts from the current state. */
export const LastEventId = z.string().max(64).optional();
