import { ACTIVE, JOB_STATUSES, PENDING, sqlList, STATUS, type JobStatus } from "../schemas/job";

export { ACTIVE, JOB_STATUSES, PENDING, sqlList, STATUS, type JobStatus };

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

export const isTerminal = (s: JobStatus) => TRANSITIONS[s].length === 0;
export const canMove = (from: JobStatus, to: JobStatus) => TRANSITIONS[from].includes(to);
export const allowedFrom = (to: JobStatus): JobStatus[] =>
  JOB_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
