import { z } from "zod";
import { ErrorBodySchema } from "../schemas/common";
import { CreateHost, HostSchema } from "../schemas/host";
import { CreatedKeySchema, CreateKey, KeyListSchema, KeySchema } from "../schemas/key";
import { UsageQuery, UsageSchema } from "../schemas/usage";
import { GetJobQuery, JobListSchema, JobSchema, ListJobsQuery, SubmitJob } from "../schemas/job";
import { DeliveryDetailSchema, DeliveryListSchema, DeliverySchema, ListDeliveriesQuery } from "../schemas/webhook";
import { CreateWorkflow, WorkflowSchema, type WorkflowInputs } from "../schemas/workflow";
import { UploadJson } from "./routes/uploads";
import { RunPodCancelSchema, RunPodHealthSchema, RunPodJobSchema, RunPodPurgeSchema, RunPodRunBody, RunPodStreamSchema, WaitQuery } from "./facades/runpod/schemas";
import { FeedQuery, WatchQuery } from "../schemas/watch";
import { inputsComponentName, inputsJsonSchema } from "../workflows/json-schema";
import { RouterTaskCreated, RouterTaskResult, RouterWorkflowRequest } from "./facades/router/schema";

const UploadSchema = z.object({ id: z.string(), name: z.string(), contentType: z.string(), bytes: z.number(), createdAt: z.string() });

type Route = {
  method: "get" | "post" | "put" | "delete";
  path: string;
  /** The method name client generators give this operation; unique in the document. */
  operationId: string;
  summary: string;
  admin?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  ok: { status: number; schema?: z.ZodType; description?: string; headers?: Record<string, unknown> };
  /** Other successful answers, documented as given. */
  also?: Record<string, unknown>;
  /** Overrides the document's security: [] for an open route; the Comfy Router facade adds HTTP Basic. */
  security?: Record<string, string[]>[];
};

/** The Comfy Router facade's routes take HTTP Basic (an API key as username or password) besides our own credentials. */
const ROUTER_SECURITY: Record<string, string[]>[] = [{ basic: [] }, { apiKey: [] }, { bearer: [] }];
const ROUTER_PATHS = "Also served at Comfy Router's own path (without /router).";

