import { and, eq } from "drizzle-orm";
import type { SubmitJob } from "../schemas/job";
import type { WorkflowInputs } from "../schemas/workflow";
import type { Principal } from "../auth/principal";
import type { Graph } from "../comfy/graph";
import type { Db } from "../db/client";
import { idempotencyKeys, jobs, workflows, workflowVersions, type JobRow } from "../db/schema";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/bytes";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { initialState } from "./webhook-state";
import type { FetchPolicy } from "../storage/inputs";
import { fillWorkflow, type FillOptions } from "./fill";
import { resolveInputFiles } from "./input-files";
import { checkLimits } from "./limits";
import { assertStoredSizes, STORED_LIMITS } from "./stored-sizes";
import { STATUS } from "./states";
import { submitMove, type Claim } from "./moves";
import { modelsNeeded, needKey } from "../workflows/models-needed";
import { checkModelPlacement, readFleet, type Waiting } from "../scheduler/model-placement";
import { jobsAheadStatement } from "./queue-position";
import { insertIdempotencyForJob, insertJobUnderLimits, NO_PENDING_LIMITS, queueFullError, type PendingLimits } from "./pending";

/** JSON with sorted keys, so the same request always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

async function resolveGraph(d: Db, body: SubmitJob, opts: FillOptions): Promise<{ graph: Graph; workflowId: string | null; version: number | null }> {
  if (body.workflow) return { graph: body.workflow as Graph, workflowId: null, version: null };
  const wf = await d.select().from(workflows).where(eq(workflows.id, body.workflowId!)).get();
  if (!wf) throw new ApiError("VALIDATION_FAILED", `Workflow "${body.workflowId}" does not exist`, { details: { issues: [{ path: "workflowId", message: "unknown workflow", code: "not_found" }] } });
  let source: { graphJson: string; inputsJson: string; version: number } = wf;
  if (body.version !== undefined && body.version !== wf.version) {
    // A pinned version runs exactly what that version held, whatever was saved since.
    const pinned = await d.select().from(workflowVersions).where(and(eq(workflowVersions.workflowId, wf.id), eq(workflowVersions.version, body.version))).get();
    if (!pinned) throw new ApiError("VALIDATION_FAILED", `Invalid request body: version: workflow "${wf.id}" has no version ${body.version} (latest is ${wf.version})`, { details: { issues: [{ path: "version", message: "unknown version", code: "not_found" }] } });
    source = pinned;
  }
  const filled = fillWorkflow(JSON.parse(source.graphJson) as Graph, JSON.parse(source.inputsJson) as WorkflowInputs, body.inputs ?? {}, opts);
  if (!filled.ok) {
    const first = filled.issues[0]!;
    throw new ApiError("VALIDATION_FAILED", `Invalid request body: ${first.path}: ${first.message}`, { details: { issues: filled.issues.map((i) => ({ ...i, code: "invalid_input" })) } });
  }
  return { graph: filled.graph, workflowId: wf.id, version: source.version };
}

async function replay(d: Db, owner: string, key: string, requestHash: string): Promise<JobRow | null> {
  const prior = await d.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.owner, owner), eq(idempotencyKeys.key, key))).get();
  if (!prior) return null;
  if (prior.requestHash !== requestHash) {
    throw new ApiError("IDEMPOTENCY_CONFLICT", "This Idempotency-Key was already used with a different request body; use a new key for a new job");
  }
  const job = await d.select().from(jobs).where(eq(jobs.id, prior.jobId)).get();
  return job ?? null;
}

/**
 * Writes the job (and its idempotency record) in one batch, which also claims the next queued job
 * for a free host. The caller dispatches that claim, or (nothing claimed) sends the queue wake-up;
 * a lost wake-up or dispatch loses nothing: the row is the truth, hosts adopt lost dispatches and
 * the sweep re-enqueues what waits.
 */
