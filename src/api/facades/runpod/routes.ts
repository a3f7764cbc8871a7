import { Hono, type Context } from "hono";
import { z } from "zod";
import type { JobRow } from "../../../db/schema";
import { ApiError, notFound } from "../../../errors";
import type { AppEnv } from "../../context";
import { acceptJob, cancelJob, jobView, visibleJob } from "../../job-actions";
import { waitForTerminal, withLive } from "../../long-poll";
import { jsonBody, query } from "../../validate";
import { readRunPodHealth } from "./health";
import { runPodStatus, toRunPodJob, type RunPodJob } from "./map";
import { purgeQueue } from "./purge";
import { inRunPodTerms, toSubmitJob } from "./request";
import { WaitQuery } from "./schemas";

/**
 * RunPod's serverless API under /runpod/v2/:endpointId/…, so that RunPod's SDKs pointed at
 * `<gateway>/runpod/v2` work unchanged. A thin translation: every route is our own job code
 * (job-actions.ts, long-poll.ts) with RunPod's shapes on either side (request.ts, map.ts). Auth,
 * roles, rate and pending limits are the API's own (`Authorization: Bearer <API key>` is RunPod's way).
 * Every success is 200, as RunPod answers and as its JS SDK requires.
 */

/** RunPod endpoint ids are short lowercase alphanumerics; anything of that kind is accepted and recorded. */
const EndpointId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
/** /runsync and /status-sync wait this long by default, as RunPod's do; /stream a shorter while, since its clients loop. */
const SYNC_WAIT_MS = 90_000;
const STREAM_WAIT_MS = 10_000;

function endpointOf(c: Context<AppEnv>): string {
  const parsed = EndpointId.safeParse(c.req.param("endpointId"));
  if (!parsed.success) throw notFound("Endpoint");
  return parsed.data;
}

const runPodJob = async (c: Context<AppEnv>, row: JobRow): Promise<RunPodJob> => toRunPodJob(await jobView(c, row), Date.now());

async function run(c: Context<AppEnv>): Promise<JobRow> {
  const endpointId = endpointOf(c);
  const req = toSubmitJob(await jsonBody(c, z.unknown()), c.get("config").RUNPOD_OUTPUT_TYPE);
  if (!req.ok) throw new ApiError("VALIDATION_FAILED", req.message, { details: { issues: req.issues } });
  try {
    return (await acceptJob(c, req.body, { facade: { kind: "runpod", endpointId } })).job;
  } catch (e) {
    throw inRunPodTerms(e);
  }
}

const until = (c: Context<AppEnv>, defaultMs: number) => Date.now() + query(c, WaitQuery(defaultMs)).wait;

export const runpodRoutes = new Hono<AppEnv>()
  .post("/runpod/v2/:endpointId/run", async (c) => {
    const job = await run(c);
    return c.json({ id: job.id, status: runPodStatus(job.status, null) });
  })
  .post("/runpod/v2/:endpointId/runsync", async (c) => {
    const deadline = until(c, SYNC_WAIT_MS);
    const job = await run(c);
    return c.json(await runPodJob(c, await waitForTerminal(c, job, deadline)));
  })
  .get("/runpod/v2/:endpointId/status/:id", async (c) => {
    endpointOf(c);
    return c.json(await runPodJob(c, await withLive(c, await visibleJob(c, c.req.param("id")))));
  })
  .get("/runpod/v2/:endpointId/status-sync/:id", async (c) => {
    endpointOf(c);
    const deadline = until(c, SYNC_WAIT_MS);
    return c.json(await runPodJob(c, await waitForTerminal(c, await visibleJob(c, c.req.param("id")), deadline)));
  })
  .get("/runpod/v2/:endpointId/stream/:id", async (c) => {
    endpointOf(c);
    const deadline = until(c, STREAM_WAIT_MS);
    // worker-comfyui streams nothing while it runs: the stream is its one final output.
    const job = await runPodJob(c, await waitForTerminal(c, await visibleJob(c, c.req.param("id")), deadline));
    return c.json({ status: job.status, stream: job.output ? [{ output: job.output }] : [], ...(job.error ? { error: job.error } : {}) });
  })
  .post("/runpod/v2/:endpointId/cancel/:id", async (c) => {
    endpointOf(c);
    // A finished job is answered with its status, as RunPod does: cancel is idempotent.
    const after = await cancelJob(c, (await visibleJob(c, c.req.param("id"))).id);
    const { id, status } = await runPodJob(c, after);
    return c.json({ id, status });
  })
  .get("/runpod/v2/:endpointId/health", async (c) => {
    const who = c.get("principal");
    return c.json(await readRunPodHealth(c.env, endpointOf(c), who.role === "admin" ? undefined : who.id));
  })
  .post("/runpod/v2/:endpointId/purge-queue", async (c) => {
    return c.json({ removed: await purgeQueue(c, endpointOf(c)), status: "completed" as const });
  });
