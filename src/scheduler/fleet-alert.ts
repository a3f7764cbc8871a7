import type { Db } from "../db/client";
import { STATUS, sqlList } from "../jobs/states";
import { needKey, neededFromKeys, placementFor, type FleetHost } from "../workflows/models-needed";
import { readFleet } from "./model-placement";

/** Work that cannot move: queued jobs and no host online, or queued jobs whose models no online host has. */
export type FleetAlert = { reason: "no_host_online" | "no_host_has_model"; message: string; queued: number; oldestQueuedAgeS: number };

/** Queued jobs grouped by the models they need (`modelsJson` as stored on the job; null = none). */
export type QueuedGroup = { modelsJson: string | null; count: number; oldestMs: number };

/** The alert for this fleet and queue, or null when every queued job has a host that can run it. Pure. */
export function fleetAlert(queued: QueuedGroup[], fleet: FleetHost[], nowMs: number): FleetAlert | null {
  const total = queued.reduce((n, g) => n + g.count, 0);
  if (total === 0) return null;
  const age = (groups: QueuedGroup[]) => Math.max(0, Math.round((nowMs - Math.min(...groups.map((g) => g.oldestMs))) / 1000));
  const online = fleet.filter((h) => h.state === "online" || h.state === "busy");
  if (online.length === 0) {
    const message = fleet.length === 0 ? `${total} job(s) queued and no host is registered: add one with POST /hosts` : `${total} job(s) queued and none of the ${fleet.length} host(s) is online (offline or draining)`;
    return { reason: "no_host_online", message, queued: total, oldestQueuedAgeS: age(queued) };
  }
  const stuck = queued.filter((g) => g.modelsJson !== null && placementFor(fleet, neededFromKeys(g.modelsJson)).kind !== "ok");
  if (stuck.length === 0) return null;
  const count = stuck.reduce((n, g) => n + g.count, 0);
  const models = [...new Set(stuck.flatMap((g) => neededFromKeys(g.modelsJson!).map(needKey)))].slice(0, 10);
  return { reason: "no_host_has_model", message: `${count} job(s) queued need models no online host lists (${models.join(", ")})`, queued: count, oldestQueuedAgeS: age(stuck) };
}

/** Reads the queue (grouped by needed models) and the fleet, and judges them. Two small reads. */
export async function readFleetAlert(d: Db, nowMs: number): Promise<FleetAlert | null> {
  const [groups, fleet] = await Promise.all([
    d.$client
      .prepare(`SELECT models_json AS modelsJson, count(*) AS count, min(enqueued_at_ms) AS oldestMs FROM jobs WHERE status = ${sqlList([STATUS.queued])} GROUP BY models_json LIMIT 200`)
      .all<QueuedGroup>(),
    readFleet(d),
  ]);
  return fleetAlert(groups.results, fleet, nowMs);
}