/** The same zod schemas that validate requests describe them here. */
const ROUTES: Route[] = [
  { method: "post", path: "/jobs", operationId: "submitJob", summary: "Submit a job (raw graph or stored workflow). Honors Idempotency-Key.", body: SubmitJob, ok: { status: 202, schema: JobSchema } },
  { method: "get", path: "/jobs", operationId: "listJobs", summary: "List your jobs, newest first", query: ListJobsQuery, ok: { status: 200, schema: JobListSchema } },
  { method: "get", path: "/jobs/{id}", operationId: "getJob", summary: "Get a job; ?wait=N long-polls up to N seconds for a terminal state", query: GetJobQuery, ok: { status: 200, schema: JobSchema } },
  { method: "post", path: "/jobs/{id}/cancel", operationId: "cancelJob", summary: "Cancel a job (idempotent)", ok: { status: 200, schema: JobSchema } },
  { method: "delete", path: "/jobs/{id}", operationId: "deleteJob", summary: "Delete a finished job and its outputs now (409 while it is queued or running)", ok: { status: 204 } },
  { method: "post", path: "/uploads", operationId: "createUpload", summary: "Put an input file into storage once (JSON { name, image: base64 }, a raw image body, or multipart `file`); reference it from jobs as images: [{ name, upload: id }]", body: UploadJson, ok: { status: 201, schema: UploadSchema } },
  { method: "get", path: "/uploads/{id}", operationId: "getUpload", summary: "Get an upload's metadata (yours; an admin sees any)", ok: { status: 200, schema: UploadSchema } },
  { method: "delete", path: "/uploads/{id}", operationId: "deleteUpload", summary: "Delete an upload and its file (409 while a queued or running job uses it)", ok: { status: 204 } },
  { method: "get", path: "/capabilities", operationId: "getCapabilities", summary: "Workflows and their inputs, limits, output kinds, and the models on the fleet's hosts", ok: { status: 200 } },
  {
    method: "get", path: "/jobs/{id}/outputs/{name}", operationId: "getJobOutput", summary: "Download one output: a redirect to its signed URL, or a text output's text",
    ok: {
      status: 302,
      description: "A file output: Location is a signed, expiring URL (SIGNED_URL_TTL_S) that serves it; follow it without the API key",
      headers: { Location: { description: "The signed download URL", schema: { type: "string", format: "uri" } } },
    },
    also: { "200": { description: "A text output: the text itself, no redirect", content: { "text/plain": { schema: { type: "string" } } } } },
  },
  {
    method: "get", path: "/jobs/{id}/events", operationId: "watchJob", query: WatchQuery,
    summary: "Follow a job live as Server-Sent Events (queued, running, started, progress, executing, preview, output, then one terminal event with the job); resumes after Last-Event-ID. The job's watchUrl opens it without a key",
    ok: { status: 200, description: "text/event-stream (docs/api.md, \"Watching jobs\")" },
    also: { "204": { description: "Resumed after the job's terminal event: nothing more will come" }, "403": { description: "SIGNATURE_INVALID or SIGNATURE_EXPIRED watch link", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } } },
  },
  {
    method: "get", path: "/jobs/{id}/preview", operationId: "getJobPreview", query: WatchQuery,
    summary: "The latest preview image ComfyUI sent of a running job (404 when there is none); the job's watch link query opens it without a key",
    ok: { status: 200, description: "image/jpeg or image/png" },
  },
  {
    method: "get", path: "/events", operationId: "watchAllJobs", query: FeedQuery,
    summary: "All your jobs' changes as Server-Sent Events (an admin's: everyone's), progress and previews at most once a second per job; resumes after Last-Event-ID",
    ok: { status: 200, description: "text/event-stream (docs/api.md, \"Watching jobs\")" },
  },
  { method: "get", path: "/webhooks/deliveries", operationId: "listWebhookDeliveries", summary: "List webhook deliveries (yours; an admin sees all), newest first", query: ListDeliveriesQuery, ok: { status: 200, schema: DeliveryListSchema } },
  { method: "get", path: "/webhooks/deliveries/{id}", operationId: "getWebhookDelivery", summary: "Get a webhook delivery with every attempt (time, status, latency, error, response snippet)", ok: { status: 200, schema: DeliveryDetailSchema } },
  { method: "post", path: "/webhooks/deliveries/{id}/redeliver", operationId: "redeliverWebhook", summary: "Send a finished delivery's message again, as a new delivery with the same webhook-id", ok: { status: 202, schema: DeliverySchema } },
  { method: "get", path: "/health", operationId: "getHealth", summary: "Liveness and fleet summary", ok: { status: 200 } },
  { method: "post", path: "/hosts", operationId: "createHost", summary: "Register a ComfyUI host", admin: true, body: CreateHost, ok: { status: 201, schema: HostSchema } },
  { method: "get", path: "/hosts", operationId: "listHosts", summary: "List hosts with state and slots in use", admin: true, ok: { status: 200 } },
  { method: "get", path: "/hosts/{id}", operationId: "getHost", summary: "Get a host", admin: true, ok: { status: 200, schema: HostSchema } },
  { method: "post", path: "/hosts/{id}/drain", operationId: "drainHost", summary: "Finish the host's running work and give it no more", admin: true, ok: { status: 200, schema: HostSchema } },
  { method: "post", path: "/hosts/{id}/resume", operationId: "resumeHost", summary: "Give a drained host work again", admin: true, ok: { status: 200, schema: HostSchema } },
  { method: "delete", path: "/hosts/{id}", operationId: "deleteHost", summary: "Remove an idle host", admin: true, ok: { status: 204 } },
  { method: "get", path: "/workflows", operationId: "listWorkflows", summary: "List stored workflows", ok: { status: 200 } },
  { method: "get", path: "/workflows/{id}", operationId: "getWorkflow", summary: "Get a stored workflow", ok: { status: 200, schema: WorkflowSchema } },
  { method: "post", path: "/workflows", operationId: "createWorkflow", summary: "Create a stored workflow (its id in the body; 409 if it exists)", admin: true, body: CreateWorkflow, ok: { status: 201, schema: WorkflowSchema } },
  { method: "put", path: "/workflows/{id}", operationId: "putWorkflow", summary: "Create or update a stored workflow (new version)", admin: true, body: CreateWorkflow, ok: { status: 200, schema: WorkflowSchema } },
  { method: "delete", path: "/workflows/{id}", operationId: "deleteWorkflow", summary: "Delete a stored workflow", admin: true, ok: { status: 204 } },
  { method: "post", path: "/keys", operationId: "createKey", summary: "Create an API key; its secret is in this response only", admin: true, body: CreateKey, ok: { status: 201, schema: CreatedKeySchema } },
  { method: "get", path: "/keys", operationId: "listKeys", summary: "List stored API keys (never their secrets)", admin: true, ok: { status: 200, schema: KeyListSchema } },
  { method: "delete", path: "/keys/{id}", operationId: "revokeKey", summary: "Revoke an API key (idempotent)", admin: true, ok: { status: 200, schema: KeySchema } },
  {
    method: "get", path: "/metrics", operationId: "getMetrics", summary: "The fleet in Prometheus text format (admin, or Authorization: Bearer <METRICS_TOKEN>)", admin: true,
    ok: { status: 200, description: "text/plain; version=0.0.4: jobs, queue, hosts, durations, failures, webhooks, rate-limit refusals (docs/metrics.md)" },
  },
  // The RunPod facade (docs/api.md "RunPod worker-comfyui"): RunPod's paths and shapes, our auth and limits.
  { method: "post", path: "/runpod/v2/{endpointId}/run", operationId: "runpodRun", summary: "RunPod: submit a worker-comfyui job; answers { id, status: IN_QUEUE }", body: RunPodRunBody, ok: { status: 200, schema: RunPodCancelSchema } },
  { method: "post", path: "/runpod/v2/{endpointId}/runsync", operationId: "runpodRunSync", summary: "RunPod: submit and wait up to ?wait= ms (default 90000) for the job to end", body: RunPodRunBody, query: WaitQuery(90_000), ok: { status: 200, schema: RunPodJobSchema } },
  { method: "get", path: "/runpod/v2/{endpointId}/status/{id}", operationId: "runpodStatus", summary: "RunPod: a job's status, delayTime, executionTime, output or error", ok: { status: 200, schema: RunPodJobSchema } },
  { method: "get", path: "/runpod/v2/{endpointId}/status-sync/{id}", operationId: "runpodStatusSync", summary: "RunPod: a job's status once it ends, or after ?wait= ms (default 90000)", query: WaitQuery(90_000), ok: { status: 200, schema: RunPodJobSchema } },
  { method: "get", path: "/runpod/v2/{endpointId}/stream/{id}", operationId: "runpodStream", summary: "RunPod: waits up to ?wait= ms (default 10000) for the job to end; the stream is its final output", query: WaitQuery(10_000), ok: { status: 200, schema: RunPodStreamSchema } },
  { method: "post", path: "/runpod/v2/{endpointId}/cancel/{id}", operationId: "runpodCancel", summary: "RunPod: cancel a job (idempotent; a finished job answers its status)", ok: { status: 200, schema: RunPodCancelSchema } },
  { method: "get", path: "/runpod/v2/{endpointId}/health", operationId: "runpodHealth", summary: "RunPod: job counts by state under this endpoint id (yours; an admin sees all) and hosts as workers", ok: { status: 200, schema: RunPodHealthSchema } },
  { method: "post", path: "/runpod/v2/{endpointId}/purge-queue", operationId: "runpodPurgeQueue", summary: "RunPod: cancel your queued jobs under this endpoint id", ok: { status: 200, schema: RunPodPurgeSchema } },
  {
    method: "post", path: "/router/workflow", operationId: "routerRunWorkflow", security: ROUTER_SECURITY, body: RouterWorkflowRequest,
    summary: `Comfy Router: run the built-in SD15 / SDXL / Flux workflow from Router's parameters; answers the task id at once (429 QUEUE_FULL past the pending limits). ${ROUTER_PATHS}`,
    ok: { status: 200, schema: RouterTaskCreated },
  },
  {
    method: "get", path: "/router/workflow/{id}", operationId: "routerGetWorkflow", security: ROUTER_SECURITY,
    summary: `Comfy Router: a task's { status, data } (pending, running with progress 0–1, done with the images' bytes, error) and the job. ${ROUTER_PATHS}`,
    ok: { status: 200, schema: RouterTaskResult },
  },
  {
    method: "post", path: "/router/workflow/{id}/cancel", operationId: "routerCancelWorkflow", security: ROUTER_SECURITY,
    summary: `Comfy Router (our addition): cancel a task, as POST /jobs/{id}/cancel (idempotent; 409 once it has finished); answers the task as GET shows it. ${ROUTER_PATHS}`,
    ok: { status: 200, schema: RouterTaskResult },
  },
  {
    method: "get", path: "/router/preview/{id}", operationId: "routerGetPreview", security: [],
    summary: `Comfy Router: a task's image, without credentials (the task id is the capability; tasks made through /router/workflow only). 404 while there is none. ${ROUTER_PATHS}`,
    ok: { status: 200, description: "The image (Content-Type as stored)" },
  },
  { method: "get", path: "/router/doc", operationId: "routerGetDoc", security: [], summary: `Comfy Router: how its calls work here (an HTML page). ${ROUTER_PATHS}`, ok: { status: 200, description: "text/html" } },
  { method: "get", path: "/router/health_check", operationId: "routerHealthCheck", security: [], summary: `Comfy Router: liveness, the text "ok". ${ROUTER_PATHS}`, ok: { status: 200, description: "text/plain: ok" } },
  { method: "get", path: "/usage", operationId: "getUsage", summary: "Jobs by status and GPU-seconds per UTC day: yours, or (admin) any owner's", query: UsageQuery, ok: { status: 200, schema: UsageSchema } },
];

