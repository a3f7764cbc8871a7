import { eq } from "drizzle-orm";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { jobs, workflows, type JobRow } from "../../../db/schema";
import { ApiError } from "../../../errors";
import { storedOutputs } from "../../../jobs/view";
import { Uuid } from "../../../schemas/common";
import { SubmitJob } from "../../../schemas/job";
import type { WorkflowInputs } from "../../../schemas/workflow";
import type { AppEnv } from "../../context";
import { acceptJob, cancelJob, jobView, visibleJob } from "../../job-actions";
import { withLive } from "../../long-poll";
import { setResponseHeaders } from "../../response-headers";
import { issuesOf, jsonBody, param } from "../../validate";
import { ROUTER_DOC_HTML } from "./doc";
import { routerToJob, routerWorkflowId, type MappingIssue } from "./mapping";
import { madeByRouter, ROUTER_METADATA } from "./marker";
import { latestPreview } from "./preview";
import { RouterWorkflowRequest } from "./schema";
import { doneImages, routerStatus } from "./status";

/**
 * Comfy Router's API (seeds/comfy-router-readme.txt), as a thin translation onto our jobs: served
 * under /router and, since none of its paths clash with ours, at its own paths too. Tasks are jobs,
 * with the same owners, roles, rate and pending limits as POST /jobs.
 */
export const ROUTER_PREFIXES = ["/router", ""] as const;

/** Where HTTP Basic carries an API key: the facade's paths only (under /v1 too, as the whole API is). */
export const acceptsBasicAuth = (path: string) => /^(\/v1)?(\/router)?\/(workflow|preview|doc|health_check)(\/|$)/.test(path);

/** Images inlined in a done task's data, in bytes; the rest are left to their links (see doneImages). */
const DONE_DATA_MAX_BYTES = 4 * 1024 * 1024;

const invalid = (issues: MappingIssue[]) =>
  new ApiError("VALIDATION_FAILED", `Invalid request body: ${issues[0]!.path}: ${issues[0]!.message}`, { details: { issues: issues.map((i) => ({ ...i, code: "invalid_input" })) } });

async function runWorkflow(c: Context<AppEnv>) {
  const req = await jsonBody(c, RouterWorkflowRequest);
  const workflowId = routerWorkflowId(req);
  if (typeof workflowId !== "string") throw invalid([workflowId]);
  const wf = await c.get("db").select({ inputsJson: workflows.inputsJson }).from(workflows).where(eq(workflows.id, workflowId)).get();
  if (!wf) throw new ApiError("VALIDATION_FAILED", `Invalid request body: type: the built-in workflow "${workflowId}" for ${req.type} is not installed on this gateway`, { details: { issues: [{ path: "type", message: "workflow not installed", code: "not_found" }] } });
  const cfg = c.get("config");
  const mapped = routerToJob(req, workflowId, JSON.parse(wf.inputsJson) as WorkflowInputs, { maxImageSize: cfg.MAX_IMAGE_SIZE, maxBatchSize: cfg.MAX_BATCH_SIZE });
  if (!mapped.ok) throw invalid(mapped.issues);
  // Parsed like any POST /jobs body, so the facade cannot hand submit something our API would refuse.
  const body = SubmitJob.safeParse({ ...mapped.job, metadata: ROUTER_METADATA });
  if (!body.success) throw invalid(issuesOf(body.error));
  const { job } = await acceptJob(c, body.data);
  // 200 with { id }, as Comfy Router answers; the job is queued (or already on a host).
  return c.json({ id: job.id, workflowId, ignored: mapped.ignored }, 200);
}

/** The task as Comfy Router shows it, with our job beside it. */
async function taskResult(c: Context<AppEnv>, row: JobRow) {
  const job = await jobView(c, row);
  const result = routerStatus(job);
  if (result.status !== "done") return c.json({ id: row.id, ...result, job });
  const { take, omitted } = doneImages(storedOutputs(row), DONE_DATA_MAX_BYTES);
  const data: number[][] = [];
  for (const o of take) {
    const object = await c.env.OUTPUTS.get(o.key!);
    if (object) data.push(Array.from(new Uint8Array(await object.arrayBuffer())));
    else omitted.push(o.name);
  }
  return c.json({ id: row.id, status: "done", data, ...(omitted.length ? { omitted } : {}), job });
}

const checkWorkflow = async (c: Context<AppEnv>) => taskResult(c, await withLive(c, await visibleJob(c, c.req.param("id"))));

/**
 * Comfy Router had no cancel; its users get ours here (idempotent, the same move as
 * POST /jobs/:id/cancel), so a task started over Basic can be stopped over Basic. A finished task
 * answers 409, as on our API.
 */
async function cancelWorkflow(c: Context<AppEnv>) {
  const after = await cancelJob(c, (await visibleJob(c, c.req.param("id"))).id);
  if (after.status === "succeeded" || after.status === "failed" || after.status === "expired") {
    throw new ApiError("CONFLICT", `Task already ${after.status}; only pending or running tasks can be canceled`);
  }
  return taskResult(c, after);
}

async function preview(c: Context<AppEnv>) {
  const id = param(c.req.param("id"), Uuid, "Task");
  const row = await c.get("db").select().from(jobs).where(eq(jobs.id, id)).get();
  if (!row || !madeByRouter(row)) throw new ApiError("NOT_FOUND", "Task not found");
  const image = await latestPreview(c.env, row);
  if (!image) throw new ApiError("NOT_FOUND", `Task has no preview image (it is ${row.status})`);
  return c.body(image.body, 200, { "content-type": image.contentType, "content-length": String(image.bytes), "cache-control": "no-store" });
}

/**
 * A 401 on the task routes carries the Basic challenge Comfy Router sent, so clients that send
 * credentials only when challenged (browsers, .NET, Java) still log in. Mounted ahead of
 * requireRole, it sees the refusal's response on the way out.
 */
const basicChallenge: MiddlewareHandler<AppEnv> = async function basicChallenge(c, next) {
  await next();
  if (c.res.status === 401) setResponseHeaders(c, { "www-authenticate": 'Basic realm="Comfy Edge", charset="UTF-8"' });
};

/** Open routes, mounted before requireRole("user"): Comfy Router never asked for credentials here. */
export const routerPublicRoutes = new Hono<AppEnv>();
/** Routes that need a credential, mounted after requireRole("user"). */
export const routerRoutes = new Hono<AppEnv>();
for (const p of ROUTER_PREFIXES) {
  routerPublicRoutes
    .use(`${p}/workflow`, basicChallenge)
    .use(`${p}/workflow/*`, basicChallenge)
    .get(`${p}/preview/:id`, preview)
    .get(`${p}/doc`, (c) => c.html(ROUTER_DOC_HTML, 200, { "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" }))
    .get(`${p}/health_check`, (c) => c.text("ok"));
  routerRoutes.post(`${p}/workflow`, runWorkflow).get(`${p}/workflow/:id`, checkWorkflow).post(`${p}/workflow/:id/cancel`, cancelWorkflow);
}
