import { ApiError } from "../../../errors";
import { SubmitJob } from "../../../schemas/job";
import { issuesOf, type Issue } from "../../validate";

/**
 * A RunPod request body (`{ input, webhook?, s3Config?, policy? }`) → our SubmitJob. worker-comfyui
 * checks its input in its handler (validate_input); we check the same things up front, with its
 * messages, and answer 400 at once instead of failing the job later. Pure.
 */

export type OutputType = "base64" | "s3_url";
export type RunRequest =
  | { ok: true; body: SubmitJob }
  | { ok: false; message: string; issues: Issue[] };

/** worker-comfyui's own messages (handler.py validate_input). */
export const MESSAGES = {
  noInput: "Please provide input",
  inputNotJson: "Invalid JSON format in input",
  noWorkflow: "Missing 'workflow' parameter",
  badImages: "'images' must be a list of objects with 'name' and 'image' keys",
} as const;

/** Where our SubmitJob field sits in a RunPod body, for messages that name what the client sent. */
const RUNPOD_PATH: Record<string, string> = {
  workflow: "input.workflow",
  images: "input.images",
  comfyOrgApiKey: "input.api_key_comfy_org",
  callbackUrl: "webhook",
  timeoutMs: "policy.executionTimeout",
};
const runPodPath = (path: string) => {
  const [head, ...rest] = path.split(".");
  return [RUNPOD_PATH[head!] ?? head, ...rest].filter(Boolean).join(".");
};

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const fail = (message: string, path: string, code = "invalid_input"): RunRequest => ({ ok: false, message, issues: [{ path, message, code }] });

/**
 * `outputType` is the deployment's RUNPOD_OUTPUT_TYPE; a request with RunPod's `s3Config` asks for
 * links whatever it is (its bucket is not used: outputs stay in our R2, behind signed links).
 */
export function toSubmitJob(raw: unknown, outputType: OutputType): RunRequest {
  if (!isObject(raw)) return fail("Invalid request body: send a JSON object { input: { workflow, images? }, webhook? }", "");
  let input = raw.input;
  if (input === undefined || input === null) return fail(MESSAGES.noInput, "input");
  if (typeof input === "string") {
    try {
      input = JSON.parse(input) as unknown;
    } catch {
      return fail(MESSAGES.inputNotJson, "input");
    }
  }
  if (!isObject(input)) return fail(MESSAGES.inputNotJson, "input");
  if (input.workflow === undefined || input.workflow === null) return fail(MESSAGES.noWorkflow, "input.workflow");
  const images = input.images;
  if (images !== undefined && images !== null && (!Array.isArray(images) || !images.every((i) => isObject(i) && "name" in i && "image" in i))) {
    return fail(MESSAGES.badImages, "input.images");
  }
  const policy = isObject(raw.policy) ? raw.policy : {};
  const links = outputType === "s3_url" || raw.s3Config !== undefined;
  const candidate = {
    workflow: input.workflow,
    ...(Array.isArray(images) && images.length ? { images: images.map((i) => ({ name: i.name, image: i.image })) } : {}),
    ...(input.api_key_comfy_org !== undefined && input.api_key_comfy_org !== null ? { comfyOrgApiKey: input.api_key_comfy_org } : {}),
    ...(raw.webhook !== undefined && raw.webhook !== null ? { callbackUrl: raw.webhook } : {}),
    ...(policy.executionTimeout !== undefined ? { timeoutMs: policy.executionTimeout } : {}),
    outputs: { inline: !links },
  };
  const parsed = SubmitJob.safeParse(candidate);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error).map((i) => ({ ...i, path: runPodPath(i.path) }));
    const first = issues[0]!;
    return { ok: false, message: `Invalid request body: ${first.path ? `${first.path}: ` : ""}${first.message}`, issues };
  }
  return { ok: true, body: parsed.data };
}


/**
 * A validation error our submit code raised after the body parsed (an input file that is not an
 * image, a size over a limit), with the field named as the RunPod client sent it. Others pass as they are.
 */
export function inRunPodTerms(e: unknown): unknown {
  if (!(e instanceof ApiError) || e.code !== "VALIDATION_FAILED") return e;
  const m = /^Invalid request body: ([\w.]+): /.exec(e.message);
  const details = e.more.details as { issues?: Issue[] } | undefined;
  if (!m && !details?.issues) return e;
  const message = m ? e.message.replace(m[1]!, runPodPath(m[1]!)) : e.message;
  const issues = details?.issues?.map((i) => ({ ...i, path: runPodPath(i.path) }));
  return new ApiError(e.code, message, { ...e.more, cause: e, ...(issues ? { details: { ...details, issues } } : {}) });
}
