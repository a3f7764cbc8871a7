import { JOB_STATUSES } from "../schemas/job";

export { JOB_STATUSES };
export type JobStatus = (typeof JOB_STATUSES)[number];
/** The statuses by name, so code and SQL spell them one way: `STATUS.queued`. */
export const STATUS = Object.fromEntries(JOB_STATUSES.map((s) => [s, s])) as { readonly [S in JobStatus]: S };

/** The only moves a job can make. `running → queued` is a retry on another host. */
export const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  queued: ["running", "canceled", "expired"],
  running: ["succeeded", "failed", "canceling", "queued"],
  canceling: ["canceled", "succeeded", "failed"],
  succeeded: [],
  failed: [],
  canceled: [],
  expired: [],
};

export const TERMINAL: readonly JobStatus[] = JOB_STATUSES.filter((s) => TRANSITIONS[s].length === 0);
/** Holding a host slot. */
export const ACTIVE: readonly JobStatus[] = [STATUS.running, STATUS.canceling];
/** Counted against the pending limits. */
export const PENDING: readonly JobStatus[] = [STATUS.queued, ...ACTIVE];

export const isTerminal = (s: JobStatus) => TRANSITIONS[s].length === 0;
export const canMove = (from: JobStatus, to: JobStatus) => TRANSITIONS[from].includes(to);
export const allowedFrom = (to: JobStatus): JobStatus[] =>
  JOB_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