const schemaOf = (s: z.ZodType, io: "input" | "output") => z.toJSONSchema(s, { io, unrepresentable: "any", target: "openapi-3.0" });

export type WorkflowDoc = { id: string; name: string; version: number; inputs: WorkflowInputs };

/** The document; each stored workflow's declared inputs become components/schemas/Workflow_<id>_Inputs. */
export function openApiDocument(serverUrl: string, workflows: WorkflowDoc[] = [], limits?: { maxImageSize: number; maxBatchSize: number }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorRef = { $ref: "#/components/schemas/Error" };
  for (const r of ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const queryParams = r.query
      ? Object.entries(r.query.shape).map(([name, s]) => ({ name, in: "query", required: false, schema: schemaOf(s as z.ZodType, "input") }))
      : [];
    const responses: Record<string, unknown> = {
      [r.ok.status]: {
        description: r.ok.description ?? "OK",
        ...(r.ok.headers ? { headers: r.ok.headers } : {}),
        ...(r.ok.schema ? { content: { "application/json": { schema: schemaOf(r.ok.schema, "output") } } } : {}),
      },
      ...r.also,
      "400": { description: "Invalid request", content: { "application/json": { schema: errorRef } } },
      "401": { description: "Missing or invalid credentials", content: { "application/json": { schema: errorRef } } },
      ...(r.admin ? { "403": { description: "Admin role required", content: { "application/json": { schema: errorRef } } } } : {}),
      "404": { description: "Not found", content: { "application/json": { schema: errorRef } } },
      "429": { description: "RATE_LIMITED (see X-RateLimit-* and Retry-After) or, on POST /jobs, QUEUE_FULL", content: { "application/json": { schema: errorRef } } },
    };
    paths[r.path] ??= {};
    paths[r.path]![r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(params.length || queryParams.length ? { parameters: [...params, ...queryParams] } : {}),
      ...(r.security ? { security: r.security } : {}),
      ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: schemaOf(r.body, "input") } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.0.3",
    info: { title: "Comfy Edge", version: "0.1.0", description: "A durable job API in front of a fleet of ComfyUI servers. Every route is also served under /v1." },
    servers: [{ url: serverUrl }, { url: `${serverUrl}/v1` }],
    components: {
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        basic: { type: "http", scheme: "basic", description: "Comfy Router facade only: an API key as the username or the password" },
      },
      schemas: {
        Error: schemaOf(ErrorBodySchema, "output"),
        ...Object.fromEntries(workflows.map((w) => [inputsComponentName(w.id), { ...inputsJsonSchema(w.inputs, limits), description: `Inputs of stored workflow "${w.id}" (${w.name}), version ${w.version}: POST /jobs { "workflowId": "${w.id}", "inputs": {…} }` }])),
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths,
  };
}
