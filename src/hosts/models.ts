import { eq } from "drizzle-orm";
import { ComfyClient } from "../comfy/client";
import type { Db } from "../db/client";
import { hosts, type HostRow } from "../db/schema";
import { errorFields, log } from "../lib/log";
import { canonicalLists } from "../workflows/models-needed";

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
 * Stores a host's lists: as JSON on its row (GET /capabilities shows them) and as one indexed
 * `host_models` row per file under its current folder name (what the claim matches). One batch.
 */
export async function writeHostModels(d1: D1Database, hostId: string, models: HostModels, nowMs: number) {
  const keys = Object.entries(canonicalLists(models as Record<string, string[]>)).flatMap(([folder, names]) => names.map((name) => `${folder}/${name}`));
  await d1.batch([
    d1.prepare("UPDATE hosts SET models_json = ?2, models_at_ms = ?3 WHERE id = ?1").bind(hostId, JSON.stringify(models), nowMs),
    d1.prepare("DELETE FROM host_models WHERE host_id = ?1").bind(hostId),
    d1.prepare(
      `INSERT OR IGNORE INTO host_models (host_id, key)
         SELECT ?1, key.value FROM json_each(?2) key WHERE EXISTS (SELECT 1 FROM hosts WHERE id = ?1)`,
    ).bind(hostId, JSON.stringify(keys)),
  ]);
}

/**
 * Reads a host's model lists (the folder list, then all its folders at once: a slow host costs two
 * timeouts, not one per folder) and caches them on its row, where placement (jobs/moves.ts) and
 * GET /capabilities read them. Null when the host could not say; its last lists are kept.
 */
export async function refreshHostModels(d: Db, h: { id: string; name: string; url: string; headers: Record<string, string> }, nowMs: number): Promise<HostModels | null> {
  try {
    const client = new ComfyClient({ url: h.url, headers: h.headers }, 3_000);
    const folders = foldersToRead(await client.modelFolders(3_000));
    const lists = await Promise.all(folders.map((folder) => client.models(folder, 3_000)));
    const models: HostModels = {};
    folders.forEach((folder, i) => {
      const list = lists[i];
      if (list) models[folder] = list.slice(0, 2000);
    });
    await writeHostModels(d.$client, h.id, models, nowMs);
    return models;
  } catch (e) {
    log.warn("host.models_failed", { host: h.name, ...errorFields(e) });
    return null;
  }
}

/** Each host's models as cached in its D1 row; stale ones (older than MODELS_TTL_MS), or all with `force`, are refreshed now, in parallel. */
export async function fleetModels(d: Db, nowMs: number, force = false): Promise<{ host: string; state: string; models: HostModels; checkedAt: string | null }[]> {
  const rows = await d.select().from(hosts).all();
  return Promise.all(
    rows.map(async (h) => {
      let models = h.modelsJson ? (JSON.parse(h.modelsJson) as HostModels) : null;
      let at = h.modelsAtMs;
      if ((force || modelsStale(h, nowMs)) && h.state !== "offline") {
        const fresh = await refreshHostModels(d, { id: h.id, name: h.name, url: h.url, headers: JSON.parse(h.headersJson) as Record<string, string> }, nowMs);
        if (fresh) [models, at] = [fresh, nowMs];
      }
      return { host: h.name, state: h.state, models: models ?? {}, checkedAt: at === null ? null : new Date(at).toISOString() };
    }),
  );
}
