import type { JobView } from "../../../schemas/job";
import type { StoredOutput } from "../../../storage/outputs";

/**
 * Our job → Comfy Router's task result, `{ status, data }` tagged as its clients decode it:
 * pending (data: jobs ahead), running (data: { progress 0–1, previews }), done (data: each image's
 * bytes), error (data: the message). Pure; the done images are read by the caller.
 */
export type RouterStatus =
  | { status: "pending"; data: number }
  | { status: "running"; data: { progress: number; previews: number[][] } }
  | { status: "done"; data: number[][] }
  | { status: "error"; data: string };

export function routerStatus(view: Pick<JobView, "status" | "queuePosition" | "progress" | "error">): RouterStatus {
  switch (view.status) {
    case "queued":
      return { status: "pending", data: view.queuePosition ?? 0 };
    case "running":
    case "canceling":
      // Previews are served by GET /preview/:id, not inlined here.
      return { status: "running", data: { progress: (view.progress?.percent ?? 0) / 100, previews: [] } };
    case "succeeded":
      return { status: "done", data: [] };
    case "failed":
    case "expired":
      return { status: "error", data: view.error ? `${view.error.error}: ${view.error.message}` : `Job ${view.status}` };
    case "canceled":
      return { status: "error", data: "Job canceled" };
  }
}

/**
 * Which image outputs go into `done`'s data, in order, within `budget` bytes in all: Comfy Router
 * sends bytes as JSON numbers (about 3.6 characters a byte), so a large batch would not fit a
 * Worker's memory. The rest are named in `omitted`; their signed links are in the job. Pure.
 */
export function doneImages(outputs: readonly StoredOutput[], budget: number): { take: StoredOutput[]; omitted: string[] } {
  const take: StoredOutput[] = [];
  const omitted: string[] = [];
  let used = 0;
  for (const o of outputs) {
    if (o.kind !== "image" || !o.key) continue;
    if (used + o.bytes > budget) omitted.push(o.name);
    else {
      take.push(o);
      used += o.bytes;
    }
  }
  return { take, omitted };
}
