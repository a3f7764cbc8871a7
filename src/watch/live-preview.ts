import type { JobRow } from "../db/schema";
import type { Env } from "../env";
import type { Preview } from "../hosts/previews";
import { ACTIVE, type JobStatus } from "../jobs/states";
import { hostObject } from "../hosts/object";

/** The latest sampler preview of a running job, from its host's memory; null when it is not running or has sent none. */
export async function livePreview(env: Env, row: JobRow): Promise<Preview | null> {
  if (row.hostId === null || !ACTIVE.includes(row.status as JobStatus)) return null;
  return hostObject(env, row.hostId).preview(row.id).catch(() => null);
}
