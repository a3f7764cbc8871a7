import type { Db } from "../db/client";
import { hosts } from "../db/schema";
import { ApiError } from "../errors";
import { canonicalLists, needKey, placementFor, type FleetHost, type ModelNeed } from "../workflows/models-needed";

/**
 * Each host's state and model lists, as placement sees them. Read fresh for every decision (a host
 * drained a moment ago must not be counted on); submitJob starts it beside its other read.
 */
export async function readFleet(d: Db): Promise<FleetHost[]> {
  const rows = await d.select({ name: hosts.name, state: hosts.state, modelsJson: hosts.modelsJson }).from(hosts).all();
  return rows.map((r) => ({ name: r.name, state: r.state, models: r.modelsJson ? (JSON.parse(r.modelsJson) as Record<string, string[]>) : null }));
}

/** Hosts shown per refusal, and names per folder: enough to see what is there, bounded for the response. */
const SHOWN_HOSTS = 20;
const SHOWN_NAMES = 50;

export type Waiting = { reason: "model_hosts_unavailable" | "model_missing"; message: string; hosts: string[] };

/** Where a queued job with these needs stands: null when a host that is online has (or may have) them, otherwise what it waits for. Pure. */
export function modelWait(fleet: FleetHost[], needs: ModelNeed[]): { waiting: Waiting | null; missing: ModelNeed[]; fleet: FleetHost[] } {
  const verdict = placementFor(fleet, needs);
  if (verdict.kind === "ok") return { waiting: null, missing: [], fleet };
  const names = needs.map((n) => n.name).join(", ");
  if (verdict.kind === "unavailable") {
    return { fleet, missing: [], waiting: { reason: "model_hosts_unavailable", hosts: verdict.hosts, message: `Only ${verdict.hosts.join(", ")} (offline or draining) have ${names}; the job runs when one of them takes work again` } };
  }
  return { fleet, missing: verdict.missing, waiting: { reason: "model_missing", hosts: [], message: `No host has ${verdict.missing.map(needKey).join(", ")}; the job waits until a host lists it` } };
}

/**
 * Before a job is written: no host has a model it needs → 400 COMFYUI_MODEL_MISSING naming the
 * files, with each host's lists of those folders. Otherwise what the job will wait for, if anything.
 */
export function checkModelPlacement(fleet: FleetHost[], needs: ModelNeed[]): Waiting | null {
  const { waiting, missing } = modelWait(fleet, needs);
  if (waiting?.reason !== "model_missing") return waiting;
  const names = missing.map(needKey);
  throw new ApiError("COMFYUI_MODEL_MISSING", `No host has ${names.join(", ")}: install it on a host, or pick a model the fleet has (GET /capabilities lists them)`, {
    details: {
      missing,
      hosts: fleet.slice(0, SHOWN_HOSTS).map((h) => ({
        host: h.name,
        state: h.state,
        models: h.models === null ? null : Object.fromEntries(missing.map((n) => [n.folder, (canonicalLists(h.models!)[n.folder] ?? []).slice(0, SHOWN_NAMES)])),
      })),
    },
    retryable: false,
  });
}
