import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./api/context";
import { authenticate, requireRole } from "./api/middleware/auth";
import { cors } from "./api/middleware/cors";
import { rateLimit } from "./api/middleware/rate-limit";
import { requestId } from "./api/middleware/request-id";
import { runpodRoutes } from "./api/facades/runpod/routes";
import { acceptsBasicAuth, routerPublicRoutes, routerRoutes } from "./api/facades/router/routes";
import { capabilityRoutes } from "./api/routes/capabilities";
import { fileRoutes } from "./api/routes/files";
import { openApiRoutes } from "./api/routes/openapi";
import { docsRoutes } from "./api/routes/docs";
import { healthRoutes } from "./api/routes/health";
import { hostRoutes } from "./api/routes/hosts";
import { jobRoutes } from "./api/routes/jobs";
import { keyRoutes } from "./api/routes/keys";
import { metricsRoutes } from "./api/routes/metrics";
import { uploadRoutes } from "./api/routes/uploads";
import { usageRoutes } from "./api/routes/usage";
import { watchRoutes } from "./api/routes/watch";
import { webhookRoutes } from "./api/routes/webhooks";
import { workflowRoutes } from "./api/routes/workflows";
import { consoleRoutes } from "./console/page";
import { db } from "./db/client";
import { config } from "./env";
import { ApiError, type ErrorCode } from "./errors";
import { errorFields, log } from "./lib/log";

const HTTP_CODE: Record<number, ErrorCode> = { 400: "VALIDATION_FAILED", 401: "AUTH_FAILED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 429: "RATE_LIMITED" };

/**
 * The API, one router served both bare and under /v1. Order is the access policy: signed files and
 * the console's static page need nothing; everything after them is identified and rate limited; the
 * OpenAPI document, its page (/docs) and /health
 * then answer with or without a credential, /metrics to an admin or its own token; everything
 * after `requireRole("user")` needs a credential. The Comfy Router facade takes HTTP Basic too, on
 * its own paths only; its preview, doc and health check are open as they were in Comfy Router.
 */
function api() {
  return new Hono<AppEnv>()
    .route("/", fileRoutes)
    // The console's page (/admin) holds no data and no credential; its script calls the API below with the key.
    .route("/", consoleRoutes)
    .use("*", authenticate({ basic: acceptsBasicAuth }))
    .use("*", rateLimit())
    .route("/", openApiRoutes)
    .route("/", docsRoutes)
    .route("/", healthRoutes)
    // Before requireRole("user"): a METRICS_TOKEN is not a user credential.
    .route("/", metricsRoutes)
    .route("/", routerPublicRoutes)
    // Before requireRole("user"): a job's watch link opens its stream without a key.
    .route("/", watchRoutes)
    .use("*", requireRole("user"))
    .route("/", capabilityRoutes)
    .route("/", jobRoutes)
    .route("/", uploadRoutes)
    .route("/", webhookRoutes)
    .route("/", hostRoutes)
    .route("/", workflowRoutes)
    .route("/", keyRoutes)
    .route("/", usageRoutes)
    .route("/", runpodRoutes)
    .route("/", routerRoutes);
}

export function createApp() {
  const app = new Hono<AppEnv>();
  app.use("*", requestId());
  app.use("*", async function context(c, next) {
    const cfg = config(c.env);
    c.set("config", cfg);
    c.set("db", db(c.env.DB));
    return bodyLimit({
      maxSize: cfg.MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError("PAYLOAD_TOO_LARGE", `Request body is larger than ${cfg.MAX_BODY_BYTES} bytes`);
      },
    })(c, next);
  });
  // Before the router: a preflight is answered without credentials, and errors get the headers too.
  app.use("*", cors());
  const router = api();
  app.route("/v1", router);
  app.route("/", router);

  app.notFound((c) => c.json({ error: "NOT_FOUND", message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}`, requestId: c.get("requestId") }, 404));
  app.onError((err, c) => {
    const rid = c.get("requestId");
    if (err instanceof ApiError) {
      if (err.status >= 500) log.error("request.failed", { requestId: rid, code: err.code, reason: err.more.reason, ...errorFields(err.cause ?? err) });
      return c.json({ ...err.body(), requestId: rid }, err.status, err.more.headers);
    }
    if (err instanceof HTTPException && HTTP_CODE[err.status]) {
      return c.json({ error: HTTP_CODE[err.status]!, message: err.message || "Bad request", requestId: rid }, err.status);
    }
    log.error("request.crashed", { requestId: rid, path: new URL(c.req.url).pathname, ...errorFields(err) });
    return c.json({ error: "INTERNAL", message: "Something went wrong on our side; the request id identifies it in the logs", requestId: rid }, 500);
  });
  return app;
}
