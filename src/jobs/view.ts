import type { JobView } from "../schemas/job";
import type { JobRow } from "../db/schema";
import type { StoredOutput } from "../storage/outputs";
import type { SignedLink } from "../storage/signed-url";
import { jobWebhookView } from "./webhook-state";
import type { JobStatus } from "./states";

export type { StoredOutput };

export type JobError = { error: string; message: string; details?: unknown; retryable: boolean };
export type Progress = { node: string | null; value: number; max: number; percent: number };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function parse<T>(json: string | null, fallback: T): T {
  if (json === null) return fallback;
  try {
    return JSON.parse(json) as T;
  } catch {
    return fallback;
  }
}

export const storedOutputs = (row: JobRow) => parse<StoredOutput[]>(row.outputsJson, []);

/** One shape everywhere (GET, list, webhook bodies). Signing is passed in so this stays pure. */
export async function toJobView(
  row: JobRow,
  opts: { queuePosition: number | null; sign: (key: string) => Promise<SignedLink>; waiting?: JobView["waiting"]; watch?: (jobId: string) => Promise<SignedLink> },
): Promise<JobView> {
  const watch = opts.watch ? await opts.watch(row.id) : null;
  const outputs = await Promise.all(
    storedOutputs(row).map(async ({ key, ...o }) => {
      if (!key || row.status !== "succeeded") return o;
      const link = await opts.sign(key);
      return { ...o, url: link.url, urlExpiresAt: new Date(link.expiresAtMs).toISOString() };
    }),
  );
  return {
    id: row.id,
    status: row.status as JobStatus,
    workflowId: row.workflowId,
    workflowVersion: row.workflowVersion,
    inputs: parse<Record<string, string | number | boolean | null> | null>(row.inputsJson, null),
    priority: row.priority,
    attempts: row.attempts,
    host: row.hostName,
    queuePosition: row.status === "queued" ? opts.queuePosition : null,
    progress: parse<Progress | null>(row.progressJson, null),
    outputs,
    // A succeeded job's error_json is a warning (outputs dropped from a partly valid graph), not its outcome.
    error: row.status === "succeeded" ? null : parse<JobError | null>(row.errorJson, null),
    warnings: row.status === "succeeded" && row.errorJson ? [parse<JobError | null>(row.errorJson, null)].filter((w): w is JobError => w !== null) : [],
    metrics: { queueMs: row.queueMs, executionMs: row.executionMs },
    createdAt: iso(row.createdAtMs)!,
    startedAt: iso(row.startedAtMs),
    completedAt: iso(row.completedAtMs),
    metadata: parse<Record<string, unknown>>(row.metadataJson, {}),
    webhook: jobWebhookView(row),
    models: parse<string[]>(row.modelsJson, []),
    ...(row.status === "queued" && opts.waiting ? { waiting: opts.waiting } : {}),
    ...(watch ? { watchUrl: watch.url, watchUrlExpiresAt: new Date(watch.expiresAtMs).toISOString() } : {}),
  };
}
