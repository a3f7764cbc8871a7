import type { JobRow } from "../db/schema";
import type { Env } from "../env";
import { errorFields, log } from "../lib/log";
import { isTerminal, STATUS, type JobStatus } from "../jobs/states";
import type { Publish } from "./events";
import { feedsOf } from "./interest";

export const jobWatch = (env: Env, jobId: string) => env.JOB_WATCH.get(env.JOB_WATCH.idFromName(jobId));
/** A feed by name: `owner:<id>`, or `all` for admins. */
export const ownerFeed = (env: Env, name: string) => env.OWNER_FEED.get(env.OWNER_FEED.idFromName(name));

/** Reports to a job's stream; a failure costs its watchers an update (the end they would get from D1 on reconnect), never the caller. */
export async function publish(env: Env, p: Publish): Promise<void> {
  await jobWatch(env, p.jobId)
    .publish(p)
    .catch((e: unknown) => log.warn("watch.publish_failed", { jobId: p.jobId, kind: p.event.kind, ...errorFields(e) }));
}

/**
 * A new job, to the dashboards (GET /events) straight away: nobody can watch the job's own stream
 * before its 202, which then starts from the row. A lost report costs a dashboard one update.
 */
export async function announceSubmitted(env: Env, p: Publish): Promise<void> {
  await Promise.all(
    feedsOf(p.owner).map((name) =>
      ownerFeed(env, name)
        .push(p)
        .catch((e: unknown) => log.warn("watch.announce_failed", { jobId: p.jobId, feed: name, ...errorFields(e) })),
    ),
  );
}

/** A move outside a host (cancel of a queued job, expiry, the sweep's requeue): its end, or its return to the queue. */
export async function publishMoved(env: Env, row: JobRow | null): Promise<void> {
  if (!row) return;
  if (isTerminal(row.status as JobStatus)) return publish(env, { jobId: row.id, owner: row.owner, event: { kind: "end", row } });
  if (row.status === STATUS.queued) {
    return publish(env, { jobId: row.id, owner: row.owner, event: { kind: "queued", queuePosition: null }, queueKey: { id: row.id, priority: row.priority, createdAtMs: row.createdAtMs } });
  }
}

/**
 * A host's reports, in order per job: each waits for the one before it, so a watcher never sees a
 * job's output after its end, or progress before its start. Never awaited on the socket's path.
 */
export class OrderedPublisher {
  readonly #env: Env;
  readonly #background: (p: Promise<unknown>) => void;
  readonly #chains = new Map<string, Promise<void>>();

  constructor(env: Env, background: (p: Promise<unknown>) => void) {
    this.#env = env;
    this.#background = background;
  }

  say(p: Publish) {
    const next = (this.#chains.get(p.jobId) ?? Promise.resolve()).then(() => publish(this.#env, p));
    this.#chains.set(p.jobId, next);
    this.#background(next.finally(() => this.#chains.get(p.jobId) === next && this.#chains.delete(p.jobId)));
  }
}
