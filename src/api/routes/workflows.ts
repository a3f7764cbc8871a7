import { asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { workflows, workflowVersions, type WorkflowRow } from "../../db/schema";
import { ApiError, notFound } from "../../errors";
import { assertStoredSizes, STORED_LIMITS } from "../../jobs/stored-sizes";
import { requireRole } from "../middleware/auth";
import type { AppEnv } from "../context";
import { Id } from "../../schemas/common";
import { CreateWorkflow } from "../../schemas/workflow";
import { jsonBody, param } from "../validate";
import { TEMPLATE_IDS } from "../../workflows/templates";

export const view = (w: WorkflowRow) => ({
  id: w.id, name: w.name, description: w.description, version: w.version, builtin: TEMPLATE_IDS.has(w.id),
  graph: JSON.parse(w.graphJson) as Record<string, unknown>, inputs: JSON.parse(w.inputsJson) as Record<string, unknown>,
  createdAt: new Date(w.createdAtMs).toISOString(), updatedAt: new Date(w.updatedAtMs).toISOString(),
});

/** Stored workflows. Every save is a new version; a job records the version it ran. */
export const workflowRoutes = new Hono<AppEnv>()
  .get("/workflows", async (c) => {
    const items = (await c.get("db").select().from(workflows).orderBy(asc(workflows.id)).all()).map(view);
    return c.json({ items, count: items.length });
  })
  .get("/workflows/:id", async (c) => {
    const id = param(c.req.param("id"), Id, "Workflow");
    const w = await c.get("db").select().from(workflows).where(eq(workflows.id, id)).get();
    if (!w) throw notFound("Workflow");
    return c.json(view(w));
  })
  .put("/workflows/:id", requireRole("admin"), async (c) => {
    const id = param(c.req.param("id"), Id, "Workflow");
    const body = await jsonBody(c, CreateWorkflow);
    if (body.id !== id) throw new ApiError("VALIDATION_FAILED", "Invalid request body: id: must match the id in the path");
    const graphJson = JSON.stringify(body.graph);
    const inputsJson = JSON.stringify(body.inputs);
    assertStoredSizes([["graph", graphJson, STORED_LIMITS.graph], ["inputs", inputsJson, STORED_LIMITS.inputs]]);
    const d = c.get("db");
    const now = Date.now();
    const prior = await d.select().from(workflows).where(eq(workflows.id, id)).get();
    const version = (prior?.version ?? 0) + 1;
    const row: WorkflowRow = {
      id, name: body.name, description: body.description ?? null, version, graphJson,
      inputsJson, createdAtMs: prior?.createdAtMs ?? now, updatedAtMs: now,
    };
    await d.batch([
      d.insert(workflowVersions).values({ workflowId: id, version, graphJson: row.graphJson, inputsJson: row.inputsJson, createdAtMs: now }),
      d.insert(workflows).values(row).onConflictDoUpdate({ target: workflows.id, set: { name: row.name, description: row.description, version, graphJson: row.graphJson, inputsJson: row.inputsJson, updatedAtMs: now } }),
    ]);
    return c.json(view(row), prior ? 200 : 201);
  })
  .delete("/workflows/:id", requireRole("admin"), async (c) => {
    const id = param(c.req.param("id"), Id, "Workflow");
    const gone = await c.get("db").delete(workflows).where(eq(workflows.id, id)).returning({ id: workflows.id });
    if (gone.length === 0) throw notFound("Workflow");
    return c.body(null, 204);
  });
