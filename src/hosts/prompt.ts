import { classifyRejection, outcomeOf, type Failure } from "../comfy/classify";
import { ComfyUnreachable, type ComfyClient, type HistoryEntry } from "../comfy/client";
import type { Graph } from "../comfy/graph";
import type { Config, Env } from "../env";
import type { Finish, RunState } from "../jobs/moves";
import type { StoredOutput } from "../jobs/view";
import { errorFields, log } from "../lib/log";
import { copyOutput, INLINE_TEXT_MAX_BYTES, planOutputs, storeTextOutput } from "../storage/outputs";
import { executionTiming, timeoutFailure } from "./deadlines";
import type { Inflight } from "./inflight";
import { prepareSubmit } from "./inputs";

/**
 * One attempt's conversations with ComfyUI, each returning what happened for the HostDO to decide
 * on: submitting the prompt, looking it up, collecting its outputs. No job state is written here.
 */

export const unreachable = (e: unknown): Failure => ({
  code: "COMFYUI_UNREACHABLE",
  message: `The ComfyUI host could not be reached: ${e instanceof Error ? e.message : String(e)}`,
  retryable: true,
});

export type Submitted =
  | { kind: "submitted"; warning?: Failure }
  /** ComfyUI already holds it (an earlier submit got through before an eviction). */
  | { kind: "already" }
  | { kind: "rejected"; failure: Failure }
  /** The POST may or may not have arrived: ask ComfyUI before trying again. */
  | { kind: "deferred"; error: unknown }
  /** Something other than the path to the host failed (an input file gone from R2…). */
  | { kind: "broken"; error: unknown };

/**
 * POST /prompt with the attempt id as prompt_id. `recovering`: an earlier submit may have reached
 * ComfyUI, so its queue and history are asked first: a prompt is never submitted twice.
 */
export async function submitPrompt(env: Env, cfg: Config, client: ComfyClient, a: Inflight, clientId: string, recovering: boolean): Promise<Submitted> {
  try {
    if (recovering) {
      const q = await client.queue();
      if (q.running.includes(a.attemptId) || q.pending.includes(a.attemptId) || (await client.history(a.attemptId))) return { kind: "already" };
    }
    const prepared = await prepareSubmit(env, cfg, client, a.jobId, a.claim, JSON.parse(a.claim.graphJson) as Graph);
    const res = await client.submit(prepared.graph, clientId, a.attemptId, prepared.extraData);
    if (!res.ok) return { kind: "rejected", failure: classifyRejection(res.status, res.body) };
    if (Object.keys(res.nodeErrors).length === 0) return { kind: "submitted" };
    // A partly valid graph: ComfyUI runs the outputs that validated and drops the rest. The job runs
    // what was accepted and reports the dropped outputs with its result (docs/api.md, "Partly valid graphs").
    const dropped = classifyRejection(400, { error: { type: "prompt_outputs_failed_validation", message: "Some outputs failed validation and were not run" }, node_errors: res.nodeErrors });
    // One code for "outputs were dropped", whatever the dropped node's own reason (a missing model too).
    const why = dropped.message.replace(/^ComfyUI rejected the workflow: /, "");
    return { kind: "submitted", warning: { ...dropped, code: "WORKFLOW_INVALID", message: `ComfyUI ran the valid outputs only; dropped: ${why}` } };
  } catch (e) {
    if (e instanceof ComfyUnreachable) return { kind: "deferred", error: e };
    return { kind: "broken", error: e };
  }
}

export type Lookup = { kind: "finished"; entry: HistoryEntry } | { kind: "waiting" } | { kind: "lost" };

/** Where a submitted prompt stands: finished (history), queued or running, or gone (deleted, or lost to a restart). */
export async function lookUp(client: ComfyClient, attemptId: string): Promise<Lookup> {
  let entry = await client.history(attemptId);
  if (entry) return { kind: "finished", entry };
  const q = await client.queue();
  if (q.running.includes(attemptId) || q.pending.includes(attemptId)) return { kind: "waiting" };
  // ComfyUI moves a prompt from the queue to history in one step; look again in case it did so between our two reads.
  entry = await client.history(attemptId);
  return entry ? { kind: "finished", entry } : { kind: "lost" };
}

export type Collected = { finish: Finish } | { requeue: Failure };

/** A finished prompt → the attempt's outcome, its outputs streamed from /view into R2 (each told to `onStored` once there). */
export async function collect(env: Env, client: ComfyClient, a: Inflight, entry: HistoryEntry, now: number, onStored: (o: StoredOutput) => void = () => {}): Promise<Collected> {
  const outcome = outcomeOf(entry);
  const run: RunState = { startedAtMs: a.startedAtMs, progress: a.progress };
  if (outcome.kind === "interrupted") {
    if (a.phase === "canceling") return { finish: { kind: "canceled", ...run } };
    const failure = now >= a.deadlineMs ? timeoutFailure(a) : { code: "COMFYUI_INTERRUPTED" as const, message: "The prompt was interrupted on the ComfyUI host", retryable: false };
    return { finish: { kind: "failed", failure, ...run } };
  }
  if (outcome.kind === "failed") return { finish: { kind: "failed", failure: outcome.failure, ...run } };
  const stored: StoredOutput[] = [];
  let inlineLeft = INLINE_TEXT_MAX_BYTES;
  try {
    for (const o of planOutputs(entry, { includePreviews: a.includePreviews })) {
      const out = o.kind === "text" ? await storeTextOutput(env.OUTPUTS, a.jobId, o, inlineLeft) : await copyOutput(client, env.OUTPUTS, a.jobId, o);
      if (out.text !== undefined) inlineLeft -= out.bytes;
      stored.push(out);
      onStored(out);
    }
  } catch (e) {
    log.error("output.copy_failed", { jobId: a.jobId, ...errorFields(e) });
    return { requeue: { code: "STORAGE_ERROR", message: `Copying outputs failed: ${e instanceof Error ? e.message : String(e)}`, retryable: true } };
  }
  const timing = executionTiming(entry, a.startedAtMs);
  return { finish: { kind: "succeeded", outputs: stored, executionMs: timing.executionMs, startedAtMs: timing.startedAtMs, progress: a.progress, ...(a.warning ? { warning: a.warning } : {}) } };
}

/** Takes a prompt off the host: out of ComfyUI's queue if waiting, interrupted by id if running. */
export async function stopPrompt(client: ComfyClient, attemptId: string): Promise<void> {
  await client.deletePending([attemptId]).catch(() => undefined);
  await client.interrupt(attemptId).catch(() => undefined);
}