export async function submitJob(
  d: Db,
  who: Principal,
  body: SubmitJob,
  opts: {
    idempotencyKey?: string | undefined; nowMs: number; limits: { maxImageSize: number; maxBatchSize: number }; pending?: PendingLimits; origin?: string;
    /** Where input files go, and the rules for fetching URL inputs; needed only when the body has images. */
    inputs?: { bucket: R2Bucket; policy: FetchPolicy };
    /** Encrypts the job's own Comfy.org key for its row; needed only when the body has one. */
    seal?: (jobId: string, plaintext: string) => Promise<string>;
    /** The client API the job came through, kept for its webhook body and (RunPod) its endpoint id. */
    facade?: { kind: "runpod"; endpointId: string };
  },
): Promise<{ job: JobRow; replayed: boolean; queuePosition?: number; claim: Claim | null; waiting?: Waiting | null }> {
  const requestHash = await sha256Hex(canonicalJson(body));
  if (opts.idempotencyKey) {
    const prior = await replay(d, who.id, opts.idempotencyKey, requestHash);
    if (prior) return { job: prior, replayed: true, claim: null };
  }
  const imageNames = body.images?.map((i) => i.name) ?? [];
  // The fleet's model lists are read beside the workflow (a raw graph that loads no model needs neither).
  const fleetRead = body.workflow && modelsNeeded(body.workflow as Graph).length === 0 ? null : readFleet(d);
  fleetRead?.catch(() => {});
  const { graph, workflowId, version } = await resolveGraph(d, body, { limits: opts.limits, imageNames });
  const over = checkLimits(graph, opts.limits);
  if (over.length) {
    throw new ApiError("VALIDATION_FAILED", `Invalid request body: ${over[0]!.message}`, { details: { issues: over.map((i) => ({ ...i, code: "too_big" })) } });
  }
  const needs = modelsNeeded(graph);
  const waiting = needs.length ? checkModelPlacement((await fleetRead) ?? [], needs) : null;
  const graphJson = JSON.stringify(graph);
  const inputsJson = body.inputs ? JSON.stringify(body.inputs) : null;
  assertStoredSizes([["workflow", graphJson, STORED_LIMITS.graph], ["inputs", inputsJson, STORED_LIMITS.inputs]]);
  if (body.images?.length && !opts.inputs) throw new Error("submitJob: images given without an input bucket");
  if (body.comfyOrgApiKey && !opts.seal) throw new Error("submitJob: comfyOrgApiKey given without a sealing key");
  // Inputs are fetched and stored only once the request is known to be valid; what they cost is bounded by INPUT_MAX_BYTES.
  const inputFiles = body.images?.length ? await resolveInputFiles(d, opts.inputs!.bucket, who, body.images, opts.inputs!.policy, opts.nowMs) : [];
  const id = newId();
  const row: JobRow = {
    id, owner: who.id, status: "queued", priority: body.priority, workflowId, workflowVersion: version,
    graphJson, inputsJson,
    metadataJson: JSON.stringify(body.metadata ?? {}), attempts: 0, attemptId: null, hostId: null, hostName: null,
    progressJson: null, outputsJson: "[]", errorJson: null, timeoutMs: body.timeoutMs ?? null, queueMs: null, executionMs: null,
    createdAtMs: opts.nowMs, updatedAtMs: opts.nowMs, enqueuedAtMs: opts.nowMs, startedAtMs: null, completedAtMs: null,
    // The request's origin is kept for links in webhook bodies, in case PUBLIC_URL is unset.
    callbackUrl: body.callbackUrl ?? null, eventsJson: body.events?.length ? JSON.stringify([...new Set(body.events)]) : null,
    webhookJson: body.callbackUrl && opts.origin ? initialState(opts.origin) : null,
    inputFilesJson: inputFiles.length ? JSON.stringify(inputFiles) : null,
    comfyKeyEnc: body.comfyOrgApiKey ? await opts.seal!(id, body.comfyOrgApiKey) : null,
    includePreviews: body.includePreviews ?? false,
    modelsJson: needs.length ? JSON.stringify(needs.map(needKey)) : null,
    inlineOutputs: body.outputs?.inline ?? false,
    facade: opts.facade?.kind ?? null,
    endpointId: opts.facade?.endpointId ?? null,
  };
  // The pending limits are a condition of the INSERT itself, and the idempotency record is written
  // only with its job, in the same batch: over a limit, nothing at all is written. The same round
  // trip claims the next queued job for the best free host (often this very job).
  const pending = opts.pending ?? NO_PENDING_LIMITS;
  let inserted: boolean;
  let queuePosition: number;
  let claim: Claim | null;
  try {
    ({ inserted, position: queuePosition, claim } = await submitMove(d.$client, {
      insert: insertJobUnderLimits(d.$client, row, pending),
      ...(opts.idempotencyKey ? { idempotency: insertIdempotencyForJob(d.$client, { owner: who.id, key: opts.idempotencyKey, requestHash, jobId: row.id, createdAtMs: opts.nowMs }) } : {}),
      position: jobsAheadStatement(d.$client, row),
    }, opts.nowMs));
  } catch (e) {
    // Two submissions with one key raced: the batch that lost wrote nothing; answer with the winner's job.
    if (opts.idempotencyKey && /UNIQUE|constraint/i.test(String((e as Error)?.message ?? e) + String((e as Error)?.cause ?? ""))) {
      const prior = await replay(d, who.id, opts.idempotencyKey, requestHash);
      if (prior) return { job: prior, replayed: true, claim: null };
    }
    throw e;
  }
  if (!inserted) {
    // Refused for the limit; a concurrent twin with the same key may have been the one accepted.
    const prior = opts.idempotencyKey ? await replay(d, who.id, opts.idempotencyKey, requestHash) : null;
    if (prior) return { job: prior, replayed: true, claim: null };
    throw await queueFullError(d.$client, who.id, pending);
  }
  log.info("job.submitted", { jobId: row.id, owner: who.id, workflowId });
  // The claim may have taken this job: it is then running on that host (the caller dispatches it).
  const job = claim?.jobId === row.id ? { ...row, status: STATUS.running, attempts: claim.attempts, attemptId: claim.attemptId, hostId: claim.host.id, hostName: claim.host.name } : row;
  // A job placed by its own submission has nobody watching for its placement yet.
  return { job, replayed: false, queuePosition, waiting: job.status === STATUS.queued ? waiting : null, claim: claim && claim.jobId === row.id ? { ...claim, watched: false } : claim };
}
