/**
 * Built-in workflows, as Comfy Router ships them: SD 1.5, SDXL and Flux text-to-image and SD 1.5
 * image-to-image. Migrations seed them (INSERT OR IGNORE, so an admin's edits survive), made from
 * this file by `npx node scripts/templates-sql.ts`; test/integration/workflows.test.ts keeps them equal.
 * MIGRATIONS says which migration seeds which: one already applied is never edited, so a template
 * added later goes into a new migration.
 */
type Input = Record<string, unknown>;
export type Template = { id: string; name: string; description: string; graph: Record<string, { class_type: string; inputs: Record<string, unknown> }>; inputs: Record<string, Input> };

export const SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpm_2_ancestral", "lms", "dpmpp_2s_ancestral", "dpmpp_sde", "dpmpp_2m", "dpmpp_2m_sde", "ddim", "uni_pc"];
export const SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta"];

type Sampling = { id: string; name: string; description: string; ckpt: string; steps: number; cfg: number; sampler: string; scheduler: string };

/**
 * What every built-in shares: checkpoint (4), prompts (6, 7), KSampler (3) on the given latent,
 * VAEDecode (8), SaveImage (9). Node ids are numeric, so the graph's key order does not depend on
 * how it is assembled, and the seeded migrations stay byte for byte what this file makes.
 */
function samplingGraph(o: Sampling, latent: [string, number], denoise: number): Template["graph"] {
  return {
    "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: o.ckpt } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["4", 1] } },
    "7": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["4", 1] } },
    "3": {
      class_type: "KSampler",
      inputs: { seed: 0, steps: o.steps, cfg: o.cfg, sampler_name: o.sampler, scheduler: o.scheduler, denoise, model: ["4", 0], positive: ["6", 0], negative: ["7", 0], latent_image: latent },
    },
    "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
    "9": { class_type: "SaveImage", inputs: { filename_prefix: o.id, images: ["8", 0] } },
  };
}

const promptInputs = (): Record<string, Input> => ({
  prompt: { type: "string", target: "6.inputs.text", required: true, maxLength: 10000, description: "What to draw" },
  negative_prompt: { type: "string", target: "7.inputs.text", required: false, default: "", maxLength: 10000, description: "What to keep out of the image" },
});

const samplerInputs = (o: Sampling): Record<string, Input> => ({
  seed: { type: "int", target: "3.inputs.seed", required: false, default: 0, min: 0, max: Number.MAX_SAFE_INTEGER },
  steps: { type: "int", target: "3.inputs.steps", required: false, default: o.steps, min: 1, max: 150 },
  cfg: { type: "float", target: "3.inputs.cfg", required: false, default: o.cfg, min: 0, max: 30 },
  sampler_name: { type: "string", target: "3.inputs.sampler_name", required: false, default: o.sampler, enum: SAMPLERS },
  scheduler: { type: "string", target: "3.inputs.scheduler", required: false, default: o.scheduler, enum: SCHEDULERS },
  checkpoint: { type: "string", target: "4.inputs.ckpt_name", required: false, default: o.ckpt, maxLength: 255, description: "A checkpoint file on the host (GET /capabilities lists them)" },
});

function txt2img(o: Sampling & { size: number }): Template {
  return {
    id: o.id,
    name: o.name,
    description: o.description,
    graph: {
      ...samplingGraph(o, ["5", 0], 1),
      "5": { class_type: "EmptyLatentImage", inputs: { width: o.size, height: o.size, batch_size: 1 } },
    },
    inputs: {
      ...promptInputs(),
      width: { type: "int", target: "5.inputs.width", required: false, default: o.size, min: 64, max: "MAX_IMAGE_SIZE", step: 8 },
      height: { type: "int", target: "5.inputs.height", required: false, default: o.size, min: 64, max: "MAX_IMAGE_SIZE", step: 8 },
      batch_size: { type: "int", target: "5.inputs.batch_size", required: false, default: 1, min: 1, max: "MAX_BATCH_SIZE" },
      ...samplerInputs(o),
    },
  };
}

/** SD 1.5 image-to-image: the job's image is encoded (VAEEncode) and re-noised by `denoise`. */
function img2img(o: Sampling & { denoise: number }): Template {
  return {
    id: o.id,
    name: o.name,
    description: o.description,
    graph: {
      ...samplingGraph(o, ["11", 0], o.denoise),
      "10": { class_type: "LoadImage", inputs: { image: "input.png" } },
      "11": { class_type: "VAEEncode", inputs: { pixels: ["10", 0], vae: ["4", 2] } },
    },
    inputs: {
      ...promptInputs(),
      image: { type: "image", target: "10.inputs.image", required: true, description: "The image to start from; the output has its size" },
      denoise: { type: "float", target: "3.inputs.denoise", required: false, default: o.denoise, min: 0, max: 1, description: "How much to change the image: 0 keeps it, 1 ignores it" },
      ...samplerInputs(o),
    },
  };
}

