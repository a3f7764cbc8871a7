import type { JobStatus } from "../../../jobs/states";
import type { JobView } from "../../../schemas/job";

/**
 * Our job, as RunPod's serverless API and worker-comfyui show one. Pure: the routes and the
 * webhook body both build the job view first (with inline outputs), then map it here.
 */

export type RunPodStatus = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT";
export const RUNPOD_TERMINAL: readonly RunPodStatus[] = ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"];

export type RunPodImage = { filename: string; type: "base64" | "s3_url"; data: string };
export type RunPodOutput = { images: RunPodImage[]; errors?: string[]; status?: "success_no_images" };
export type RunPodJob = {
  id: string;
  status: RunPodStatus;
  delayTime?: number;
  executionTime?: number;
  output?: RunPodOutput;
  error?: string;
};

/**
 * `canceling` is already CANCELLED for a RunPod client, as RunPod marks a job the moment it is
 * asked to; a job that ran past its deadline (COMFYUI_TIMEOUT) or waited past its queue TTL
 * (expired) is TIMED_OUT.
 */
export function runPodStatus(status: JobStatus, errorCode: string | null): RunPodStatus {
  switch (status) {
    case "queued":
      return "IN_QUEUE";
    case "running":
      return "IN_PROGRESS";
    case "canceling":
    case "canceled":
      return "CANCELLED";
    case "succeeded":
      return "COMPLETED";
    case "failed":
      return errorCode === "COMFYUI_TIMEOUT" ? "TIMED_OUT" : "FAILED";
    case "expired":
      return "TIMED_OUT";
  }
}

/** Our error as RunPod's `error` string: the code first, so a client can still branch on it. */
export const runPodError = (e: { error: string; message: string }) => `${e.error}: ${e.message}`;

/**
 * A succeeded job's outputs as worker-comfyui returns them: each file with its bytes (`base64`)
 * when the job carries them inline, else its signed link (`s3_url`). What worker-comfyui would
 * report as a warning goes to `errors`: an output left out of the inline budget, a text output
 * (worker-comfyui returns images only), a warning of ours.
 */
export function runPodOutput(view: JobView): RunPodOutput {
  const images: RunPodImage[] = [];
  const errors: string[] = [];
  for (const o of view.outputs) {
    if (o.base64 !== undefined) images.push({ filename: o.name, type: "base64", data: o.base64 });
    else if (o.url !== undefined) {
      images.push({ filename: o.name, type: "s3_url", data: o.url });
      if (o.inlineNote) errors.push(`${o.name}: ${o.inlineNote}`);
    } else if (o.text !== undefined) {
      errors.push(`Node ${o.node} produced text output ${o.name}; GET /jobs/${view.id} on the Comfy Edge API has its text.`);
    }
  }
  for (const w of view.warnings) errors.push(runPodError(w));
  return { images, ...(errors.length ? { errors } : {}), ...(images.length === 0 && errors.length === 0 ? { status: "success_no_images" as const } : {}) };
}

/**
 * `delayTime` is the time in the queue, `executionTime` the time running (so far, for a job still
 * running), both in ms, as RunPod reports them; absent until known.
 */
export function toRunPodJob(view: JobView, nowMs: number): RunPodJob {
  const status = runPodStatus(view.status, view.error?.error ?? null);
  const executionTime = view.metrics.executionMs ?? (view.status === "running" && view.startedAt ? Math.max(0, nowMs - Date.parse(view.startedAt)) : null);
  return {
    id: view.id,
    status,
    ...(view.metrics.queueMs !== null ? { delayTime: view.metrics.queueMs } : {}),
    ...(executionTime !== null ? { executionTime } : {}),
    ...(view.status === "succeeded" ? { output: runPodOutput(view) } : {}),
    // Only an ending carries an error: a queued job's error_json is its last lost attempt, not its outcome.
    ...(view.error && (status === "FAILED" || status === "TIMED_OUT") ? { error: runPodError(view.error) } : {}),
  };
}
