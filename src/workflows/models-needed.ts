import type { Graph } from "../comfy/graph";

/**
 * The model files a graph loads, read from the inputs of ComfyUI's own loader nodes. A static table
 * rather than each host's multi-MB /object_info: placement needs the answer on every submission,
 * and a loader we do not know (a custom node) only means its model is not checked before the host
 * sees it — ComfyUI then names it (COMFYUI_MODEL_MISSING), as before.
 */
const LOADERS: Record<string, Record<string, ModelFolder>> = {
  CheckpointLoaderSimple: { ckpt_name: "checkpoints" },
  CheckpointLoader: { ckpt_name: "checkpoints" },
  ImageOnlyCheckpointLoader: { ckpt_name: "checkpoints" },
  unCLIPCheckpointLoader: { ckpt_name: "checkpoints" },
  UNETLoader: { unet_name: "diffusion_models" },
  CLIPLoader: { clip_name: "text_encoders" },
  DualCLIPLoader: { clip_name1: "text_encoders", clip_name2: "text_encoders" },
  TripleCLIPLoader: { clip_name1: "text_encoders", clip_name2: "text_encoders", clip_name3: "text_encoders" },
  QuadrupleCLIPLoader: { clip_name1: "text_encoders", clip_name2: "text_encoders", clip_name3: "text_encoders", clip_name4: "text_encoders" },
  VAELoader: { vae_name: "vae" },
  LoraLoader: { lora_name: "loras" },
  LoraLoaderModelOnly: { lora_name: "loras" },
  ControlNetLoader: { control_net_name: "controlnet" },
  DiffControlNetLoader: { control_net_name: "controlnet" },
  UpscaleModelLoader: { model_name: "upscale_models" },
};

/** The folders placement checks, in ComfyUI's current names. */
export type ModelFolder = "checkpoints" | "diffusion_models" | "text_encoders" | "vae" | "loras" | "controlnet" | "upscale_models";

/** ComfyUI renamed `unet` and `clip`; a host may list either spelling, and both hold the same files. */
const FOLDER_ALIASES: Record<string, ModelFolder> = { unet: "diffusion_models", clip: "text_encoders" };
export const canonicalFolder = (folder: string): string => FOLDER_ALIASES[folder] ?? folder;

/** VAELoader's built-in choices that are not files in the vae folder. */
const BUILT_IN_VAES = new Set(["pixel_space", "taesd", "taesdxl", "taesd3", "taef1"]);

export type ModelNeed = { folder: ModelFolder; name: string };
/** One need as one string (`folder/name`), the form stored on a job and compared in SQL. */
export const needKey = (n: ModelNeed) => `${n.folder}/${n.name}`;

/** The needs stored on a job (`["folder/name"]`) back as needs. Pure. */
export function neededFromKeys(json: string): ModelNeed[] {
  const keys = JSON.parse(json) as string[];
  return keys.map((k) => ({ folder: k.slice(0, k.indexOf("/")) as ModelFolder, name: k.slice(k.indexOf("/") + 1) }));
}

/** Each distinct model file the graph's known loaders name literally (a linked input cannot be known here). Pure. */
export function modelsNeeded(graph: Graph): ModelNeed[] {
  const seen = new Map<string, ModelNeed>();
  for (const node of Object.values(graph)) {
    const inputs = LOADERS[node?.class_type];
    if (!inputs) continue;
    for (const [input, folder] of Object.entries(inputs)) {
      const name = node.inputs?.[input];
      if (typeof name !== "string" || name === "") continue;
      if (folder === "vae" && BUILT_IN_VAES.has(name)) continue;
      const need = { folder, name };
      seen.set(needKey(need), need);
    }
  }
  return [...seen.values()];
}

/**
 * The declared inputs of a workflow that name a model file: those whose target is a known loader's
 * model input (`"4.inputs.ckpt_name"` on a CheckpointLoaderSimple → checkpoints). Pure.
 */
