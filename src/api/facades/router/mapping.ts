import { checkInput } from "../../../jobs/fill";
import type { WorkflowInputs } from "../../../schemas/workflow";
import type { RouterFamily, RouterImage, RouterModel, RouterWorkflowRequest } from "./schema";

/**
 * Comfy Router's parameters → a stored workflow's named inputs. Pure: the caller hands in the
 * inputs the workflow declares (from D1, so an admin's edit or a later template with other loaders
 * is followed), and gets back a POST /jobs body or every problem at once.
 *
 * Parameters go to inputs by name through the table below, never to node ids. A model or size the
 * workflow has no input for is left out and reported as `ignored` (a Router Flux client always
 * sends its t5xxl, clip and vae); anything that would change the picture and cannot be honoured
 * (LoRAs, ControlNets, masks, model URLs, an image on a text-only workflow) is refused instead.
 */

/** Which built-in runs a family; `image` when an input_image is given. */
export const ROUTER_WORKFLOWS: Record<RouterFamily, { text: string; image?: string }> = {
  SD15: { text: "sd15", image: "sd15_img2img" },
  SDXL: { text: "sdxl" },
  Flux: { text: "flux" },
};

/** Router parameter → the input names that take it, first declared wins. */
const VALUE_INPUTS: Record<string, readonly string[]> = {
  prompt: ["prompt"],
  negative_prompt: ["negative_prompt"],
  width: ["width"],
  height: ["height"],
  batch_size: ["batch_size"],
  sampler: ["sampler_name"],
  scheduler: ["scheduler"],
  steps: ["steps"],
  cfg_scale: ["cfg"],
  seed: ["seed"],
  denoise: ["denoise"],
  unet_dtype: ["weight_dtype"],
  unet_type: [],
};
const MODEL_INPUTS: Record<string, readonly string[]> = {
  checkpoint: ["checkpoint"],
  vae: ["vae"],
  unet: ["diffusion_model", "unet"],
  t5xxl: ["t5_encoder", "t5xxl"],
  clip: ["clip_encoder", "clip"],
};
/** Without these the job would not be what was asked for. */
const ESSENTIAL = new Set(["prompt"]);

/** The file name a Router input_image gets among the job's images. */
export const ROUTER_IMAGE_NAME = "router_input.png";

export type MappingIssue = { path: string; message: string };
export type JobRequest = {
  workflowId: string;
  inputs: Record<string, string | number | boolean>;
  images?: { name: string; image: string }[];
};
export type Mapped = { ok: true; job: JobRequest; ignored: string[] } | { ok: false; issues: MappingIssue[] };

/** The stored workflow a request runs. Pure. */
export function routerWorkflowId(req: RouterWorkflowRequest): string | MappingIssue {
  const w = ROUTER_WORKFLOWS[req.type];
  if (!req.params.input_image) return w.text;
  return w.image ?? { path: "params.input_image", message: `input_image is not supported for ${req.type}: its built-in workflow is text-to-image only (SD15 takes an input_image)` };
}

const isModel = (v: unknown): v is RouterModel => typeof v === "object" && v !== null && "type" in v && "name" in v;

/** Maps a validated request onto `workflowId`'s declared inputs. Pure. */
export function routerToJob(req: RouterWorkflowRequest, workflowId: string, declared: WorkflowInputs, limits?: { maxImageSize: number; maxBatchSize: number }): Mapped {
  const issues: MappingIssue[] = [];
  const ignored: string[] = [];
  const inputs: JobRequest["inputs"] = {};
  const params = req.params as Record<string, unknown>;
  const refuse = (name: string, message: string) => issues.push({ path: `params.${name}`, message });

  if ((req.params.loras?.length ?? 0) > 0) refuse("loras", "LoRAs are not supported by the built-in workflows; send an empty list, or store a workflow with a LoraLoader and use POST /jobs");
  if ((req.params.controlnets?.length ?? 0) > 0) refuse("controlnets", "ControlNets are not supported by the built-in workflows; send an empty list, or store a workflow with them and use POST /jobs");
  if (req.params.input_mask) refuse("input_mask", "input_mask (inpainting) is not supported by the built-in workflows");

  for (const [name, raw] of Object.entries(params)) {
    if (raw === undefined || raw === null) continue;
    const targets = VALUE_INPUTS[name] ?? MODEL_INPUTS[name];
    if (!targets) continue; // loras, controlnets, input_image, input_mask: handled on their own
    let value = raw;
    if (name in MODEL_INPUTS && isModel(raw)) {
      if (raw.type === "custom") {
        refuse(name, "model URLs (type \"custom\") are not downloaded here: put the file on the hosts and send { \"type\": \"build_in\", \"name\": <file name> }");
        continue;
      }
      value = raw.name;
    }
    const input = targets.find((t) => Object.hasOwn(declared, t));
    if (input === undefined) {
      if (ESSENTIAL.has(name)) refuse(name, `workflow "${workflowId}" has no input for ${name}`);
      else ignored.push(name);
      continue;
    }
    const problem = checkInput(name, declared[input]!, value, limits ? { limits } : {});
    if (problem) refuse(name, problem);
    else inputs[input] = value as string | number | boolean;
  }

  const image = req.params.input_image;
  let images: JobRequest["images"];
  if (image) {
    // The image goes to whichever input is typed `image`, whatever the workflow calls it.
    const input = Object.entries(declared).find(([, spec]) => spec.type === "image")?.[0];
    if (input === undefined) refuse("input_image", `workflow "${workflowId}" takes no image`);
    else {
      inputs[input] = ROUTER_IMAGE_NAME;
      images = [{ name: ROUTER_IMAGE_NAME, image: imageSource(image) }];
    }
  }
  if (issues.length) return { ok: false, issues };
  return { ok: true, job: { workflowId, inputs, ...(images ? { images } : {}) }, ignored };
}

/** Our `images[].image` takes an URL, base64 or a data: URI as they are. */
const imageSource = (image: RouterImage) => image.content;
