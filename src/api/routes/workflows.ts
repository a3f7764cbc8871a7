import { asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import type { z } from "zod";
import type { Db } from "../../db/client";
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

/**
 * Saves a workflow as its next version (the first is 1), with the version row, in one batch.
 * `create`: refuse an id that exists (409) instead of replacing it.
 */
async function saveWorkflow(d: Db, body: z.infer<typeof CreateWorkflow>, opts: { create: boolean }): Promise<{ row: WorkflowRow; created: boolean }> {
  const graphJson = JSON.stringify(body.graph);
  const inputsJson = JSON.stringify(body.inputs);
  assertStoredSizes([["graph", graphJson, STORED_LIMITS.graph], ["inputs", inputsJson, STORED_LIMITS.inputs]]);
  const now = Date.now();
  const prior = await d.select().from(workflows).where(eq(workflows.id, body.id)).get();
  if (prior && opts.create) throw new ApiError("CONFLICT", `Workflow "${body.id}" already exists; update it with PUT /workflows/${body.id}`);
  const version = (prior?.version ?? 0) + 1;
  const row: WorkflowRow = {
    id: body.id, name: body.name, description: body.description ?? null, version, graphJson,
    inputsJson, createdAtMs: prior?.createdAtMs ?? now, updatedAtMs: now,
  };
  const write = d.insert(workflows).values(row);
  // A create races another create by failing on the primary key (a 409 too), never by replacing.
  await d.batch([
    d.insert(workflowVersions).values({ workflowId: row.id, version, graphJson, inputsJson, createdAtMs: now }),
    opts.create ? write : write.onConflictDoUpdate({ target: workflows.id, set: { name: row.name, description: row.description, version, graphJson, inputsJson, updatedAtMs: now } }),
  ]).catch((e: unknown) => {
    if (/UNIQUE|constraint/i.test(String((e as Error)?.message ?? e) + String((e as Error)?.cause ?? ""))) {
      throw new ApiError("CONFLICT", `Workflow "${row.id}" already exists; update it with PUT /workflows/${row.id}`);
    }
    throw e;
  });
  return { row, created: !prior };
}

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
  // ComfyUI Gateway's create: the id in the body; an id already taken is a conflict (PUT replaces).
  .post("/workflows", requireRole("admin"), async (c) => {
    const body = await jsonBody(c, CreateWorkflow);
    const saved = await saveWorkflow(c.get("db"), body, { create: true });
    return c.json(view(saved.row), 201, { Location: `/workflows/${saved.row.id}` });
  })
  .put("/workflows/:id", requireRole("admin"), async (c) => {
    const id = param(c.req.param("id"), Id, "Workflow");
    const body = await jsonBody(c, CreateWorkflow);
    if (body.id !== id) throw new ApiError("VALIDATION_FAILED", "Invalid request body: id: must match the id in the path");
    const saved = await saveWorkflow(c.get("db"), body, { create: false });
    return c.json(view(saved.row), saved.created ? 201 : 200);
  })
  .delete("/workflows/:id", requireRole("admin"), async (c) => {
    const id = param(c.req.param("id"), Id, "Workflow");
    const gone = await c.get("db").delete(workflows).where(eq(workflows.id, id)).returning({ id: workflows.id });
    if (gone.length === 0) throw notFound("Workflow");
    return c.body(null, 204);
  });