export function modelInputFolders(graph: Graph, inputs: Record<string, { target: string | string[] }>): Record<string, ModelFolder> {
  const out: Record<string, ModelFolder> = {};
  for (const [name, spec] of Object.entries(inputs)) {
    for (const target of [spec.target].flat()) {
      const [node, , input] = target.split(".");
      const folder = LOADERS[graph[node!]?.class_type ?? ""]?.[input!];
      if (folder) out[name] = folder;
    }
  }
  return out;
}

/** Every model file the fleet lists, by current folder name, sorted: the choices for a model input. Pure. */
export function fleetChoices(lists: HostModelLists[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const l of lists) if (l) for (const [folder, names] of Object.entries(canonicalLists(l))) for (const n of names) (out[folder] ??= new Set()).add(n);
  return Object.fromEntries(Object.entries(out).map(([f, names]) => [f, [...names].sort()]));
}

/**
 * A workflow's inputs with each model input marked (`model`: its folder) and, when the fleet lists
 * files in that folder, limited to them (`enum`); a default the fleet lacks is dropped, since a job
 * using it would be refused. Pure.
 */
export function withModelChoices<I extends { target: string | string[]; enum?: (string | number)[]; default?: unknown }>(
  graph: Graph,
  inputs: Record<string, I>,
  choices: Record<string, string[]>,
): Record<string, I & { model?: ModelFolder }> {
  const folders = modelInputFolders(graph, inputs);
  return Object.fromEntries(
    Object.entries(inputs).map(([name, spec]) => {
      const folder = folders[name];
      if (!folder) return [name, spec];
      const names = choices[folder];
      if (!names?.length) return [name, { ...spec, model: folder }];
      const { default: dflt, ...rest } = spec;
      return [name, { ...rest, ...(typeof dflt === "string" && names.includes(dflt) ? { default: dflt } : {}), model: folder, enum: names } as I & { model: ModelFolder }];
    }),
  );
}

/** A host's lists by folder (GET /models/{folder}), as cached on its row; null when never read. */
export type HostModelLists = Record<string, string[]> | null;

/** A host's lists under the current folder names (the old and new spelling merged). Pure. */
export function canonicalLists(lists: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [folder, names] of Object.entries(lists)) {
    const f = canonicalFolder(folder);
    out[f] = [...new Set([...(out[f] ?? []), ...names])];
  }
  return out;
}

/** The needs missing from one host's lists; null when the host's lists are unknown (it may have them). Pure. */
export function missingOn(lists: HostModelLists, needs: ModelNeed[]): ModelNeed[] | null {
  if (lists === null) return null;
  const have = canonicalLists(lists);
  return needs.filter((n) => !have[n.folder]?.includes(n.name));
}

export type FleetHost = { name: string; state: string; models: HostModelLists };

/**
 * Where a job with these needs can run: `ok` when an online (or busy) host has them all or might
 * (its lists are unknown, or there are no hosts yet); `unavailable` when only offline or draining
 * hosts have them (it waits for one); `missing` when no registered host has them. Pure.
 */
export function placementFor(fleet: FleetHost[], needs: ModelNeed[]): { kind: "ok" } | { kind: "unavailable"; hosts: string[] } | { kind: "missing"; missing: ModelNeed[] } {
  if (needs.length === 0 || fleet.length === 0) return { kind: "ok" };
  const fits = fleet.filter((h) => (missingOn(h.models, needs) ?? []).length === 0);
  if (fits.some((h) => h.state === "online" || h.state === "busy")) return { kind: "ok" };
  if (fits.length) return { kind: "unavailable", hosts: fits.map((h) => h.name) };
  // Missing everywhere: name what no host has, so the message points at the file to install.
  const missingEverywhere = needs.filter((n) => fleet.every((h) => (missingOn(h.models, [n]) ?? []).length > 0));
  return { kind: "missing", missing: missingEverywhere.length ? missingEverywhere : needs };
}
