import { asc } from "drizzle-orm";
import { Hono } from "hono";
import { workflows } from "../../db/schema";
import { fleetModels } from "../../hosts/models";
import { hasRole } from "../../auth/roles";
import type { AppEnv } from "../context";
import { JobOutputSchema } from "../../schemas/job";
import type { Graph } from "../../comfy/graph";
import type { WorkflowInputs } from "../../schemas/workflow";
import { fleetChoices, withModelChoices } from "../../workflows/models-needed";

/** What this deployment can do: its workflows and their inputs, its limits, output kinds and the models on its hosts. */
export const capabilityRoutes = new Hono<AppEnv>().get("/capabilities", async (c) => {
  const cfg = c.get("config");
  const d = c.get("db");
  const wfs = await d.select().from(workflows).orderBy(asc(workflows.id)).all();
  const fleet = await fleetModels(d, Date.now());
  // Everyone sees which models exist somewhere in the fleet; which host has what is for admins (like /hosts).
  const models: Record<string, string[]> = {};
  for (const h of fleet) for (const [folder, names] of Object.entries(h.models)) models[folder] = [...new Set([...(models[folder] ?? []), ...names])].sort();
  const choices = fleetChoices(fleet.map((h) => h.models));
  return c.json({
    workflows: wfs.map((w) => ({ id: w.id, name: w.name, description: w.description, version: w.version, inputs: withModelChoices(JSON.parse(w.graphJson) as Graph, JSON.parse(w.inputsJson) as WorkflowInputs, choices) })),
    limits: {
      MAX_IMAGE_SIZE: cfg.MAX_IMAGE_SIZE,
      MAX_BATCH_SIZE: cfg.MAX_BATCH_SIZE,
      COMFYUI_TIMEOUT_MS: cfg.COMFYUI_TIMEOUT_MS,
      MAX_ATTEMPTS: cfg.MAX_ATTEMPTS,
      QUEUE_TTL_MS: cfg.QUEUE_TTL_MS,
      MAX_BODY_BYTES: cfg.MAX_BODY_BYTES,
      INPUT_MAX_BYTES: cfg.INPUT_MAX_BYTES,
      PENDING_LIMIT: c.get("principal").pendingLimit ?? cfg.PENDING_LIMIT,
      OUTPUT_RETENTION_DAYS: cfg.OUTPUT_RETENTION_DAYS,
    },
    outputKinds: JobOutputSchema.shape.kind.options,
    inputs: { sources: ["base64", "data-uri", "url", "upload"], types: ["image/*", "video/*", "audio/*"] },
    comfyOrgApiKey: { configured: cfg.COMFY_ORG_API_KEY !== undefined, perJob: true },
    models,
    ...(hasRole(c.get("principal"), "admin") ? { hosts: fleet } : {}),
  });
});
