import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Times are integer epoch milliseconds (`*_ms`); JSON columns hold serialised objects. */
export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull(),
    status: text("status", {
      enum: ["queued", "running", "canceling", "succeeded", "failed", "canceled", "expired"],
    }).notNull(),
    priority: integer("priority").notNull().default(0),
    workflowId: text("workflow_id"),
    workflowVersion: integer("workflow_version"),
    graphJson: text("graph_json").notNull(),
    inputsJson: text("inputs_json"),
    metadataJson: text("metadata_json").notNull().default("{}"),
    attempts: integer("attempts").notNull().default(0),
    attemptId: text("attempt_id"),
    hostId: text("host_id"),
    hostName: text("host_name"),
    progressJson: text("progress_json"),
    outputsJson: text("outputs_json").notNull().default("[]"),
    errorJson: text("error_json"),
    timeoutMs: integer("timeout_ms"),
    queueMs: integer("queue_ms"),
    executionMs: integer("execution_ms"),
    createdAtMs: integer("created_at_ms").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
    enqueuedAtMs: integer("enqueued_at_ms").notNull(),
    startedAtMs: integer("started_at_ms"),
    completedAtMs: integer("completed_at_ms"),
    /** Webhooks: where to POST job events, which events (JSON array), and the terminal delivery's outcome. */
    callbackUrl: text("callback_url"),
    eventsJson: text("events_json"),
    webhookJson: text("webhook_json"),
    /** Input files (JSON `[{ name, key, contentType, bytes }]`): R2 objects uploaded to the host before every attempt. */
    inputFilesJson: text("input_files_json"),
    /** The job's own Comfy.org API key, AES-GCM encrypted (src/jobs/secret.ts); never returned. */
    comfyKeyEnc: text("comfy_key_enc"),
    /** Keep temp-type (preview) outputs too. */
    includePreviews: integer("include_previews", { mode: "boolean" }).notNull().default(false),
    /** The model files the graph's loaders name (JSON `["folder/name"]`); a job is placed only on a host that lists them all. */
    modelsJson: text("models_json"),
    /** The job asked for its outputs inline (base64) in its view and terminal webhook; the bytes stay in R2 only. */
    inlineOutputs: integer("inline_outputs", { mode: "boolean" }).notNull().default(false),
    /** The client API the job came through (`runpod`), which shapes its webhook body; null for our own API. */
    facade: text("facade", { enum: ["runpod"] }),
    /** The endpoint id a RunPod client named (`/runpod/v2/:endpointId/…`); it will name host pools later. */
    endpointId: text("endpoint_id"),
  },
  (t) => [
    index("jobs_queue_order").on(t.status, t.priority, t.createdAtMs),
    index("jobs_owner_created").on(t.owner, t.createdAtMs),
    // The pending-limit check counts an owner's queued/running jobs on every submission.
    index("jobs_owner_status").on(t.owner, t.status),
    index("jobs_host_status").on(t.hostId, t.status),
    // Retention deletes finished jobs oldest first.
    index("jobs_completed").on(t.completedAtMs),
  ],
);

export const hosts = sqliteTable("hosts", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  url: text("url").notNull(),
  /** Tunnel service-token headers. Never leaves the gateway through the API. */
  headersJson: text("headers_json").notNull().default("{}"),
  slots: integer("slots").notNull(),
  state: text("state", { enum: ["online", "busy", "draining", "offline"] }).notNull().default("online"),
  lastError: text("last_error"),
  lastSeenAtMs: integer("last_seen_at_ms"),
  lastAssignedAtMs: integer("last_assigned_at_ms").notNull().default(0),
  createdAtMs: integer("created_at_ms").notNull(),
  /** The host's model files by folder (`/models/{folder}`), cached for GET /capabilities. */
  modelsJson: text("models_json"),
  modelsAtMs: integer("models_at_ms"),
});

/**
 * Each host's model files as `folder/name` keys (current folder names), one row each: what the claim
 * matches a job's `models_json` against, by index. Rewritten with the host's lists (src/hosts/models.ts).
 */
