import type { NodeState } from "../comfy/messages";
import type { JobRow } from "../db/schema";
import type { StoredOutput } from "../storage/outputs";

/**
 * What happens to a job while someone may be watching, as its publishers (the host's object, the
 * cancel route, the sweep) report it. Each becomes one SSE event (see render.ts for the wire shape):
 * `queued`, `running`, `started`, `progress`, `executing`, `preview`, `output`, and one terminal
 * event named after the final status that carries the whole job.
 */
export type JobEvent =
  /** `submitted`: the job's first report, sent by POST /jobs to the feeds; one that arrives after its host's `running` is dropped. */
  | { kind: "queued"; queuePosition: number | null; submitted?: boolean }
  | { kind: "running"; host: string | null }
  | { kind: "started"; startedAtMs: number }
  | { kind: "progress"; node: string | null; value: number; max: number; percent: number; nodes?: Record<string, NodeState> }
  | { kind: "executing"; node: string }
  | { kind: "preview"; node: string | null; contentType: string; size: number; atMs: number; bytes: Uint8Array | null }
  | { kind: "output"; output: StoredOutput }
  | { kind: "end"; row: JobRow };

/** Where a queued job stands in line is computed from these (jobs/queue-position.ts). */
export type QueueKey = { id: string; priority: number; createdAtMs: number };

/**
 * One report to a job's stream: the job, its owner (for GET /events), and what happened. A host's
 * reports also say which host (so the stream knows whom to renew its interest with) and which feeds
 * listen (see interest.ts); reports from elsewhere go to both of the owner's feeds.
 */
export type Publish = { jobId: string; owner: string; event: JobEvent; queueKey?: QueueKey; hostId?: string; feeds?: string[] };

/** What a job's host tells a stream that starts following it: the job's run so far, or `null` when the host does not hold it. */
export type HostLive = { startedAtMs: number | null; progress: { node: string | null; value: number; max: number; percent: number } | null } | null;

/** An event as a stream keeps it: its number in this stream, and the job it is about. */
export type Stored = { seq: number; jobId: string; event: JobEvent };
