import { asc } from "drizzle-orm";
import { Hono } from "hono";
import { hosts, workflows } from "../../db/schema";
import type { Graph } from "../../comfy/graph";
import { fleetChoices, withModelChoices } from "../../workflows/models-needed";
import type { AppEnv } from "../context";
import { openApiDocument } from "../openapi";
import type { WorkflowInputs } from "../../schemas/workflow";

/** The API's own description, with each stored workflow's inputs (model inputs as enums of the fleet's files). Public, but rate limited: it reads D1. */
export const openApiRoutes = new Hono<AppEnv>().get("/openapi.json", async (c) => {
  const cfg = c.get("config");
  const [wfs, lists] = await Promise.all([
    c.get("db").select().from(workflows).orderBy(asc(workflows.id)).all(),
    c.get("db").select({ modelsJson: hosts.modelsJson }).from(hosts).all(),
  ]);
  // Model inputs list the files the fleet has (as last read; GET /capabilities refreshes stale lists).
  const choices = fleetChoices(lists.map((h) => (h.modelsJson ? (JSON.parse(h.modelsJson) as Record<string, string[]>) : null)));
  const docs = wfs.map((w) => ({ id: w.id, name: w.name, version: w.version, inputs: withModelChoices(JSON.parse(w.graphJson) as Graph, JSON.parse(w.inputsJson) as WorkflowInputs, choices) }));
  return c.json(openApiDocument(new URL(c.req.url).origin, docs, { maxImageSize: cfg.MAX_IMAGE_SIZE, maxBatchSize: cfg.MAX_BATCH_SIZE }));
});