export const hostModels = sqliteTable(
  "host_models",
  {
    hostId: text("host_id").notNull().references(() => hosts.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.key] })],
);

/** Files put into R2 once with POST /uploads and referenced by id from many jobs; owner-scoped. */
export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull(),
    key: text("key").notNull(),
    name: text("name").notNull(),
    contentType: text("content_type").notNull(),
    bytes: integer("bytes").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [index("uploads_owner_created").on(t.owner, t.createdAtMs)],
);

/** URL inputs fetched once and kept in R2 under inputs/url/<sha256 of the URL>; evicted least recently used first. */
export const inputCache = sqliteTable(
  "input_cache",
  {
    key: text("key").primaryKey(),
    url: text("url").notNull(),
    contentType: text("content_type").notNull(),
    bytes: integer("bytes").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
    lastUsedAtMs: integer("last_used_at_ms").notNull(),
  },
  (t) => [index("input_cache_lru").on(t.lastUsedAtMs)],
);

export const workflows = sqliteTable("workflows", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  description: text("description"),
  version: integer("version").notNull(),
  graphJson: text("graph_json").notNull(),
  inputsJson: text("inputs_json").notNull().default("{}"),
  createdAtMs: integer("created_at_ms").notNull(),
  updatedAtMs: integer("updated_at_ms").notNull(),
});

/** Every version a workflow ever had, so a past job can always be traced to what it ran. */
export const workflowVersions = sqliteTable(
  "workflow_versions",
  {
    workflowId: text("workflow_id").notNull(),
    version: integer("version").notNull(),
    graphJson: text("graph_json").notNull(),
    inputsJson: text("inputs_json").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.version] })],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    owner: text("owner").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    jobId: text("job_id").notNull(),
    createdAtMs: integer("created_at_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.owner, t.key] })],
);

/** Deployment-wide values the gateway makes for itself, such as the URL-signing key. */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export type JobRow = typeof jobs.$inferSelect;
export type HostRow = typeof hosts.$inferSelect;
export type WorkflowRow = typeof workflows.$inferSelect;
export type UploadRow = typeof uploads.$inferSelect;

/** API keys created through the API. Only a SHA-256 of the secret is kept; the secret is shown once. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    role: text("role", { enum: ["user", "admin"] }).notNull(),
    secretHash: text("secret_hash").notNull().unique(),
    /** The first characters of the secret, so a person can tell keys apart; never enough to use. */
    prefix: text("prefix").notNull(),
    rateLimitMax: integer("rate_limit_max"),
    pendingLimit: integer("pending_limit"),
    expiresAtMs: integer("expires_at_ms"),
    createdAtMs: integer("created_at_ms").notNull(),
    revokedAtMs: integer("revoked_at_ms"),
    lastUsedAtMs: integer("last_used_at_ms"),
  },
  (t) => [index("api_keys_created").on(t.createdAtMs)],
);

/** One row per webhook delivery (a job event to its callbackUrl); attempts are rows of their own. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    jobId: text("job_id").notNull(),
    owner: text("owner").notNull(),
    event: text("event").notNull(),
    url: text("url").notNull(),
    status: text("status", { enum: ["pending", "succeeded", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAtMs: integer("next_attempt_at_ms"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAtMs: integer("created_at_ms").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
    completedAtMs: integer("completed_at_ms"),
  },
  (t) => [index("deliveries_job").on(t.jobId, t.createdAtMs), index("deliveries_owner_status").on(t.owner, t.status)],
);

export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    deliveryId: text("delivery_id").notNull(),
    attempt: integer("attempt").notNull(),
    atMs: integer("at_ms").notNull(),
    statusCode: integer("status_code"),
    latencyMs: integer("latency_ms"),
    error: text("error"),
    responseSnippet: text("response_snippet"),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
);

/** Deployment-wide running totals for /metrics that no table row holds (rate-limit refusals); only ever incremented. */
export const counters = sqliteTable("counters", {
  name: text("name").primaryKey(),
  value: integer("value").notNull().default(0),
});