/**
 * Flux as it is distributed: the diffusion model, its two text encoders (T5-XXL and CLIP-L) and its
 * VAE are separate files, loaded by UNETLoader, DualCLIPLoader and VAELoader; guidance is
 * FluxGuidance (cfg stays 1, so the negative prompt has no effect), the latent is SD3's 16-channel one.
 */
function fluxTxt2img(): Template {
  const o: Sampling = { id: "flux", name: "Flux.1 dev text-to-image", description: "", ckpt: "", steps: 20, cfg: 1, sampler: "euler", scheduler: "simple" };
  const sampler = samplerInputs(o);
  delete sampler.checkpoint;
  return {
    id: "flux",
    name: o.name,
    description: "Flux.1 dev as distributed: diffusion model, T5-XXL + CLIP-L text encoders and its VAE as separate files; 1024×1024 by default, guidance 3.5",
    graph: {
      "10": { class_type: "UNETLoader", inputs: { unet_name: "flux1-dev.safetensors", weight_dtype: "default" } },
      "11": { class_type: "DualCLIPLoader", inputs: { clip_name1: "t5xxl_fp16.safetensors", clip_name2: "clip_l.safetensors", type: "flux" } },
      "12": { class_type: "VAELoader", inputs: { vae_name: "ae.safetensors" } },
      "6": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["11", 0] } },
      "7": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["11", 0] } },
      "13": { class_type: "FluxGuidance", inputs: { conditioning: ["6", 0], guidance: 3.5 } },
      "5": { class_type: "EmptySD3LatentImage", inputs: { width: 1024, height: 1024, batch_size: 1 } },
      "3": {
        class_type: "KSampler",
        inputs: { seed: 0, steps: o.steps, cfg: o.cfg, sampler_name: o.sampler, scheduler: o.scheduler, denoise: 1, model: ["10", 0], positive: ["13", 0], negative: ["7", 0], latent_image: ["5", 0] },
      },
      "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["12", 0] } },
      "9": { class_type: "SaveImage", inputs: { filename_prefix: o.id, images: ["8", 0] } },
    },
    inputs: {
      ...promptInputs(),
      width: { type: "int", target: "5.inputs.width", required: false, default: 1024, min: 64, max: "MAX_IMAGE_SIZE", step: 16 },
      height: { type: "int", target: "5.inputs.height", required: false, default: 1024, min: 64, max: "MAX_IMAGE_SIZE", step: 16 },
      batch_size: { type: "int", target: "5.inputs.batch_size", required: false, default: 1, min: 1, max: "MAX_BATCH_SIZE" },
      guidance: { type: "float", target: "13.inputs.guidance", required: false, default: 3.5, min: 0, max: 100, description: "How closely to follow the prompt (Flux's distilled guidance)" },
      ...sampler,
      diffusion_model: { type: "string", target: "10.inputs.unet_name", required: false, default: "flux1-dev.safetensors", maxLength: 255, description: "A diffusion model file on the host (GET /capabilities lists them)" },
      t5_encoder: { type: "string", target: "11.inputs.clip_name1", required: false, default: "t5xxl_fp16.safetensors", maxLength: 255, description: "The T5-XXL text encoder file" },
      clip_encoder: { type: "string", target: "11.inputs.clip_name2", required: false, default: "clip_l.safetensors", maxLength: 255, description: "The CLIP-L text encoder file" },
      vae: { type: "string", target: "12.inputs.vae_name", required: false, default: "ae.safetensors", maxLength: 255, description: "The Flux VAE file" },
    },
  };
}

export const TEMPLATES: Template[] = [
  txt2img({ id: "sd15", name: "Stable Diffusion 1.5 text-to-image", description: "SD 1.5 checkpoint, 512×512 by default", ckpt: "sd15.safetensors", size: 512, steps: 20, cfg: 7, sampler: "euler", scheduler: "normal" }),
  txt2img({ id: "sdxl", name: "SDXL text-to-image", description: "SDXL base checkpoint, 1024×1024 by default", ckpt: "sdxl_base.safetensors", size: 1024, steps: 25, cfg: 7, sampler: "dpmpp_2m", scheduler: "karras" }),
  fluxTxt2img(),
  img2img({ id: "sd15_img2img", name: "Stable Diffusion 1.5 image-to-image", description: "SD 1.5 checkpoint; the output has the input image's size; denoise 0.75 by default", ckpt: "sd15.safetensors", steps: 20, cfg: 7, sampler: "euler", scheduler: "normal", denoise: 0.75 }),
];

