import type { JobEvent } from "./events";

/** A dashboard needs a job's progress and preview now and then, not every step: at most this often per kind. */
export const FEED_THROTTLE_MS = 1_000;

/**
 * Whether a job's event goes on to its owner's feed (GET /events): every status change and output,
 * progress and previews at most once a FEED_THROTTLE_MS.
 */
export function forwardable(e: JobEvent, lastAt: Map<string, number>, nowMs: number): boolean {
  if (e.kind !== "progress" && e.kind !== "preview") return true;
  if (nowMs - (lastAt.get(e.kind) ?? 0) < FEED_THROTTLE_MS) return false;
  lastAt.set(e.kind, nowMs);
  return true;
}
