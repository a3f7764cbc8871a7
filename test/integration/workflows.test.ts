import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MIGRATIONS, migrationSql, TEMPLATES } from "../../src/workflows/templates";
import { call, tinyGraph } from "../helpers/gateway";

const jobRow = (id: string) => env.DB.prepare("SELECT graph_json, workflow_id, workflow_version, inputs_json FROM jobs WHERE id = ?").bind(id).first<{ graph_json: string; workflow_id: string; workflow_version: number; inputs_json: string | null }>();

describe("built-in workflows", () => {
  it.each(TEMPLATES.map((t) => [t.id, t] as const))("ships %s on a fresh install, readable by users", async (id, t) => {
    const r = await call("GET", `/workflows/${id}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id, name: t.name, builtin: true, graph: t.graph });
    expect(r.json.version).toBeGreaterThanOrEqual(1);
    expect(Object.keys(r.json.inputs)).toEqual(Object.keys(t.inputs));
  });

  it("seeds every template exactly once, from migrations generated from src/workflows/templates.ts", () => {
    expect(MIGRATIONS.flatMap((m) => m.ids ?? []).sort()).toEqual(TEMPLATES.map((t) => t.id).sort());
  });

  // 0004 keeps sd15/sdxl/flux as it was first applied; templates added later go into new migrations,
  // and a template that changed reaches existing installs through an upgrade migration.
  it.each(MIGRATIONS)("migration $name is what src/workflows/templates.ts makes", (mig) => {
    const name = mig.name;
    const m = env.TEST_MIGRATIONS.find((x) => x.name === `${name}.sql`);
    expect(m?.name).toBe(`${name}.sql`);
    const norm = (q: string) => q.replace(/^--.*$/gm, "").trim().replace(/;$/, "");
    const statements = migrationSql(mig).split("--> statement-breakpoint").map(norm).filter(Boolean).sort();
    const applied = m!.queries.map(norm).filter(Boolean).sort();
    // Compared as a whole but reported briefly: the statements are long.
    expect(applied.length).toBe(statements.length);
    expect(applied.every((q, i) => q === statements[i]), `migrations/${name}.sql is out of date: run \`npx node scripts/templates-sql.ts\``).toBe(true);
    // INSERT OR IGNORE, or an upgrade of a row still exactly as first seeded: an admin's edits are never overwritten.
    for (const s of statements) expect(s).toMatch(mig.ids ? /^INSERT OR IGNORE INTO/ : /WHERE id = '[a-z0-9_]+' AND version = 1 AND graph_json = '.*' AND inputs_json = '.*'$/s);
  });

  it("upgrades a first-seeded Flux to the diffusion-model loaders, and leaves an admin's edited one alone", async () => {
    const migration = (prefix: string) => env.TEST_MIGRATIONS.find((x) => x.name.startsWith(prefix))!.queries;
    const run = async (queries: string[]) => {
      for (const q of queries) await env.DB.prepare(q).run();
    };
    const flux = TEMPLATES.find((t) => t.id === "flux")!;
    // This install ran 0004 then 0009: Flux is the current template.
    expect((await call("GET", "/workflows/flux")).json.graph).toEqual(flux.graph);
    // An install that has only 0004's Flux: the all-in-one checkpoint, version 1 …
    await env.DB.batch([env.DB.prepare("DELETE FROM workflow_versions WHERE workflow_id = 'flux'"), env.DB.prepare("DELETE FROM workflows WHERE id = 'flux'")]);
    await run(migration("0004_"));
    const seeded = (await call("GET", "/workflows/flux")).json;
    expect(seeded).toMatchObject({ version: 1 });
    expect(seeded.graph["4"]).toEqual({ class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "flux1-dev.safetensors" } });
    // … is moved by 0009 to the separate loaders, as version 2, with version 1 kept for pinned jobs.
    await run(migration("0009_"));
    const upgraded = (await call("GET", "/workflows/flux")).json;
    expect(upgraded).toMatchObject({ version: 2, name: flux.name });
    expect(upgraded.graph).toEqual(flux.graph);
    expect(upgraded.graph["10"]).toEqual({ class_type: "UNETLoader", inputs: { unet_name: "flux1-dev.safetensors", weight_dtype: "default" } });
    expect((await env.DB.prepare("SELECT count(*) AS n FROM workflow_versions WHERE workflow_id = 'flux'").first<{ n: number }>())!.n).toBe(2);
    // An admin's own Flux is never touched by the upgrade, even when it is run again.
    const edited = await call("PUT", "/workflows/flux", { id: "flux", name: "my flux", graph: seeded.graph, inputs: seeded.inputs });
    expect(edited.status).toBe(200);
    await run(migration("0009_"));
    expect((await call("GET", "/workflows/flux")).json).toMatchObject({ name: "my flux", version: edited.json.version, graph: seeded.graph });
    // Leave the built-in as a fresh install has it, for the tests after this one.
    await call("PUT", "/workflows/flux", { id: "flux", name: flux.name, description: flux.description, graph: flux.graph, inputs: flux.inputs });
  });

  it("lets an admin edit a built-in, which makes a new version", async () => {
    const before = (await call("GET", "/workflows/sd15")).json;
    const t = TEMPLATES.find((x) => x.id === "sd15")!;
    const r = await call("PUT", "/workflows/sd15", { id: "sd15", name: t.name, description: "edited by an admin", graph: t.graph, inputs: t.inputs });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: "sd15", version: before.version + 1, description: "edited by an admin", builtin: true });
  });
});

