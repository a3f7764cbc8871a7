// The node classes the fake knows: enough core nodes for txt2img/img2img-shaped gateway tests,
// the transcripts' HarnessSteps, and FakeOutput for every output kind and large files.
// Input specs mirror ComfyUI 0.3.64 `INPUT_TYPES` because they leak into 400 bodies
// (`input_config`) and /object_info.
import fs from "node:fs";
import path from "node:path";
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { PyFloat, dumps, od, pyTypeName } from "./json.ts";
import type { PyDict, PyValue } from "./json.ts";
import { writePngFile, readPngSize, fitSize } from "./png.ts";
import { PyError } from "./files.ts";
import type { Storage } from "./files.ts";
import type { FakeConfig } from "./config.ts";

export interface InputSpec {
  type: string | string[];
  /** null → spec is `["IMAGE"]` (no options), config then reads `{}`. */
  opts: Record<string, PyValue> | null;
}

export interface Env {
  storage: Storage;
  config: FakeConfig;
}

/** Values flowing along links. `repr` is what `str(x)` would give in `current_inputs`. */
export interface Obj {
  t: string;
  repr: string;
  width?: number;
  height?: number;
  batch?: number;
  rgb?: number;
  name?: string;
  text?: string;
}

export interface RunCtx {
  env: Env;
  promptId: string;
  nodeId: string;
  prompt: PyDict;
  extraData: PyDict;
  /** One progress step: waits, observes interrupts, then emits progress_state/progress/previews. */
  step(value: number, max: number, waitMs: number): Promise<void>;
  sleep(ms: number): Promise<void>;
}

export interface RunResult {
  outputs: unknown[];
  ui?: PyDict;
}

export interface NodeClass {
  name: string;
  displayName: string;
  description: string;
  category: string;
  pythonModule: string;
  outputNode: boolean;
  inputs(env: Env): { required: [string, InputSpec][]; optional?: [string, InputSpec][]; hidden?: [string, string][] };
  returnTypes: string[];
  returnNames?: string[];
  outputTooltips?: string[];
  /** Where injected OOM/hang faults strike first (the expensive node of a real graph). */
  heavy?: boolean;
  /** Inputs handed to VALIDATE_INPUTS; these skip the generic combo/min/max checks. */
  validateInputs?: string[];
  validate?(vals: Record<string, PyValue>, env: Env): true | string;
  /** Extra cache-key material (IS_CHANGED), e.g. the input file's hash. */
  isChanged?(inputs: Record<string, unknown>, env: Env): string;
  /** Python function name, for tracebacks. */
  fn: string;
  run(ctx: RunCtx, inp: Record<string, unknown>): Promise<RunResult>;
}

const spec = (type: string | string[], opts: Record<string, PyValue> | null = null): InputSpec => ({ type, opts });
const f = (x: number) => new PyFloat(x);
const hex = () => "0x7f" + Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0") + "0";

export const SAMPLERS = ["euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde", "dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm", "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp", "res_multistep_ancestral", "res_multistep_ancestral_cfg_pp", "gradient_estimation", "gradient_estimation_cfg_pp", "er_sde", "seeds_2", "seeds_3", "sa_solver", "sa_solver_pece", "ddim", "uni_pc", "uni_pc_bh2"];
export const SCHEDULERS = ["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic", "kl_optimal"];

const SAVE_TOOLTIP =
  "The prefix for the file to save. This may include formatting information such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes.";

function need(v: unknown, t: string): Obj {
  if (v && typeof v === "object" && (v as Obj).t === t) return v as Obj;
  if (v && typeof v === "object" && "t" in (v as object)) return v as Obj;
  throw new PyError("AttributeError", `'${pyTypeName(v)}' object has no attribute 'shape'`);
}

const imageObj = (width: number, height: number, batch: number, rgb: number): Obj => ({
  t: "IMAGE",
  width,
  height,
  batch,
  rgb,
  repr: `tensor([[[[${((rgb >> 16) & 0xff) / 255}, ${((rgb >> 8) & 0xff) / 255}, ${(rgb & 0xff) / 255}]]]])`,
});

function hashColour(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 8) & 0xffffff;
}

function pngTexts(ctx: RunCtx): [string, string][] {
  if (ctx.env.config.disableMetadata) return [];
  const texts: [string, string][] = [["prompt", dumps(ctx.prompt)]];
  const pnginfo = ctx.extraData.get("extra_pnginfo");
  if (pnginfo instanceof Map) for (const [k, v] of pnginfo) texts.push([k, dumps(v)]);
  return texts;
}

