import type { JobRow } from "../db/schema";

/** A finished job's row stays this long for long-polls that arrive just after it ended. */
const FINAL_KEPT_MS = 30_000;
const TRACES_KEPT = 200;

/**
 * Who waits on a host's jobs: long-polls get the finished row the moment the job ends (or `row:
 * null` when it went back to the queue), and each job's steps are timed for `npm run bench`.
 * In memory only: a long-poll that outlives an eviction simply reads D1 again.
 */
export class JobWaiters {
  readonly #waiters = new Map<string, ((f: { row: JobRow | null }) => void)[]>();
  readonly #finals = new Map<string, { row: JobRow; atMs: number }>();
  readonly #traces = new Map<string, Record<string, number>>();

  /** The finished row if the job ended here lately; else resolves at its end, or `null` after `timeoutMs`. */
  wait(jobId: string, timeoutMs: number): Promise<{ row: JobRow | null } | null> {
    const kept = this.#finals.get(jobId);
    if (kept) return Promise.resolve({ row: kept.row });
    return new Promise((resolve) => {
      const wake = (f: { row: JobRow | null }) => {
        clearTimeout(timer);
        resolve(f);
      };
      // A waiter that timed out leaves: a job that never ends here (moved elsewhere) keeps none.
      const timer = setTimeout(() => {
        const left = (this.#waiters.get(jobId) ?? []).filter((w) => w !== wake);
        if (left.length) this.#waiters.set(jobId, left);
        else this.#waiters.delete(jobId);
        resolve(null);
      }, Math.min(timeoutMs, 60_000));
      this.#waiters.set(jobId, [...(this.#waiters.get(jobId) ?? []), wake]);
    });
  }

  finished(jobId: string, row: JobRow | null, nowMs: number) {
    // Only a finished row is kept for late long-polls: a requeued job is D1's to report.
    if (row) this.#finals.set(jobId, { row, atMs: nowMs });
    for (const wake of this.#waiters.get(jobId) ?? []) wake({ row });
    this.#waiters.delete(jobId);
  }

  hasFinal(jobId: string) {
    return this.#finals.has(jobId);
  }

  prune(nowMs: number) {
    for (const [id, f] of this.#finals) if (nowMs - f.atMs > FINAL_KEPT_MS) this.#finals.delete(id);
  }

  /** Notes when a job's attempt passed a step; `restart` begins a new attempt's record. */
  mark(jobId: string, step: string, restart = false) {
    const t = restart ? {} : (this.#traces.get(jobId) ?? {});
    t[step] ??= Date.now();
    this.#traces.set(jobId, t);
    if (this.#traces.size > TRACES_KEPT) this.#traces.delete(this.#traces.keys().next().value as string);
  }

  trace(jobId: string): Record<string, number> | null {
    return this.#traces.get(jobId) ?? null;
  }
}
