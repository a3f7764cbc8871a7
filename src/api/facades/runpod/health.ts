import { ACTIVE, STATUS, type JobStatus } from "../../../jobs/states";
import { hostLoads } from "../../../scheduler/place";
import type { Env } from "../../../env";

export type RunPodHealth = {
  jobs: { completed: number; failed: number; inProgress: number; inQueue: number; retried: number };
  workers: { idle: number; initializing: number; ready: number; running: number; throttled: number; unhealthy: number };
};

type JobCount = { status: JobStatus; n: number; retried: number };
type HostLoad = { state: "online" | "busy" | "draining" | "offline"; inUse: number };

/**
 * RunPod's health answer from our counts. Jobs: those recorded under the endpoint id (and, for a
 * user, their own), kept until retention deletes them; `retried` is how many of them needed more
 * than one attempt. Workers are our hosts: `running` has a job on it, `idle`/`ready` is online
 * with none, `throttled` is held busy by a stuck prompt, `unhealthy` is offline. Pure.
 */
export function runPodHealth(jobs: readonly JobCount[], hosts: readonly HostLoad[]): RunPodHealth {
  const count = (...s: JobStatus[]) => jobs.filter((j) => s.includes(j.status)).reduce((a, j) => a + j.n, 0);
  const idle = hosts.filter((h) => h.state === "online" && h.inUse === 0).length;
  return {
    jobs: {
      completed: count(STATUS.succeeded),
      failed: count(STATUS.failed, STATUS.expired),
      inProgress: count(...ACTIVE),
      inQueue: count(STATUS.queued),
      retried: jobs.reduce((a, j) => a + j.retried, 0),
    },
    workers: {
      idle,
      initializing: 0,
      ready: idle,
      running: hosts.filter((h) => h.state !== "offline" && h.inUse > 0).length,
      throttled: hosts.filter((h) => h.state === "busy").length,
      unhealthy: hosts.filter((h) => h.state === "offline").length,
    },
  };
}

/** The counts runPodHealth needs, in two reads. `owner` undefined: every owner's jobs (an admin). */
export async function readRunPodHealth(env: Env, endpointId: string, owner: string | undefined): Promise<RunPodHealth> {
  const r = await env.DB.prepare(
    `SELECT status, count(*) AS n, sum(attempts > 1) AS retried FROM jobs WHERE endpoint_id = ?1 AND (?2 IS NULL OR owner = ?2) GROUP BY status`,
  )
    .bind(endpointId, owner ?? null)
    .all<JobCount>();
  return runPodHealth(r.results.map((j) => ({ ...j, retried: Number(j.retried ?? 0) })), await hostLoads(env));
}
