import type { JobView } from "../schemas/job";
import type { JobRow } from "../db/schema";
import { base64 } from "../lib/bytes";
import { errorFields, log } from "../lib/log";
import { storedOutputs } from "./view";

/** Whether one output's bytes go inline, and if not, the note that says why. */
export type InlineDecision = { inline: true; key: string } | { inline: false; note: string };

/**
 * Which file outputs of a finished job go inline, in the job's output order: each one that still
 * fits in what is left of `maxBytes` does, the others keep their link only and get a note. Text
 * outputs are inline already (`text`) and take nothing from the budget. Pure.
 */
export function planInline(outputs: readonly { name: string; bytes: number; key?: string | undefined }[], maxBytes: number): Map<string, InlineDecision> {
  const plan = new Map<string, InlineDecision>();
  let left = maxBytes;
  for (const o of outputs) {
    if (!o.key) continue;
    if (o.bytes <= left) {
      plan.set(o.name, { inline: true, key: o.key });
      left -= o.bytes;
    } else {
      plan.set(o.name, {
        inline: false,
        note: `Not inline: its ${o.bytes} bytes do not fit in what is left of INLINE_OUTPUT_MAX_BYTES (${maxBytes} per job, ${left} left); download it from url`,
      });
    }
  }
  return plan;
}

export const UNREADABLE_NOTE = "Not inline: its stored copy could not be read; download it from url";

/**
 * A succeeded job that asked for inline outputs: each output the plan allows gets its bytes, read
 * from R2 (the source of truth; D1 never holds them), as base64. Any other job is returned as is.
 */
export async function withInlineOutputs(view: JobView, row: JobRow, bucket: R2Bucket, maxBytes: number): Promise<JobView> {
  if (!row.inlineOutputs || row.status !== "succeeded") return view;
  const plan = planInline(storedOutputs(row), maxBytes);
  const outputs = await Promise.all(
    view.outputs.map(async (o) => {
      const decision = plan.get(o.name);
      if (!decision) return o;
      if (!decision.inline) return { ...o, inlineNote: decision.note };
      const bytes = await readBytes(bucket, decision.key, row.id);
      return bytes ? { ...o, base64: base64(bytes) } : { ...o, inlineNote: UNREADABLE_NOTE };
    }),
  );
  return { ...view, outputs };
}

async function readBytes(bucket: R2Bucket, key: string, jobId: string): Promise<ArrayBuffer | null> {
  try {
    const obj = await bucket.get(key);
    return obj ? await obj.arrayBuffer() : null;
  } catch (e) {
    log.warn("job.inline_read_failed", { jobId, ...errorFields(e) });
    return null;
  }
}
