import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { queuePositions } from "../jobs/queue-position";
import { errorFields, log } from "../lib/log";
import type { Publish, QueueKey } from "./events";
import { Fanout } from "./fanout";
import { forwardable } from "./forward";
import { eventsFromRow, JobState } from "./job-state";
import { renderCtx } from "./render";
import type { JobSubscribe } from "./subscribe";

/** How long a placement is remembered for a long-poll that registers just after it. */
const PLACED_KEPT_MS = 60_000;
/** Events kept for Last-Event-ID resumes; older ones are summed up by the current state. */
const LOG_CAPACITY = 500;

/**
 * One object per job: the rendezvous between a long-poll of a queued job and whoever places it,
 * and the job's event stream (GET /jobs/:id/events). Publishers (the host's object, the cancel
 * route, the sweep) report every change here; each watcher gets them in order, numbered, and a late
 * watcher gets the current state first. Changes are passed on to the owner's feed (GET /events).
 * Memory only: an object that restarted starts from the job as the Worker read it.
 */
export class JobWatchDO extends DurableObject<Env> {
  #placed: { hostId: string; atMs: number } | null = null;
  #waiters: ((hostId: string | null) => void)[] = [];
  readonly #fanout = new Fanout(LOG_CAPACITY, () => void this.#refreshPosition());
  readonly #state = new JobState();
  #queueKey: QueueKey | null = null;
  #position: number | null = null;
  #forwarding: Promise<unknown> = Promise.resolve();
  readonly #forwardedAt = new Map<string, number>();

  /** The host the job was placed on, as soon as it is; `null` after `timeoutMs`. */
  waitPlaced(timeoutMs: number): Promise<string | null> {
    if (this.#placed && Date.now() - this.#placed.atMs < PLACED_KEPT_MS) return Promise.resolve(this.#placed.hostId);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve(null);
      }, timeoutMs);
      const wake = (hostId: string | null) => {
        clearTimeout(timer);
        resolve(hostId);
      };
      this.#waiters.push(wake);
    });
  }

  placed(hostId: string): void {
    this.#placed = { hostId, atMs: Date.now() };
    for (const wake of this.#waiters) wake(hostId);
    this.#waiters = [];
  }

  /** RPC: something happened to the job. Nothing follows its end. */
  async publish(p: Publish): Promise<void> {
    if (p.queueKey) this.#queueKey = p.queueKey;
    if (this.#state.ended) return;
    let event = p.event;
    if (event.kind === "queued" && event.submitted && this.#state.placed) return;
    // A job back in the queue: its place in line, for whoever watches.
    if (event.kind === "queued" && event.queuePosition === null && this.#fanout.watched && this.#queueKey) {
      this.#position = await this.#positionNow(this.#queueKey);
      event = { ...event, queuePosition: this.#position };
    }
    this.#append(p.jobId, event);
    // Feeds carry previews without their bytes: they say there is a new one; GET /jobs/:id/preview has it.
    if (p.owner && forwardable(event, this.#forwardedAt, Date.now())) this.#forward({ ...p, event: event.kind === "preview" ? { ...event, bytes: null } : event });
  }

  /** A watcher connects (the Worker checked it may): resume after its Last-Event-ID, else the current state. */
  override async fetch(req: Request): Promise<Response> {
    const sub = (await req.json()) as JobSubscribe;
    this.#queueKey ??= sub.queueKey;
    if (!this.#state.ended) {
      // What the Worker read is news only where nothing was published here (a queued job, a restart),
      // or when the end was (the publish lost): D1 has every end.
      for (const e of eventsFromRow(sub.row, sub.queuePosition, { placed: this.#state.placed, started: this.#state.startedKnown })) this.#append(sub.row.id, e);
      if (sub.queuePosition !== null) this.#position = sub.queuePosition;
    }
    const initial = this.#fanout.log.since(sub.lastEventId) ?? this.#state.current();
    // An EventSource reconnects after a stream closes unless told 204: nothing more will come.
    if (this.#state.ended && initial.length === 0) return new Response(null, { status: 204 });
    return this.#fanout.open(renderCtx(this.env, sub.origin), initial, { end: this.#state.ended });
  }

  #append(jobId: string, event: Publish["event"]) {
    const s = this.#fanout.log.append(jobId, event);
    this.#state.apply(s);
    this.#fanout.broadcast(s, event.kind === "end");
  }

  #positionNow(key: QueueKey): Promise<number | null> {
    return queuePositions(this.env.DB, [key]).then((m) => m.get(key.id) ?? null).catch(() => null);
  }

  /** While a watched job waits in the queue, its place in line moves as jobs ahead are placed. */
  async #refreshPosition() {
    if (!this.#state.queued || !this.#queueKey) return;
    const now = await this.#positionNow(this.#queueKey);
    if (now !== null && now !== this.#position && this.#state.queued) {
      this.#position = now;
      this.#append(this.#queueKey.id, { kind: "queued", queuePosition: now });
    }
  }

  /** To the owner's feed and the admins' feed, in order; a lost forward costs a dashboard one update. */
  #forward(p: Publish) {
    const feeds = [`owner:${p.owner}`, "all"].map((name) => this.env.OWNER_FEED.get(this.env.OWNER_FEED.idFromName(name)));
    this.#forwarding = this.#forwarding
      .then(() => Promise.all(feeds.map((f) => f.push(p))))
      .catch((e: unknown) => log.warn("watch.forward_failed", { jobId: p.jobId, ...errorFields(e) }));
  }
}