describe("POST /jobs with a stored workflow's inputs", () => {
  it("fills the graph from the declared inputs and records the version", async () => {
    const r = await call("POST", "/jobs", { workflowId: "sdxl", inputs: { prompt: "a lighthouse", width: 832, seed: 7, sampler_name: "euler" } });
    expect(r.status, r.text).toBe(202);
    expect(r.json).toMatchObject({ workflowId: "sdxl", workflowVersion: expect.any(Number) });
    const graph = JSON.parse((await jobRow(r.json.id))!.graph_json);
    expect(graph["6"].inputs.text).toBe("a lighthouse");
    expect(graph["5"].inputs).toEqual({ width: 832, height: 1024, batch_size: 1 });
    expect(graph["3"].inputs).toMatchObject({ seed: 7, sampler_name: "euler", scheduler: "karras", steps: 25 });
    await call("POST", `/jobs/${r.json.id}/cancel`);
  });

  it.each([
    { inputs: { prompt: "x", width: 4096 }, path: "inputs.width", message: "width must be at most 2048 (MAX_IMAGE_SIZE)" },
    { inputs: { prompt: "x", batch_size: 9 }, path: "inputs.batch_size", message: "batch_size must be at most 8 (MAX_BATCH_SIZE)" },
    { inputs: { prompt: "x", width: 1001 }, path: "inputs.width", message: "width must be 64 plus a multiple of 8" },
    { inputs: { prompt: "x", steps: 0 }, path: "inputs.steps", message: "steps must be at least 1" },
    { inputs: { prompt: "x", scheduler: "weird" }, path: "inputs.scheduler", message: "scheduler must be one of: normal, karras, exponential, sgm_uniform, simple, ddim_uniform, beta" },
    { inputs: { prompt: "x", seed: 1.5 }, path: "inputs.seed", message: "seed must be an integer" },
    { inputs: { prompt: "x", style: "noir" }, path: "inputs.style", message: expect.stringContaining('unknown input "style"') },
    { inputs: {}, path: "inputs.prompt", message: "prompt is required" },
  ])("answers 400 naming $path: $message", async ({ inputs, path, message }) => {
    const r = await call("POST", "/jobs", { workflowId: "sdxl", inputs });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", details: { issues: [{ path, message }] } });
    expect(r.json.message).toContain(path);
  });

  it.each([
    { body: { workflow: tinyGraph(), version: 1 }, path: "version", message: "version goes with workflowId" },
    { body: { workflowId: "sdxl", version: 999, inputs: { prompt: "x" } }, path: "version", message: "unknown version" },
    { body: { workflowId: "no-such-workflow" }, path: "workflowId", message: "unknown workflow" },
  ])("refuses $body naming $path", async ({ body, path, message }) => {
    const r = await call("POST", "/jobs", body);
    expect(r.status).toBe(400);
    expect(r.json.details.issues).toEqual([expect.objectContaining({ path, message })]);
  });
});

