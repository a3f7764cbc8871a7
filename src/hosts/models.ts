import { eq } from "drizzle-orm";
import { ComfyClient } from "../comfy/client";
import type { Db } from "../db/client";
import { hosts, type HostRow } from "../db/schema";
import { errorFields, log } from "../lib/log";

/**
 * The model folders GET /capabilities reports, read with the cheap `/models/{folder}` (not the
 * multi-MB /object_info). ComfyUI renamed `clip` to `text_encoders` and `unet` to
 * `diffusion_models` (0.3.x answers 404 for the old names), so both spellings are listed and only
 * the ones the host's `GET /models` names are asked for.
 */
export const MODEL_FOLDERS = ["checkpoints", "loras", "vae", "diffusion_models", "unet", "text_encoders", "clip", "controlnet", "upscale_models"] as const;
type ModelFolder = (typeof MODEL_FOLDERS)[number];

/** The reported folders the host has; all of them when it cannot say (no `GET /models`). Pure. */
export function foldersToRead(hostFolders: string[] | null): ModelFolder[] {
  if (hostFolders === null) return [...MODEL_FOLDERS];
  const present = new Set(hostFolders);
  return MODEL_FOLDERS.filter((f) => present.has(f));
}
export const MODELS_TTL_MS = 5 * 60_000;

export type HostModels = Partial<Record<ModelFolder, string[]>>;

/** Whether a host's cached list is missing or older than the TTL. Pure. */
export const modelsStale = (h: Pick<HostRow, "modelsAtMs">, nowMs: number) => h.modelsAtMs === null || nowMs - h.modelsAtMs >= MODELS_TTL_MS;

/**
 * Each host's models, cached in its D1 row for MODELS_TTL_MS; stale ones are refreshed now, all
 * hosts and folders in parallel, with a 3 s timeout. An unreachable host keeps its last list (or none).
 */
export async function fleetModels(d: Db, nowMs: number): Promise<{ host: string; state: string; models: HostModels; checkedAt: string | null }[]> {
  const rows = await d.select().from(hosts).all();
  return Promise.all(
    rows.map(async (h) => {
      let json = h.modelsJson;
      let at = h.modelsAtMs;
      if (modelsStale(h, nowMs) && h.state !== "offline") {
        try {
          const client = new ComfyClient({ url: h.url, headers: JSON.parse(h.headersJson) as Record<string, string> }, 3_000);
          // The folder list, then all its folders at once: a slow host costs two timeouts (6 s), not one per folder.
          const folders = foldersToRead(await client.modelFolders(3_000));
          const lists = await Promise.all(folders.map((folder) => client.models(folder, 3_000)));
          const models: HostModels = {};
          folders.forEach((folder, i) => {
            const list = lists[i];
            if (list) models[folder] = list.slice(0, 2000);
          });
          json = JSON.stringify(models);
          at = nowMs;
          await d.update(hosts).set({ modelsJson: json, modelsAtMs: at }).where(eq(hosts.id, h.id)).run();
        } catch (e) {
          log.warn("host.models_failed", { host: h.name, ...errorFields(e) });
        }
      }
      return { host: h.name, state: h.state, models: json ? (JSON.parse(json) as HostModels) : {}, checkedAt: at === null ? null : new Date(at).toISOString() };
    }),
  );
}
