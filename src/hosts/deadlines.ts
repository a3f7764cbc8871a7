import type { Failure } from "../comfy/classify";
import type { HistoryEntry } from "../comfy/client";
import type { Inflight } from "./inflight";

/** A job's own deadline, never longer than COMFYUI_TIMEOUT_MS. */
export const jobTimeoutMs = (requested: number | null, ceiling: number) => Math.min(requested ?? ceiling, ceiling);

export function timeoutFailure(a: Inflight): Failure {
  const what = a.startedAtMs === null ? "waited on the host past its deadline without starting" : "ran past its deadline and was interrupted";
  return { code: "COMFYUI_TIMEOUT", message: `The job ${what}`, retryable: false };
}

/** Execution time from ComfyUI's own timestamps in history, which are exact; the socket's as fallback. */
export function executionTiming(entry: HistoryEntry, socketStartedAtMs: number | null) {
  const messages = entry.status?.messages ?? [];
  const ts = (name: string) => {
    const m = messages.find(([n]) => n === name);
    const t = m?.[1]?.timestamp;
    return typeof t === "number" ? t : null;
  };
  const start = ts("execution_start") ?? socketStartedAtMs;
  const end = ts("execution_success");
  return { startedAtMs: start, executionMs: start !== null && end !== null ? Math.max(0, end - start) : null };
}
