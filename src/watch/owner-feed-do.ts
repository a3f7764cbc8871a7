import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { Publish } from "./events";
import { Fanout } from "./fanout";
import { renderCtx } from "./render";
import type { FeedSubscribe } from "./subscribe";

/** Events kept for Last-Event-ID resumes of a dashboard's stream. */
const FEED_CAPACITY = 1_000;

/**
 * One object per owner (`owner:<id>`) and one for admins (`all`): the stream of all their jobs'
 * changes (GET /events), passed on by each job's JobWatchDO with progress and previews thinned out.
 * No current state: a dashboard lists the jobs (GET /jobs) and follows them from here.
 */
export class OwnerFeedDO extends DurableObject<Env> {
  readonly #fanout = new Fanout(FEED_CAPACITY);

  /** RPC from a JobWatchDO. */
  push(p: Publish): void {
    this.#fanout.broadcast(this.#fanout.log.append(p.jobId, p.event));
  }

  override async fetch(req: Request): Promise<Response> {
    const sub = (await req.json()) as FeedSubscribe;
    return this.#fanout.open(renderCtx(this.env, sub.origin), this.#fanout.log.since(sub.lastEventId) ?? [], { maxMs: sub.maxMs });
  }
}
