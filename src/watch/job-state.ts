import type { JobRow } from "../db/schema";
import { isTerminal, STATUS, type JobStatus } from "../jobs/states";
import type { JobEvent, Stored } from "./events";

/**
 * A job's current state as the latest event of each kind: what a watcher that connects late (or
 * resumes past what the log still holds) is sent first. A new placement (queued again, or running
 * on a host) starts a new attempt, so the previous attempt's run events are dropped.
 */
export class JobState {
  #placement: Stored | null = null;
  #run = new Map<"started" | "executing" | "progress" | "preview", Stored>();
  #outputs: Stored[] = [];
  #end: Stored | null = null;

  apply(s: Stored) {
    const e = s.event;
    if (e.kind === "end") this.#end = s;
    else if (e.kind === "queued" || e.kind === "running") {
      this.#placement = s;
      this.#run.clear();
      this.#outputs = [];
    } else if (e.kind === "output") this.#outputs.push(s);
    else {
      // Only the newest preview keeps its bytes: older ones are sent (on resume) without them.
      if (e.kind === "preview") {
        const prev = this.#run.get("preview");
        if (prev?.event.kind === "preview") prev.event.bytes = null;
      }
      this.#run.set(e.kind, s);
    }
  }

  get ended(): boolean {
    return this.#end !== null;
  }
  get queued(): boolean {
    return !this.#end && this.#placement?.event.kind === "queued";
  }
  get placed(): boolean {
    return this.#placement !== null || this.#end !== null;
  }
  get startedKnown(): boolean {
    return this.#run.has("started");
  }
  /** Whether the latest progress known is this far or further (a host's snapshot then adds nothing, or would step back). */
  knowsProgress(value: number, max: number): boolean {
    const p = this.#run.get("progress")?.event;
    return p?.kind === "progress" && p.max === max && p.value >= value;
  }

  /** The events that make up the current state, in the order they happened; once the job ended, its end says it all. */
  current(): Stored[] {
    if (this.#end) return [this.#end];
    return [this.#placement, ...this.#run.values(), ...this.#outputs, this.#end].filter((s): s is Stored => s !== null).sort((a, b) => a.seq - b.seq);
  }
}

/**
 * The events that describe a job as a D1 row (and its host's live view) has it: how a stream
 * learns a job's state when nothing was published to it yet (a queued job, or an object that
 * restarted). `position` is the live queue position of a queued job.
 */
export function eventsFromRow(row: JobRow, position: number | null, known: { placed: boolean; started: boolean }): JobEvent[] {
  const status = row.status as JobStatus;
  if (isTerminal(status)) return [{ kind: "end", row }];
  const out: JobEvent[] = [];
  if (!known.placed) out.push(status === STATUS.queued ? { kind: "queued", queuePosition: position } : { kind: "running", host: row.hostName });
  if (status === STATUS.queued) return out;
  if (!known.started && row.startedAtMs !== null) out.push({ kind: "started", startedAtMs: row.startedAtMs });
  if (!known.placed && row.progressJson) {
    try {
      const p = JSON.parse(row.progressJson) as { node: string | null; value: number; max: number; percent: number };
      out.push({ kind: "progress", node: p.node, value: p.value, max: p.max, percent: p.percent });
    } catch {
      /* no progress then */
    }
  }
  return out;
}
