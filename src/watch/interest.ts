/**
 * Who wants a host's job events right now. A host reports a job's changes only while someone
 * listens: a stream of that job (its JobWatchDO renews the lease every heartbeat while it has
 * watchers) or a dashboard's feed of the job's owner, or of everything (the OwnerFeedDO renews it
 * for every host). A job nobody watches costs its host no report at all.
 */

/** How long one renewal lasts; watchers renew every HEARTBEAT_MS (15 s), so a lost renewal or two costs nothing. */
export const LEASE_MS = 60_000;

/** The feed names a job's events go to: its owner's, and the admins' (`all`). */
export const feedsOf = (owner: string): string[] => [`owner:${owner}`, "all"];

export class Interest {
  readonly #jobs = new Map<string, number>();
  readonly #feeds = new Map<string, number>();

  watchJob(jobId: string, untilMs: number) {
    this.#jobs.set(jobId, Math.max(untilMs, this.#jobs.get(jobId) ?? 0));
  }

  openFeed(name: string, untilMs: number) {
    this.#feeds.set(name, Math.max(untilMs, this.#feeds.get(name) ?? 0));
  }

  /** Where a job's event should go now: `null` when nobody listens; else whether its stream does, and which feeds. */
  targets(jobId: string, owner: string, nowMs: number): { job: boolean; feeds: string[] } | null {
    const job = (this.#jobs.get(jobId) ?? 0) > nowMs;
    const feeds = feedsOf(owner).filter((f) => (this.#feeds.get(f) ?? 0) > nowMs);
    return job || feeds.length > 0 ? { job, feeds } : null;
  }

  /** The feeds' leases still running: what a host keeps across a restart (a feed has no other way to catch up). */
  openFeeds(nowMs: number): Record<string, number> {
    return Object.fromEntries([...this.#feeds].filter(([, until]) => until > nowMs));
  }

  /** Forgets expired leases (called on the host's tick). */
  prune(nowMs: number) {
    for (const m of [this.#jobs, this.#feeds]) for (const [k, until] of m) if (until <= nowMs) m.delete(k);
  }
}