describe("workflow versions", () => {
  const id = `pinned-${crypto.randomUUID().slice(0, 8)}`;
  const v1 = { id, name: "v1", graph: tinyGraph(0x111111), inputs: { colour: { type: "int", target: "1.inputs.color", default: 1 } } };
  const v2 = { id, name: "v2", graph: { ...tinyGraph(0x222222), "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "v2" } } }, inputs: { colour: { type: "int", target: "1.inputs.color", default: 2, max: 100 } } };

  it("never changes what a past job ran, and a job can pin an old version", async () => {
    expect((await call("PUT", `/workflows/${id}`, v1)).status).toBe(201);
    const old = await call("POST", "/jobs", { workflowId: id, inputs: { colour: 500 } });
    expect(old.status, old.text).toBe(202);
    const before = await jobRow(old.json.id);

    expect((await call("PUT", `/workflows/${id}`, v2)).status).toBe(200);
    const after = await jobRow(old.json.id);
    expect(after).toEqual(before);
    expect(after).toMatchObject({ workflow_id: id, workflow_version: 1 });
    expect(JSON.parse(after!.graph_json)["2"].inputs.filename_prefix).toBe("gw");
    expect((await call("GET", `/jobs/${old.json.id}`)).json).toMatchObject({ workflowId: id, workflowVersion: 1 });

    // The latest version by default, with its own schema (max 100 now).
    expect((await call("POST", "/jobs", { workflowId: id, inputs: { colour: 500 } })).json.details.issues[0].message).toBe("colour must be at most 100");
    const latest = await call("POST", "/jobs", { workflowId: id });
    expect(latest.json.workflowVersion).toBe(2);
    expect(JSON.parse((await jobRow(latest.json.id))!.graph_json)["2"].inputs.filename_prefix).toBe("v2");

    // Pinned: version 1's graph and version 1's schema.
    const pinned = await call("POST", "/jobs", { workflowId: id, version: 1, inputs: { colour: 500 } });
    expect(pinned.status, pinned.text).toBe(202);
    expect(pinned.json.workflowVersion).toBe(1);
    const g = JSON.parse((await jobRow(pinned.json.id))!.graph_json);
    expect(g["2"].inputs.filename_prefix).toBe("gw");
    expect(g["1"].inputs.color).toBe(500);
    for (const j of [old, latest, pinned]) await call("POST", `/jobs/${j.json.id}/cancel`);
  });

  it.each([
    { inputs: { x: { type: "int", target: "1.inputs.color", enum: [1, 2], default: 3 } }, path: "inputs.x.default" },
    { inputs: { x: { type: "image", target: "1.inputs.color", default: "a.png" } }, path: "inputs.x.default" },
    { inputs: { x: { type: "colour", target: "1.inputs.color" } }, path: "inputs.x.type" },
    { inputs: { x: { type: "int", target: "1.inputs.color", max: "MAX_FOO" } }, path: "inputs.x.max" },
  ])("refuses a schema with a bad $path", async ({ inputs, path }) => {
    const r = await call("PUT", `/workflows/${id}-bad`, { id: `${id}-bad`, name: "bad", graph: tinyGraph(), inputs });
    expect(r.status).toBe(400);
    expect(r.json.details.issues.map((i: { path: string }) => i.path)).toContain(path);
  });
});

describe("API docs and capabilities", () => {
  it("puts each stored workflow's inputs into /openapi.json", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    const sdxl = doc.components.schemas.Workflow_sdxl_Inputs;
    expect(sdxl).toMatchObject({ type: "object", additionalProperties: false, required: ["prompt"] });
    expect(sdxl.properties.width).toMatchObject({ type: "integer", minimum: 64, maximum: 2048, default: 1024 });
    expect(sdxl.properties.batch_size).toMatchObject({ maximum: 8 });
    expect(sdxl.properties.sampler_name.enum).toContain("dpmpp_2m");
    expect(doc.components.schemas.Workflow_flux_Inputs.properties.cfg.default).toBe(1);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/capabilities", "/uploads"]));
    expect(doc.paths["/jobs/{id}"].delete).toBeDefined();
  });

  it("lists workflows, limits, output kinds and input sources", async () => {
    const r = await call("GET", "/capabilities");
    expect(r.status).toBe(200);
    expect(r.json.workflows.map((w: { id: string }) => w.id)).toEqual(expect.arrayContaining(["sd15", "sdxl", "flux"]));
    expect(r.json.workflows.find((w: { id: string }) => w.id === "sdxl").inputs.prompt).toMatchObject({ type: "string", required: true });
    expect(r.json.limits).toMatchObject({ MAX_IMAGE_SIZE: 2048, MAX_BATCH_SIZE: 8, COMFYUI_TIMEOUT_MS: 600000, INPUT_MAX_BYTES: 20971520, OUTPUT_RETENTION_DAYS: 30 });
    expect(r.json.outputKinds).toEqual(["image", "video", "audio", "3d", "text", "file"]);
    expect(r.json.inputs.sources).toEqual(["base64", "data-uri", "url", "upload"]);
    expect(r.json.models).toBeTypeOf("object");
  });
});