export const TEMPLATE_IDS: ReadonlySet<string> = new Set(TEMPLATES.map((t) => t.id));

/**
 * Templates as a migration already applied seeded them, where the template changed since: that
 * migration's SQL is never edited, so it is made from this. 0004 seeded Flux as an all-in-one
 * checkpoint, which only fits repackaged files.
 */
const FIRST_SEEDED: Record<string, Template> = {
  flux: txt2img({ id: "flux", name: "Flux.1 dev text-to-image", description: "Flux.1 dev all-in-one checkpoint, 1024×1024 by default, cfg 1", ckpt: "flux1-dev.safetensors", size: 1024, steps: 20, cfg: 1, sampler: "euler", scheduler: "simple" }),
};

/**
 * Which migration seeds which templates (every template in exactly one), and which later ones move
 * an install still on the first seed of a template to its current form (a new version).
 */
export const MIGRATIONS: ({ name: string; ids: string[]; upgrade?: never } | { name: string; upgrade: string[]; ids?: never })[] = [
  { name: "0004_builtin_workflows", ids: ["sd15", "sdxl", "flux"] },
  { name: "0005_builtin_img2img", ids: ["sd15_img2img"] },
  { name: "0009_builtin_flux_loaders", upgrade: ["flux"] },
];

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
const template = (id: string) => {
  const t = TEMPLATES.find((x) => x.id === id);
  if (!t) throw new Error(`no template "${id}"`);
  return t;
};

/** A migration's SQL. */
export function migrationSql(m: (typeof MIGRATIONS)[number]): string {
  return m.ids ? templatesSql(m.ids) : upgradeSql(m.upgrade!);
}

/**
 * The upgrade of each of `ids` from its first seed to its current form, as a new version. Only a row
 * still exactly as seeded is touched: an admin's edit is never overwritten.
 */
export function upgradeSql(ids: string[], atMs = 0): string {
  const lines = ["-- Built-in workflows moved to their current form (src/workflows/templates.ts; regenerate with `node scripts/templates-sql.ts`)."];
  for (const id of ids) {
    const from = FIRST_SEEDED[id];
    if (!from) throw new Error(`template "${id}" has no first seed to upgrade from`);
    const to = template(id);
    const asSeeded = `id = ${q(id)} AND version = 1 AND graph_json = ${q(JSON.stringify(from.graph))} AND inputs_json = ${q(JSON.stringify(from.inputs))}`;
    lines.push(
      `INSERT OR IGNORE INTO \`workflow_versions\` (\`workflow_id\`, \`version\`, \`graph_json\`, \`inputs_json\`, \`created_at_ms\`) SELECT id, 2, ${q(JSON.stringify(to.graph))}, ${q(JSON.stringify(to.inputs))}, ${atMs} FROM \`workflows\` WHERE ${asSeeded};`,
      "--> statement-breakpoint",
      `UPDATE \`workflows\` SET \`name\` = ${q(to.name)}, \`description\` = ${q(to.description)}, \`version\` = 2, \`graph_json\` = ${q(JSON.stringify(to.graph))}, \`inputs_json\` = ${q(JSON.stringify(to.inputs))}, \`updated_at_ms\` = ${atMs} WHERE ${asSeeded};`,
      "--> statement-breakpoint",
    );
  }
  return lines.slice(0, -1).join("\n") + "\n";
}

/** The seeding SQL of one migration: version 1 of each of `ids`, never overwriting an existing row. */
export function templatesSql(ids: string[], createdAtMs = 0): string {
  const lines = ["-- Built-in workflows (src/workflows/templates.ts; regenerate with `node scripts/templates-sql.ts`)."];
  for (const id of ids) {
    const t = FIRST_SEEDED[id] ?? template(id);
    const graph = q(JSON.stringify(t.graph));
    const inputs = q(JSON.stringify(t.inputs));
    lines.push(
      `INSERT OR IGNORE INTO \`workflows\` (\`id\`, \`name\`, \`description\`, \`version\`, \`graph_json\`, \`inputs_json\`, \`created_at_ms\`, \`updated_at_ms\`) VALUES (${q(t.id)}, ${q(t.name)}, ${q(t.description)}, 1, ${graph}, ${inputs}, ${createdAtMs}, ${createdAtMs});`,
      "--> statement-breakpoint",
      `INSERT OR IGNORE INTO \`workflow_versions\` (\`workflow_id\`, \`version\`, \`graph_json\`, \`inputs_json\`, \`created_at_ms\`) VALUES (${q(t.id)}, 1, ${graph}, ${inputs}, ${createdAtMs});`,
      "--> statement-breakpoint",
    );
  }
  return lines.slice(0, -1).join("\n") + "\n";
}
