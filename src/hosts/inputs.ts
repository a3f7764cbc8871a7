import type { ComfyClient } from "../comfy/client";
import type { Graph } from "../comfy/graph";
import { db } from "../db/client";
import type { Config, Env } from "../env";
import type { Claim } from "../jobs/moves";
import { decryptSecret } from "../jobs/secret";
import { log } from "../lib/log";
import { rewriteReferences, uploadName, type InputFile } from "../storage/inputs";
import { signingSecret } from "../storage/signed-url";

/**
 * What an attempt needs on its host right before `POST /prompt`: its input files uploaded (every
 * attempt, since a re-dispatch lands on another host), the graph's references rewritten to the
 * names ComfyUI gave them, and the Comfy.org key for `extra_data` (the job's own, else the config's). Everything comes
 * with the claim: no D1 read before the prompt goes out.
 */
export async function prepareSubmit(
  env: Env, cfg: Config, client: ComfyClient, jobId: string, claim: Pick<Claim, "inputFilesJson" | "comfyKeyEnc">, graph: Graph,
): Promise<{ graph: Graph; extraData: Record<string, unknown> }> {
  let out = graph;
  for (const f of claim.inputFilesJson ? (JSON.parse(claim.inputFilesJson) as InputFile[]) : []) {
    const obj = await env.OUTPUTS.get(f.key);
    if (!obj) throw new Error(`input file "${f.name}" is gone from storage (${f.key})`);
    const blob = new Blob([await obj.arrayBuffer()], { type: f.contentType });
    const stored = await client.uploadImage(uploadName(f.name), blob);
    const ref = stored.subfolder ? `${stored.subfolder}/${stored.name}` : stored.name;
    out = rewriteReferences(out, f.name, ref);
    log.info("input.uploaded", { jobId, name: f.name, as: ref, bytes: f.bytes });
  }
  let apiKey = cfg.COMFY_ORG_API_KEY;
  if (claim.comfyKeyEnc) {
    const own = await decryptSecret(await signingSecret(db(env.DB), env.DB, cfg.SIGNING_SECRET), jobId, claim.comfyKeyEnc);
    if (own === null) log.warn("job.comfy_key_unreadable", { jobId });
    else apiKey = own;
  }
  return { graph: out, extraData: apiKey ? { api_key_comfy_org: apiKey } : {} };
}