async function saveImages(ctx: RunCtx, img: Obj, prefix: string, type: "output" | "temp"): Promise<PyDict[]> {
  const { width = 64, height = 64, batch = 1, rgb = 0 } = img;
  const p = ctx.env.storage.saveImagePath(prefix, type, width, height);
  const results: PyDict[] = [];
  let counter = p.counter;
  for (let b = 0; b < batch; b++) {
    const file = `${p.filename.replaceAll("%batch_num%", String(b))}_${String(counter).padStart(5, "0")}_.png`;
    await writePngFile(path.join(p.folder, file), { width, height, rgb, texts: pngTexts(ctx) });
    results.push(od(["filename", file], ["subfolder", p.subfolder], ["type", type]));
    counter++;
  }
  return results;
}

/** Streams `bytes` bytes (header + zeros) so 50 MB+ outputs never sit in memory. */
async function writeBlob(file: string, header: Buffer, bytes: number): Promise<void> {
  const ws = createWriteStream(file);
  const write = async (b: Buffer) => {
    if (!ws.write(b)) await once(ws, "drain");
  };
  const total = Math.max(bytes, header.length);
  await write(header.subarray(0, total));
  // Every aligned 4-byte word past the header holds its own offset (little endian): a copy that
  // moves, drops or repeats a block does not hash the same.
  for (let pos = header.length; pos < total; ) {
    const len = Math.min(total - pos, 1 << 20);
    const from = pos - (pos % 4);
    const words = new Uint32Array(Math.ceil((pos + len - from) / 4));
    for (let i = 0; i < words.length; i++) words[i] = (from + i * 4) >>> 0;
    await write(Buffer.from(words.buffer, pos - from, len));
    pos += len;
  }
  ws.end();
  await once(ws, "finish");
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

function mp4Header(total: number): Buffer {
  const ftyp = Buffer.concat([u32(24), Buffer.from("ftypisom"), u32(0x200), Buffer.from("isomiso2")]);
  const mdatSize = Math.max(8, Math.min(total - 24, 0xffffffff));
  return Buffer.concat([ftyp, u32(mdatSize), Buffer.from("mdat")]);
}

const EMPTY_IMAGE_TB = [
  "  File \"/srv/comfyui/execution.py\", line 496, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, hidden_inputs=hidden_inputs)\n                                                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n",
  "  File \"/srv/comfyui/execution.py\", line 315, in get_output_data\n    return_values = await _async_map_node_over_list(prompt_id, unique_id, obj, input_data_all, obj.FUNCTION, allow_interrupt=True, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, hidden_inputs=hidden_inputs)\n                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n",
  "  File \"/srv/comfyui/execution.py\", line 289, in _async_map_node_over_list\n    await process_inputs(input_dict, i)\n",
  "  File \"/srv/comfyui/execution.py\", line 277, in process_inputs\n    result = f(**inputs)\n             ^^^^^^^^^^^\n",
];

/** Traceback frames of an exception raised inside a node's FUNCTION. */
export function nodeTraceback(cls: NodeClass, extra?: string[]): string[] {
  return [
    ...EMPTY_IMAGE_TB,
    ...(extra ?? [`  File "/srv/comfyui/${cls.pythonModule.replaceAll(".", "/")}.py", line 1, in ${cls.fn}\n    ...\n`]),
  ];
}

export class NodeError extends PyError {
  readonly traceback: string[] | null;
  constructor(pyType: string, message: string, traceback: string[] | null = null) {
    super(pyType, message);
    this.traceback = traceback;
  }
}

const NODES: NodeClass[] = [
  {
    name: "EmptyImage",
    displayName: "EmptyImage",
    description: "",
    category: "image",
    pythonModule: "nodes",
    outputNode: false,
    fn: "generate",
    inputs: () => ({
      required: [
        ["width", spec("INT", { default: 512, min: 1, max: 16384, step: 1 })],
        ["height", spec("INT", { default: 512, min: 1, max: 16384, step: 1 })],
        ["batch_size", spec("INT", { default: 1, min: 1, max: 4096 })],
        ["color", spec("INT", { default: 0, min: 0, max: 16777215, step: 1, display: "color" })],
      ],
    }),
    returnTypes: ["IMAGE"],
    async run(ctx, i) {
      const w = Number(i.width), h = Number(i.height), b = Number(i.batch_size);
      const bytes = b * h * w * 4;
      if (bytes > ctx.env.config.ramTotal) {
        throw new NodeError(
          "RuntimeError",
          `[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate ${bytes} bytes. Error code 12 (Cannot allocate memory)`,
          [
            ...EMPTY_IMAGE_TB,
            "  File \"/srv/comfyui/nodes.py\", line 1877, in generate\n    r = torch.full([batch_size, height, width, 1], ((color >> 16) & 0xFF) / 0xFF)\n        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n",
          ],
        );
      }
      return { outputs: [imageObj(w, h, b, Number(i.color) & 0xffffff)] };
    },
  },
  {
    name: "LoadImage",
    displayName: "Load Image",
    description: "",
    category: "image",
    pythonModule: "nodes",
    outputNode: false,
    fn: "load_image",
    inputs: (env) => ({ required: [["image", spec(env.storage.listInputImages(), { image_upload: true })]] }),
    returnTypes: ["IMAGE", "MASK"],
    validateInputs: ["image"],
    validate(v, env) {
      const name = v.image;
      if (typeof name !== "string" || !env.storage.inputExists(name)) return `Invalid image file: ${typeof name === "string" ? name : dumps(name)}`;
      return true;
    },
    isChanged(i, env) {
      try {
        return fs.statSync(env.storage.inputPath(String(i.image))).mtimeMs.toString();
      } catch {
        return "";
      }
    },
    async run(ctx, i) {
      const file = ctx.env.storage.inputPath(String(i.image));
      let size = { width: 64, height: 64 };
      try {
        const fd = fs.openSync(file, "r");
        const head = Buffer.alloc(24);
        fs.readSync(fd, head, 0, 24, 0);
        fs.closeSync(fd);
        size = readPngSize(head) ?? size;
      } catch {
        throw new NodeError("FileNotFoundError", `[Errno 2] No such file or directory: '${file}'`);
      }
      return {
        outputs: [imageObj(size.width, size.height, 1, 0x808080), { t: "MASK", width: size.width, height: size.height, repr: "tensor([[[0.]]])" }],
      };
    },
  },
  {
    name: "CheckpointLoaderSimple",
    displayName: "Load Checkpoint",
    description: "Loads a diffusion model checkpoint, diffusion models are used to denoise latents.",
    category: "loaders",
    pythonModule: "nodes",
    outputNode: false,
    fn: "load_checkpoint",
    inputs: (env) => ({
      required: [["ckpt_name", spec([...(env.config.models.checkpoints ?? [])], { tooltip: "The name of the checkpoint (model) to load." })]],
    }),
    returnTypes: ["MODEL", "CLIP", "VAE"],
    outputTooltips: [
      "The model used for denoising latents.",
      "The CLIP model used for encoding text prompts.",
      "The VAE model used for decoding images to and from latent space.",
    ],
    async run(_ctx, i) {
      const name = String(i.ckpt_name);
      return {
        outputs: [
          { t: "MODEL", name, repr: `<comfy.model_patcher.ModelPatcher object at ${hex()}>` },
          { t: "CLIP", name, repr: `<comfy.sd.CLIP object at ${hex()}>` },
          { t: "VAE", name, repr: `<comfy.sd.VAE object at ${hex()}>` },
        ],
      };
    },
  },
  // Flux as it is distributed: a diffusion model, its two text encoders and its VAE, loaded apart
  // (nodes.py UNETLoader / DualCLIPLoader / VAELoader; comfy_extras FluxGuidance, EmptySD3LatentImage).
  {
    name: "UNETLoader",
    displayName: "Load Diffusion Model",
    description: "",
    category: "advanced/loaders",
    pythonModule: "nodes",
    outputNode: false,
    fn: "load_unet",
    inputs: (env) => ({
      required: [
        ["unet_name", spec([...(env.config.models.diffusion_models ?? [])])],
        ["weight_dtype", spec(["default", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2"])],
      ],
    }),
    returnTypes: ["MODEL"],
    async run(_ctx, i) {
      return { outputs: [{ t: "MODEL", name: String(i.unet_name), repr: `<comfy.model_patcher.ModelPatcher object at ${hex()}>` }] };
    },
  },
  {
    name: "DualCLIPLoader",
    displayName: "DualCLIPLoader",
    description: "[Recipes]\n\nsdxl: clip-l, clip-g\nsd3: clip-l, clip-g / clip-l, t5 / clip-g, t5\nflux: clip-l, t5\nhidream: at least one of t5 or llama, recommended t5 and llama",
    category: "advanced/loaders",
    pythonModule: "nodes",
    outputNode: false,
    fn: "load_clip",
    inputs: (env) => ({
      required: [
        ["clip_name1", spec([...(env.config.models.text_encoders ?? [])])],
        ["clip_name2", spec([...(env.config.models.text_encoders ?? [])])],
        ["type", spec(["sdxl", "sd3", "flux", "hunyuan_video", "hidream"])],
      ],
      optional: [["device", spec(["default", "cpu"], { advanced: true })]],
    }),
    returnTypes: ["CLIP"],
    async run(_ctx, i) {
      return { outputs: [{ t: "CLIP", name: `${i.clip_name1}+${i.clip_name2}`, repr: `<comfy.sd.CLIP object at ${hex()}>` }] };
    },
  },
  {
    name: "VAELoader",
    displayName: "Load VAE",
    description: "",
    category: "loaders",
    pythonModule: "nodes",
    outputNode: false,
    fn: "load_vae",
    inputs: (env) => ({ required: [["vae_name", spec([...(env.config.models.vae ?? [])])]] }),
    returnTypes: ["VAE"],
    async run(_ctx, i) {
      return { outputs: [{ t: "VAE", name: String(i.vae_name), repr: `<comfy.sd.VAE object at ${hex()}>` }] };
    },
  },
  {
    name: "FluxGuidance",
    displayName: "FluxGuidance",
    description: "",
    category: "advanced/conditioning/flux",
    pythonModule: "comfy_extras.nodes_flux",
    outputNode: false,
    fn: "append",
    inputs: () => ({
      required: [
        ["conditioning", spec("CONDITIONING")],
        ["guidance", spec("FLOAT", { default: f(3.5), min: f(0.0), max: f(100.0), step: f(0.1) })],
      ],
    }),
    returnTypes: ["CONDITIONING"],
    async run(_ctx, i) {
      const c = need(i.conditioning, "CONDITIONING");
      return { outputs: [{ ...c }] };
    },
  },
  {
    name: "EmptySD3LatentImage",
    displayName: "EmptySD3LatentImage",
    description: "",
    category: "latent/sd3",
    pythonModule: "comfy_extras.nodes_sd3",
    outputNode: false,
    fn: "generate",
    inputs: () => ({
      required: [
        ["width", spec("INT", { default: 1024, min: 16, max: 16384, step: 16 })],
        ["height", spec("INT", { default: 1024, min: 16, max: 16384, step: 16 })],
        ["batch_size", spec("INT", { default: 1, min: 1, max: 4096 })],
      ],
    }),
    returnTypes: ["LATENT"],
    async run(_ctx, i) {
      return { outputs: [{ t: "LATENT", width: Number(i.width), height: Number(i.height), batch: Number(i.batch_size), rgb: 0, repr: "{'samples': tensor(...)}" }] };
    },
  },
  {
    name: "CLIPTextEncode",
    displayName: "CLIP Text Encode (Prompt)",
    description:
      "Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion model towards generating specific images.",
    category: "conditioning",
    pythonModule: "nodes",
    outputNode: false,
    fn: "encode",
    inputs: () => ({
      required: [
        ["text", spec("STRING", { multiline: true, dynamicPrompts: true, tooltip: "The text to be encoded." })],
        ["clip", spec("CLIP", { tooltip: "The CLIP model used for encoding the text." })],
      ],
    }),
    returnTypes: ["CONDITIONING"],
    outputTooltips: ["A conditioning containing the embedded text used to guide the diffusion model."],
    async run(_ctx, i) {
      need(i.clip, "CLIP");
      return { outputs: [{ t: "CONDITIONING", text: String(i.text), repr: "[[tensor(...), {...}]]" }] };
    },
  },
  {
    name: "EmptyLatentImage",
    displayName: "Empty Latent Image",
    description: "Create a new batch of empty latent images to be denoised via sampling.",
    category: "latent",
    pythonModule: "nodes",
    outputNode: false,
    fn: "generate",
    inputs: () => ({
      required: [
        ["width", spec("INT", { default: 512, min: 16, max: 16384, step: 8, tooltip: "The width of the latent images in pixels." })],
        ["height", spec("INT", { default: 512, min: 16, max: 16384, step: 8, tooltip: "The height of the latent images in pixels." })],
        ["batch_size", spec("INT", { default: 1, min: 1, max: 4096, tooltip: "The number of latent images in the batch." })],
      ],
    }),
    returnTypes: ["LATENT"],
    outputTooltips: ["The empty latent image batch."],
    async run(_ctx, i) {
      return {
        outputs: [{ t: "LATENT", width: Number(i.width), height: Number(i.height), batch: Number(i.batch_size), rgb: 0, repr: "{'samples': tensor(...)}" }],
      };
    },
  },
  {
    name: "KSampler",
    displayName: "KSampler",
    description: "Uses the provided model, positive and negative conditioning to denoise the latent image.",
    category: "sampling",
    pythonModule: "nodes",
    outputNode: false,
    heavy: true,
    fn: "sample",
    inputs: () => ({
      required: [
        ["model", spec("MODEL", { tooltip: "The model used for denoising the input latent." })],
        ["seed", spec("INT", { default: 0, min: 0, max: 18446744073709551615n, control_after_generate: true, tooltip: "The random seed used for creating the noise." })],
        ["steps", spec("INT", { default: 20, min: 1, max: 10000, tooltip: "The number of steps used in the denoising process." })],
        ["cfg", spec("FLOAT", { default: f(8.0), min: f(0.0), max: f(100.0), step: f(0.1), round: f(0.01), tooltip: "The Classifier-Free Guidance scale balances creativity and adherence to the prompt. Higher values result in images more closely matching the prompt however too high values will negatively impact quality." })],
        ["sampler_name", spec(SAMPLERS, { tooltip: "The algorithm used when sampling, this can affect the quality, speed, and style of the generated output." })],
        ["scheduler", spec(SCHEDULERS, { tooltip: "The scheduler controls how noise is gradually removed to form the image." })],
        ["positive", spec("CONDITIONING", { tooltip: "The conditioning describing the attributes you want to include in the image." })],
        ["negative", spec("CONDITIONING", { tooltip: "The conditioning describing the attributes you want to exclude from the image." })],
        ["latent_image", spec("LATENT", { tooltip: "The latent image to denoise." })],
        ["denoise", spec("FLOAT", { default: f(1.0), min: f(0.0), max: f(1.0), step: f(0.01), tooltip: "The amount of denoising applied, lower values will maintain the structure of the initial image allowing for image to image sampling." })],
      ],
    }),
    returnTypes: ["LATENT"],
    outputTooltips: ["The denoised latent."],
    async run(ctx, i) {
      need(i.model, "MODEL");
      const lat = need(i.latent_image, "LATENT");
      const steps = Number(i.steps);
      for (let s = 1; s <= steps; s++) await ctx.step(s, steps, ctx.env.config.stepMs);
      const text = `${i.seed}|${(i.positive as Obj | undefined)?.text ?? ""}`;
      return { outputs: [{ ...lat, rgb: hashColour(text), repr: "{'samples': tensor(...)}" }] };
    },
  },
  {
    name: "VAEDecode",
    displayName: "VAE Decode",
    description: "Decodes latent images back into pixel space images.",
    category: "latent",
    pythonModule: "nodes",
    outputNode: false,
    fn: "decode",
    inputs: () => ({
      required: [
        ["samples", spec("LATENT", { tooltip: "The latent to be decoded." })],
        ["vae", spec("VAE", { tooltip: "The VAE model used for decoding the latent." })],
      ],
    }),
    returnTypes: ["IMAGE"],
    outputTooltips: ["The decoded image."],
    async run(_ctx, i) {
      const lat = need(i.samples, "LATENT");
      need(i.vae, "VAE");
      return { outputs: [imageObj(lat.width ?? 512, lat.height ?? 512, lat.batch ?? 1, lat.rgb ?? 0x808080)] };
    },
  },
  {
    // nodes.py's VAEEncode: no DESCRIPTION or tooltips, so /object_info has description "" and no
    // output_tooltips. The latent keeps the image's size (and colour), so an img2img graph's
    // VAEDecode → SaveImage writes a PNG the size of its input.
    name: "VAEEncode",
    displayName: "VAE Encode",
    description: "",
    category: "latent",
    pythonModule: "nodes",
    outputNode: false,
    fn: "encode",
    inputs: () => ({
      required: [
        ["pixels", spec("IMAGE")],
        ["vae", spec("VAE")],
      ],
    }),
    returnTypes: ["LATENT"],
    async run(_ctx, i) {
      const img = need(i.pixels, "IMAGE");
      need(i.vae, "VAE");
      return { outputs: [{ t: "LATENT", width: img.width, height: img.height, batch: img.batch, rgb: img.rgb, repr: "{'samples': tensor(...)}" }] };
    },
  },
  {
    name: "SaveImage",
    displayName: "Save Image",
    description: "Saves the input images to your ComfyUI output directory.",
    category: "image",
    pythonModule: "nodes",
    outputNode: true,
    fn: "save_images",
    inputs: () => ({
      required: [
        ["images", spec("IMAGE", { tooltip: "The images to save." })],
        ["filename_prefix", spec("STRING", { default: "ComfyUI", tooltip: SAVE_TOOLTIP })],
      ],
      hidden: [
        ["prompt", "PROMPT"],
        ["extra_pnginfo", "EXTRA_PNGINFO"],
      ],
    }),
    returnTypes: [],
    async run(ctx, i) {
      const images = await saveImages(ctx, need(i.images, "IMAGE"), String(i.filename_prefix ?? "ComfyUI"), "output");
      return { outputs: [], ui: od(["images", images]) };
    },
  },
  {
    name: "PreviewImage",
    displayName: "Preview Image",
    description: "Saves the input images to your ComfyUI output directory.",
    category: "image",
    pythonModule: "nodes",
    outputNode: true,
    fn: "save_images",
    inputs: () => ({
      required: [["images", spec("IMAGE")]],
      hidden: [
        ["prompt", "PROMPT"],
        ["extra_pnginfo", "EXTRA_PNGINFO"],
      ],
    }),
    returnTypes: [],
    async run(ctx, i) {
      const letters = "abcdefghijklmnopqrstupvxyz";
      let suffix = "";
      for (let k = 0; k < 5; k++) suffix += letters[Math.floor(Math.random() * letters.length)];
      const images = await saveImages(ctx, need(i.images, "IMAGE"), `ComfyUI_temp_${suffix}`, "temp");
      return { outputs: [], ui: od(["images", images]) };
    },
  },
  {
    name: "HarnessSteps",
    displayName: "HarnessSteps",
    description: "Sleeps through N steps, reporting progress after each (test node of the transcripts).",
    category: "harness",
    pythonModule: "custom_nodes.harness",
    outputNode: false,
    heavy: true,
    fn: "run",
    inputs: () => ({
      required: [
        ["images", spec("IMAGE")],
        ["steps", spec("INT", { default: 10, min: 1, max: 100000 })],
        ["step_ms", spec("INT", { default: 100, min: 0, max: 600000 })],
      ],
    }),
    returnTypes: ["IMAGE"],
    async run(ctx, i) {
      const img = need(i.images, "IMAGE");
      const steps = Number(i.steps);
      for (let s = 1; s <= steps; s++) await ctx.step(s, steps, Number(i.step_ms));
      return { outputs: [img] };
    },
  },
  {
    name: "FakeOutput",
    displayName: "Fake Output",
    description: "Test node: writes an output of the given kind and size (bytes=0: small default).",
    category: "harness",
    pythonModule: "custom_nodes.fake_output",
    outputNode: true,
    fn: "write",
    inputs: () => ({
      required: [
        ["kind", spec(["image", "video", "audio", "text", "3d", "animated"], { default: "image" })],
        ["bytes", spec("INT", { default: 0, min: 0, max: 1099511627776 })],
        ["filename_prefix", spec("STRING", { default: "fake" })],
      ],
      optional: [["images", spec("IMAGE")]],
    }),
    returnTypes: [],
    async run(ctx, i) {
      const kind = String(i.kind);
      const bytes = Number(i.bytes);
      const prefix = String(i.filename_prefix);
      const st = ctx.env.storage;
      const entry = (filename: string, subfolder: string) => od(["filename", filename], ["subfolder", subfolder], ["type", "output"]);
      if (kind === "text") {
        const n = bytes > 0 ? bytes : 64;
        const line = "fake text output ";
        return { outputs: [], ui: od(["text", [line.repeat(Math.ceil(n / line.length)).slice(0, n)]]) };
      }
      if (kind === "image") {
        const img = i.images ? need(i.images, "IMAGE") : imageObj(64, 64, 1, hashColour(prefix));
        const p = st.saveImagePath(prefix, "output", img.width, img.height);
        const file = `${p.filename}_${String(p.counter).padStart(5, "0")}_.png`;
        const { width, height } = fitSize(img.width ?? 64, img.height ?? 64);
        await writePngFile(path.join(p.folder, file), { width, height, rgb: img.rgb ?? 0, texts: pngTexts(ctx) }, bytes);
        return { outputs: [], ui: od(["images", [entry(file, p.subfolder)]]) };
      }
      const p = st.saveImagePath(prefix, "output");
      const n5 = String(p.counter).padStart(5, "0");
      if (kind === "video") {
        const file = `${p.filename}_${n5}.mp4`;
        const full = path.join(p.folder, file);
        const total = bytes > 0 ? bytes : 4096;
        await writeBlob(full, mp4Header(total), total);
        const e = entry(file, p.subfolder);
        e.set("format", "video/h264-mp4");
        e.set("frame_rate", f(8.0));
        e.set("fullpath", full);
        return { outputs: [], ui: od(["gifs", [e]]) };
      }
      if (kind === "audio") {
        const file = `${p.filename}_${n5}_.flac`;
        await writeBlob(path.join(p.folder, file), Buffer.from("fLaC\0\0\0\x22"), bytes > 0 ? bytes : 4096);
        return { outputs: [], ui: od(["audio", [entry(file, p.subfolder)]]) };
      }
      if (kind === "3d") {
        const file = `${p.filename}_${n5}_.glb`;
        const total = bytes > 0 ? bytes : 4096;
        await writeBlob(path.join(p.folder, file), Buffer.concat([Buffer.from("glTF"), Buffer.from([2, 0, 0, 0]), Buffer.from([total & 0xff, (total >> 8) & 0xff, (total >> 16) & 0xff, (total >>> 24) & 0xff])]), total);
        return { outputs: [], ui: od(["result", [entry(file, p.subfolder)]]) };
      }
      if (kind === "animated") {
        const file = `${p.filename}_${n5}_.webp`;
        const total = bytes > 0 ? bytes : 4096;
        await writeBlob(path.join(p.folder, file), Buffer.concat([Buffer.from("RIFF"), Buffer.from([(total - 8) & 0xff, ((total - 8) >> 8) & 0xff, ((total - 8) >> 16) & 0xff, ((total - 8) >>> 24) & 0xff]), Buffer.from("WEBPVP8X")]), total);
        return { outputs: [], ui: od(["images", [entry(file, p.subfolder)]], ["animated", [true]]) };
      }
      throw new NodeError("ValueError", `unknown kind ${kind}`);
    },
  },
];

export const NODE_CLASSES: Map<string, NodeClass> = new Map(NODES.map((n) => [n.name, n]));

function specValue(s: InputSpec): PyValue {
  return s.opts === null ? [s.type] : [s.type, s.opts];
}

/** One `/object_info` entry in ComfyUI 0.3.64 key order. */
export function objectInfo(cls: NodeClass, env: Env): PyDict {
  const ins = cls.inputs(env);
  const input: PyDict = new Map();
  const order: PyDict = new Map();
  input.set("required", new Map(ins.required.map(([k, s]) => [k, specValue(s)])));
  order.set("required", ins.required.map(([k]) => k));
  if (ins.optional?.length) {
    input.set("optional", new Map(ins.optional.map(([k, s]) => [k, specValue(s)])));
    order.set("optional", ins.optional.map(([k]) => k));
  }
  if (ins.hidden?.length) {
    input.set("hidden", new Map(ins.hidden.map(([k, s]) => [k, s])));
    order.set("hidden", ins.hidden.map(([k]) => k));
  }
  const info: PyDict = od(
    ["input", input],
    ["input_order", order],
    ["output", [...cls.returnTypes]],
    ["output_is_list", cls.returnTypes.map(() => false)],
    ["output_name", [...(cls.returnNames ?? cls.returnTypes)]],
    ["name", cls.name],
    ["display_name", cls.displayName],
    ["description", cls.description],
    ["python_module", cls.pythonModule],
    ["category", cls.category],
    ["output_node", cls.outputNode],
  );
  if (cls.outputTooltips) info.set("output_tooltips", [...cls.outputTooltips]);
  return info;
}
