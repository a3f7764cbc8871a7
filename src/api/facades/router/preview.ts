import type { JobRow } from "../../../db/schema";
import type { Env } from "../../../env";
import { storedOutputs } from "../../../jobs/view";

export type PreviewImage = { body: ReadableStream<Uint8Array>; contentType: string; bytes: number };

/**
 * The one place /preview/:id asks what image a job has to show. Until the live preview of a
 * running job exists (GET /jobs/:id/preview, built on another branch), that is the first image
 * output of a job that has succeeded; when it lands, a running job's latest preview goes here and
 * nothing else changes. Null: nothing to show yet (or any more).
 */
export async function latestPreview(env: Env, row: JobRow): Promise<PreviewImage | null> {
  if (row.status !== "succeeded") return null;
  const first = storedOutputs(row).find((o) => o.kind === "image" && o.key);
  if (!first?.key) return null;
  const object = await env.OUTPUTS.get(first.key);
  if (!object) return null;
  return { body: object.body, contentType: first.contentType, bytes: object.size };
}
