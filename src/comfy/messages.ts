/** ComfyUI WebSocket text frames the gateway acts on; everything else is `other` and ignored. */
export type ComfyEvent =
  | { type: "status"; queueRemaining: number; sid?: string }
  | { type: "execution_start"; promptId: string; timestamp?: number }
  | { type: "executing"; promptId: string | null; node: string | null }
  | { type: "progress"; promptId: string; node: string | null; value: number; max: number }
  /** Every node started so far, with its own progress (ComfyUI v0.3.44+). */
  | { type: "progress_state"; promptId: string; nodes: Record<string, NodeState> }
  | { type: "executed"; promptId: string; node: string }
  | { type: "execution_success"; promptId: string; timestamp?: number }
  | { type: "execution_error"; promptId: string; data: Record<string, unknown> }
  | { type: "execution_interrupted"; promptId: string; data: Record<string, unknown> }
  | { type: "other"; name: string };

export type NodeState = { value: number; max: number; state: string };

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function parseFrame(data: string | ArrayBuffer): ComfyEvent {
  if (typeof data !== "string") return { type: "other", name: "binary" };
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return { type: "other", name: "invalid" };
  }
  if (!msg || typeof msg !== "object") return { type: "other", name: "invalid" };
  const { type, data: d } = msg as { type?: unknown; data?: Record<string, unknown> };
  if (typeof type !== "string" || !d || typeof d !== "object") return { type: "other", name: String(type) };
  const promptId = str(d.prompt_id);
  switch (type) {
    case "status": {
      const remaining = num((d.status as { exec_info?: { queue_remaining?: unknown } } | undefined)?.exec_info?.queue_remaining);
      return { type, queueRemaining: remaining ?? 0, ...(str(d.sid) ? { sid: str(d.sid)! } : {}) };
    }
    case "executing":
      return { type, promptId, node: str(d.node) };
    case "execution_start":
    case "execution_success":
      return promptId ? { type, promptId, ...(num(d.timestamp) !== null ? { timestamp: num(d.timestamp)! } : {}) } : { type: "other", name: type };
    case "progress": {
      const value = num(d.value);
      const max = num(d.max);
      if (!promptId || value === null || max === null) return { type: "other", name: type };
      return { type, promptId, node: str(d.node), value, max };
    }
    case "progress_state": {
      if (!promptId || !d.nodes || typeof d.nodes !== "object") return { type: "other", name: type };
      const nodes: Record<string, NodeState> = {};
      for (const [id, n] of Object.entries(d.nodes as Record<string, Record<string, unknown> | null>)) {
        const value = num(n?.value);
        const max = num(n?.max);
        if (value !== null && max !== null) nodes[id] = { value, max, state: str(n?.state) ?? "running" };
      }
      return { type, promptId, nodes };
    }
    case "executed":
      return promptId && str(d.node) ? { type, promptId, node: str(d.node)! } : { type: "other", name: type };
    case "execution_error":
    case "execution_interrupted":
      return promptId ? { type, promptId, data: d } : { type: "other", name: type };
    default:
      return { type: "other", name: type };
  }
}
