// One settings object shared by the CLI and `POST /__fake/config`, so a test can flip any knob
// at run time without restarting the process.

export type VersionProfile = "0.3.64" | "2026";
export type PreviewMethod = "none" | "auto" | "latent2rgb" | "taesd";

export interface FakeConfig {
  /** "2026": canonical-UUID prompt ids (400 invalid_prompt_id), missing_node_type, create_time. */
  versionProfile: VersionProfile;
  /** Delay per progress step of KSampler (HarnessSteps uses its own `step_ms` input). */
  stepMs: number;
  /** Extra delay when each executed node starts. */
  nodeDelayMs: number;
  previewMethod: PreviewMethod;
  /** Model folders for /models and loader combos; `checkpoints` feeds CheckpointLoaderSimple. */
  models: Record<string, string[]>;
  /** Reproduce ComfyUI issue #16010 (old socket's close unregisters the replacement). */
  bug16010: boolean;
  /** ComfyUI's default "classic" cache: identical nodes of the previous prompt are not re-run. */
  cache: boolean;
  /** MB, like `--max-upload-size`; every request body is capped by it. */
  maxUploadSizeMb: number;
  /** Like `--disable-metadata`: no tEXt chunks in saved PNGs. */
  disableMetadata: boolean;
  /** aiohttp origin-only middleware (403 when Origin host ≠ loopback Host). */
  originCheck: boolean;
  /** Reported by /system_stats; defaults follow the profile. */
  comfyuiVersion: string | null;
  /** RAM the fake pretends to have; EmptyImage allocations above it fail like the CPU build. */
  ramTotal: number;
  vramTotal: number;
  /** Cap of history entries (ComfyUI: 10000). */
  maxHistory: number;
}

export const DEFAULT_MODELS: Record<string, string[]> = {
  checkpoints: ["sd15.safetensors", "sdxl_base.safetensors", "flux1-dev.safetensors"],
  loras: [],
  vae: ["ae.safetensors"],
  text_encoders: ["clip_l.safetensors", "t5xxl_fp16.safetensors"],
  diffusion_models: ["flux1-dev.safetensors"],
  clip_vision: [],
  style_models: [],
  embeddings: [],
  diffusers: [],
  vae_approx: [],
  controlnet: [],
  gligen: [],
  upscale_models: [],
  hypernetworks: [],
  photomaker: [],
  classifiers: [],
  model_patches: [],
  audio_encoders: [],
};

export function defaultConfig(): FakeConfig {
  return {
    versionProfile: "2026",
    stepMs: 5,
    nodeDelayMs: 0,
    previewMethod: "none",
    models: structuredClone(DEFAULT_MODELS),
    bug16010: false,
    cache: true,
    maxUploadSizeMb: 100,
    disableMetadata: false,
    originCheck: true,
    comfyuiVersion: null,
    ramTotal: 68719476736,
    vramTotal: 25769803776,
    maxHistory: 10000,
  };
}

export function versionOf(c: FakeConfig): string {
  return c.comfyuiVersion ?? (c.versionProfile === "2026" ? "0.38.0" : "0.3.64");
}

/** Applies a partial update (control API JSON or CLI); unknown keys are errors so typos surface. */
export function applyConfig(c: FakeConfig, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    switch (k) {
      case "versionProfile":
        if (v !== "0.3.64" && v !== "2026") throw new Error(`versionProfile must be "0.3.64" or "2026"`);
        c.versionProfile = v;
        break;
      case "previewMethod":
        if (!["none", "auto", "latent2rgb", "taesd"].includes(String(v))) throw new Error("bad previewMethod");
        c.previewMethod = v as PreviewMethod;
        break;
      case "models":
        if (Array.isArray(v)) c.models = { ...c.models, checkpoints: v.map(String) };
        else if (v && typeof v === "object") {
          for (const [folder, list] of Object.entries(v)) c.models[folder] = (list as unknown[]).map(String);
        } else throw new Error("models must be a list of checkpoint names or {folder: [names]}");
        break;
      case "stepMs":
      case "nodeDelayMs":
      case "maxUploadSizeMb":
      case "ramTotal":
      case "vramTotal":
      case "maxHistory":
        if (typeof v !== "number" || !(v >= 0)) throw new Error(`${k} must be a non-negative number`);
        c[k] = v;
        break;
      case "bug16010":
      case "cache":
      case "disableMetadata":
      case "originCheck":
        c[k] = Boolean(v);
        break;
      case "comfyuiVersion":
        c.comfyuiVersion = v === null ? null : String(v);
        break;
      default:
        throw new Error(`unknown config key ${k}`);
    }
  }
}

export interface CliOptions {
  port: number;
  host: string;
  dataDir: string | null;
  /** dataDir is this process's own: emptied on start (a killed run's leftovers), removed on exit. */
  freshDataDir: boolean;
  exitWithParent: boolean;
  /** The launcher owns dataDir: remove it when the launcher dies without cleaning up. */
  removeDataDirWithParent: boolean;
  config: Record<string, unknown>;
}

const FLAG_TO_KEY: Record<string, string> = {
  "--version-profile": "versionProfile",
  "--step-ms": "stepMs",
  "--node-delay-ms": "nodeDelayMs",
  "--preview-method": "previewMethod",
  "--max-upload-size": "maxUploadSizeMb",
  "--comfyui-version": "comfyuiVersion",
  "--max-history": "maxHistory",
};

export function parseCli(argv: string[]): CliOptions {
  const out: CliOptions = { port: 8188, host: "127.0.0.1", dataDir: null, freshDataDir: false, exitWithParent: false, removeDataDirWithParent: false, config: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const next = () => inline ?? argv[++i];
    if (flag === "--port") out.port = Number(next());
    else if (flag === "--data-dir") out.dataDir = next();
    else if (flag === "--fresh-data-dir") (out.dataDir = next()), (out.freshDataDir = true);
    else if (flag === "--exit-with-parent") out.exitWithParent = true;
    else if (flag === "--remove-data-dir-with-parent") out.removeDataDirWithParent = true;
    else if (flag === "--bug-16010") out.config.bug16010 = true;
    else if (flag === "--no-cache" || flag === "--cache-none") out.config.cache = false;
    else if (flag === "--disable-metadata") out.config.disableMetadata = true;
    else if (flag === "--no-origin-check" || flag === "--enable-cors-header") out.config.originCheck = false;
    else if (flag === "--models") out.config.models = next().split(",").filter(Boolean);
    else if (flag === "--config-json") Object.assign(out.config, JSON.parse(next()));
    else if (flag in FLAG_TO_KEY) {
      const key = FLAG_TO_KEY[flag];
      const raw = next();
      out.config[key] = ["stepMs", "nodeDelayMs", "maxUploadSizeMb", "maxHistory"].includes(key) ? Number(raw) : raw;
    } else throw new Error(`unknown flag ${a}`);
  }
  return out;
}
