import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { errorFields, log } from "../lib/log";
import type { Publish } from "./events";
import { Fanout } from "./fanout";
import { LEASE_MS } from "./interest";
import { renderCtx } from "./render";
import type { FeedSubscribe } from "./subscribe";
import { hostObject } from "../hosts/object";

/** Events kept for Last-Event-ID resumes of a dashboard's stream. */
const FEED_CAPACITY = 1_000;
/** How many recently placed jobs a feed remembers (a submit's report trails its host's by milliseconds). */
const PLACED_KEPT = 5_000;

/**
 * One object per owner (`owner:<id>`) and one for admins (`all`): the stream of all their jobs'
 * changes (GET /events), passed on by each job's JobWatchDO with progress and previews thinned out.
 * Hosts report a job only while someone listens (see interest.ts): while this feed has watchers it
 * tells every host so when one connects and on every heartbeat (a host added meanwhile hears it
 * within one). No current state: a dashboard lists the jobs (GET /jobs) and follows them from here.
 */
export class OwnerFeedDO extends DurableObject<Env> {
  readonly #fanout = new Fanout(FEED_CAPACITY, () => void this.#announce());
  #name: string | null = null;
  /** Jobs this feed saw leave the queue, newest last: against a submit's report arriving after. */
  readonly #placed = new Set<string>();

  /** RPC from a JobWatchDO, or from POST /jobs (`submitted`). */
  push(p: Publish): void {
    // The submit's report travels apart from its host's: one that arrives after the job was placed is stale.
    if (p.event.kind === "queued" && p.event.submitted && this.#placed.has(p.jobId)) return;
    if (p.event.kind !== "queued") this.#remember(p.jobId);
    this.#fanout.broadcast(this.#fanout.log.append(p.jobId, p.event));
  }

  #remember(jobId: string) {
    this.#placed.delete(jobId);
    this.#placed.add(jobId);
    if (this.#placed.size > PLACED_KEPT) this.#placed.delete(this.#placed.values().next().value!);
  }

  override async fetch(req: Request): Promise<Response> {
    const sub = (await req.json()) as FeedSubscribe;
    this.#name = sub.name;
    // Before the watcher gets its response: from here on every host reports this feed's jobs.
    await this.#announce();
    return this.#fanout.open(renderCtx(this.env, sub.origin), this.#fanout.log.since(sub.lastEventId) ?? [], { maxMs: sub.maxMs });
  }

  async #announce() {
    const name = this.#name;
    if (!name) return;
    const untilMs = Date.now() + LEASE_MS;
    try {
      const { results } = await this.env.DB.prepare("SELECT id FROM hosts").all<{ id: string }>();
      await Promise.all(results.map((h) => hostObject(this.env, h.id).feed(name, untilMs)));
    } catch (e) {
      log.warn("watch.announce_failed", { feed: name, ...errorFields(e) });
    }
  }
}
