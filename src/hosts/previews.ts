import type { PreviewFrame } from "../comfy/preview";

/** ComfyUI may send a preview per sampling step; watchers get at most one per this. */
export const PREVIEW_MIN_INTERVAL_MS = 500;

export type Preview = { node: string | null; contentType: string; bytes: Uint8Array; atMs: number };

/** The latest preview of each job running on a host, in memory; a job's goes when it leaves the host. */
export class LatestPreviews {
  readonly #byJob = new Map<string, Preview>();

  /** Keeps the frame unless the last one kept is too recent; says whether it did. */
  offer(jobId: string, f: PreviewFrame, nowMs: number): Preview | null {
    const last = this.#byJob.get(jobId);
    if (last && nowMs - last.atMs < PREVIEW_MIN_INTERVAL_MS) return null;
    // A copy: the frame's bytes are a view into the socket message's buffer.
    const p = { node: f.node, contentType: f.contentType, bytes: f.bytes.slice(), atMs: nowMs };
    this.#byJob.set(jobId, p);
    return p;
  }

  get(jobId: string): Preview | null {
    return this.#byJob.get(jobId) ?? null;
  }

  drop(jobId: string) {
    this.#byJob.delete(jobId);
  }
}
