import { asc } from "drizzle-orm";
import { Hono } from "hono";
import { workflows } from "../../db/schema";
import type { AppEnv } from "../context";
import { openApiDocument } from "../openapi";
import type { WorkflowInputs } from "../../schemas/workflow";

/** The API's own description, with each stored workflow's inputs. Public, but rate limited: it reads D1. */
export const openApiRoutes = new Hono<AppEnv>().get("/openapi.json", async (c) => {
  const cfg = c.get("config");
  const wfs = await c.get("db").select().from(workflows).orderBy(asc(workflows.id)).all();
  const docs = wfs.map((w) => ({ id: w.id, name: w.name, version: w.version, inputs: JSON.parse(w.inputsJson) as WorkflowInputs }));
  return c.json(openApiDocument(new URL(c.req.url).origin, docs, { maxImageSize: cfg.MAX_IMAGE_SIZE, maxBatchSize: cfg.MAX_BATCH_SIZE }));
});
