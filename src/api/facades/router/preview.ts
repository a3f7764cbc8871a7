import type { JobRow } from "../../../db/schema";
import type { Env } from "../../../env";
import { storedOutputs } from "../../../jobs/view";
import { livePreview } from "../../../watch/live-preview";

export type PreviewImage = { body: ReadableStream<Uint8Array>; contentType: string; bytes: number };

/**
 * The one place /preview/:id asks what image a job has to show: a running job's latest sampler
 * preview (the same one GET /jobs/:id/preview serves), a succeeded job's first image output. Null:
 * nothing to show yet (or any more).
 */
export async function latestPreview(env: Env, row: JobRow): Promise<PreviewImage | null> {
  const live = await livePreview(env, row);
  if (live) return { body: new Response(live.bytes).body!, contentType: live.contentType, bytes: live.bytes.byteLength };
  if (row.status !== "succeeded") return null;
  const first = storedOutputs(row).find((o) => o.kind === "image" && o.key);
  if (!first?.key) return null;
  const object = await env.OUTPUTS.get(first.key);
  if (!object) return null;
  return { body: object.body, contentType: first.contentType, bytes: object.size };
}
