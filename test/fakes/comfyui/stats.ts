// What tests assert on besides the wire: how the gateway used this server (submissions, idle GPU
// time between prompts, interrupts, uploads, deletions).

export interface Stats {
  promptsReceived: { prompt_id: string | null; client_id: string | null; number: number | null; receivedAt: number; status: number; error_type?: string }[];
  executed: { prompt_id: string; client_id: string | null; startedAt: number; endedAt: number; status: "success" | "error" | "interrupted" | "aborted" }[];
  idleGapsMs: number[];
  interrupts: { at: number; prompt_id: string | null; running: string | null; effective: boolean }[];
  uploads: { at: number; name: string; subfolder: string; type: string; bytes: number; sha256: string; reused: boolean }[];
  deletes: { at: number; target: "queue" | "history"; ids: string[]; clear: boolean }[];
  frees: { at: number; unload_models: boolean; free_memory: boolean }[];
  wsConnections: { at: number; clientId: string; sid: string; closedAt: number | null }[];
  requests: { at: number; method: string; path: string; status: number }[];
  /** Comfy.org credentials that arrived in extra_data (stripped from history and /queue, as ComfyUI does): the key's name and a SHA-256 of its value, never the value. */
  sensitiveReceived: { prompt_id: string; key: string; sha256: string }[];
}

export const MAX_REQUEST_LOG = 5000;

export function emptyStats(): Stats {
  return {
    promptsReceived: [],
    executed: [],
    idleGapsMs: [],
    interrupts: [],
    uploads: [],
    deletes: [],
    frees: [],
    wsConnections: [],
    requests: [],
    sensitiveReceived: [],
  };
}
