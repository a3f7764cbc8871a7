// The JSON API as the console uses it: one fetch wrapper that sends the key as a header (never in a
// URL) and turns error envelopes into ApiFailure with the API's `code`.

const KEY = "comfy-edge.apiKey";

export const session = {
  get key(): string | null {
    return sessionStorage.getItem(KEY);
  },
  set(key: string) {
    sessionStorage.setItem(KEY, key);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const key = session.key;
  if (key) headers["x-api-key"] = key;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => null)) as { error?: string; message?: string } | null;
  if (!res.ok) throw new ApiFailure(res.status, data?.error ?? `HTTP_${res.status}`, data?.message ?? res.statusText);
  return data as T;
}

export const describe = (e: unknown) => (e instanceof ApiFailure ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e));

export type Progress = { node: string | null; value: number; max: number; percent: number };
export type JobError = { error: string; message: string; details?: unknown; retryable: boolean };
export type Output = { name: string; node: string; kind: string; contentType: string; bytes: number; text?: string; url?: string };
export type Job = {
  id: string;
  status: string;
  workflowId: string | null;
  workflowVersion: number | null;
  inputs: Record<string, string | number | boolean | null> | null;
  priority: number;
  attempts: number;
  host: string | null;
  queuePosition: number | null;
  progress: Progress | null;
  outputs: Output[];
  error: JobError | null;
  warnings?: JobError[];
  metrics: { queueMs: number | null; executionMs: number | null };
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  metadata: Record<string, unknown>;
  webhook: { deliveryId: string | null; status: string } | null;
  /** A signed link to the job's event stream (GET /jobs/:id/events) that needs no key. */
  watchUrl?: string;
  /** The latest sampler preview of a running job (a signed link), from its event stream. */
  preview?: string | undefined;
};
export type Host = {
  id: string;
  name: string;
  url: string;
  slots: number;
  slotsInUse: number;
  state: string;
  hasHeaders: boolean;
  lastError: string | null;
  lastSeenAt: string | null;
  createdAt: string;
};
/** A stored workflow's typed input (src/schemas/workflow.ts): `max` may name a deployment limit. */
export type InputSpec = {
  type: "string" | "int" | "float" | "boolean" | "image";
  required?: boolean;
  default?: string | number | boolean;
  min?: number;
  max?: number | string;
  step?: number;
  enum?: (string | number)[];
  maxLength?: number;
  description?: string;
};
export type Workflow = { id: string; name: string; description?: string; version: number; inputs: Record<string, InputSpec> };
export type Capabilities = { workflows: Workflow[]; limits: Record<string, number>; models?: Record<string, string[]>; hosts?: { host: string; state: string; models: Record<string, string[]> | null; checkedAt: string | null }[] };
export type Delivery = { id: string; jobId: string; url: string; event: string; status: string; attempts: number; lastStatusCode: number | null; lastError: string | null; createdAt: string };
export type Usage = { owner: string; from: string; to: string; totals: { jobs: Record<string, number>; gpuSeconds: number } };
export type Key = { id: string; name: string; role: string; revokedAt: string | null };
export type Health = { ok: boolean; auth: string; jobs?: { queued: number; running: number } };

export const TERMINAL = new Set(["succeeded", "failed", "canceled", "expired"]);
