import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { db } from "../db/client";
import { jobs } from "../db/schema";
import type { Env } from "../env";
import { queuePositions } from "../jobs/queue-position";
import { ACTIVE, isTerminal, STATUS, type JobStatus } from "../jobs/states";
import { errorFields, log } from "../lib/log";
import type { JobEvent, Publish, QueueKey } from "./events";
import { Fanout } from "./fanout";
import { forwardable } from "./forward";
import { feedsOf } from "./interest";
import { eventsFromRow, JobState } from "./job-state";
import { ownerFeed } from "./publish";
import { renderCtx } from "./render";
import type { JobSubscribe } from "./subscribe";
import { hostObject } from "../hosts/object";

/** How long a placement is remembered for a long-poll that registers just after it. */
const PLACED_KEPT_MS = 60_000;
/** Events kept for Last-Event-ID resumes; older ones are summed up by the current state. */
const LOG_CAPACITY = 500;

/**
 * One object per job: the rendezvous between a long-poll of a queued job and whoever places it,
 * and the job's event stream (GET /jobs/:id/events). Publishers (the host's object, the cancel
 * route, the sweep) report changes here; each watcher gets them in order, numbered, and a late
 * watcher gets the current state first. Changes are passed on to the owner's feed (GET /events).
 * A host reports a job only while someone listens (see interest.ts): while this stream has
 * watchers it renews that interest with the job's host every heartbeat, and a host that no longer
 * holds the job sends it to D1 for where the job went. Memory only: an object that restarted
 * starts from the job as the Worker read it.
 */
export class JobWatchDO extends DurableObject<Env> {
  #placed: { hostId: string; atMs: number } | null = null;
  #waiters: ((hostId: string | null) => void)[] = [];
  readonly #fanout = new Fanout(LOG_CAPACITY, () => void this.#heartbeat());
  readonly #state = new JobState();
  #jobId: string | null = null;
  /** The host the job is on, as far as this stream knows: the one it asks to report here. */
  #hostId: string | null = null;
  #queueKey: QueueKey | null = null;
  #position: number | null = null;
  #forwarding: Promise<unknown> = Promise.resolve();
  #endForwarded = false;
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

  /** The job was placed on `hostId`; whether this stream has watchers (the host then reports here). */
  placed(hostId: string): boolean {
    this.#placed = { hostId, atMs: Date.now() };
    this.#hostId = hostId;
    for (const wake of this.#waiters) wake(hostId);
    this.#waiters = [];
    return this.#fanout.watched;
  }

  /** RPC: something happened to the job. Nothing follows its end. */
  async publish(p: Publish): Promise<void> {
    if (p.queueKey) this.#queueKey = p.queueKey;
    // A host's report says where the job is; a "back in the queue" from a host it already left (its
    // report late behind the new host's `placed`) says nothing.
    if (p.hostId) {
      if (p.event.kind !== "queued") this.#hostId = p.hostId;
      else if (p.hostId === this.#hostId) this.#hostId = null;
    }
    if (this.#state.ended) {
      // An end this stream learnt from D1 first (its host's report was still on the way) still goes
      // on to the feeds that listen, once.
      if (p.event.kind === "end" && p.owner && !this.#endForwarded) this.#forward(p);
      return;
    }
    let event = p.event;
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
    this.#jobId = sub.row.id;
    this.#queueKey ??= sub.queueKey;
    if (!this.#state.ended) {
      // What the Worker read is news only where nothing was published here (a queued job, a restart),
      // or when the end was (the publish lost): D1 has every end.
      // A job that runs while this stream only heard of its submit (nobody watched: its host did not report).
      const placed = this.#state.placed && !(this.#state.queued && ACTIVE.includes(sub.row.status as JobStatus));
      for (const e of eventsFromRow(sub.row, sub.queuePosition, { placed, started: this.#state.startedKnown })) this.#append(sub.row.id, e);
      if (sub.queuePosition !== null) this.#position = sub.queuePosition;
      if (ACTIVE.includes(sub.row.status as JobStatus) && sub.row.hostId) this.#hostId = sub.row.hostId;
      else if (sub.row.status === STATUS.queued && this.#placed) this.#hostId = this.#placed.hostId;
      // Before the watcher gets its response: from here on the host reports to this stream.
      await this.#follow();
    }
    const initial = this.#fanout.log.since(sub.lastEventId) ?? this.#state.current();
    // An EventSource reconnects after a stream closes unless told 204: nothing more will come.
    if (this.#state.ended && initial.length === 0) return new Response(null, { status: 204 });
    return this.#fanout.open(renderCtx(this.env, sub.origin), initial, { end: this.#state.ended });
  }

  #append(jobId: string, event: JobEvent) {
    const s = this.#fanout.log.append(jobId, event);
    this.#state.apply(s);
    this.#fanout.broadcast(s, event.kind === "end");
  }

  #positionNow(key: QueueKey): Promise<number | null> {
    return queuePositions(this.env.DB, [key]).then((m) => m.get(key.id) ?? null).catch(() => null);
  }

  /** Every 15 s while watched: renew with the job's host, or (no host known: queued, or a placement missed) ask D1. */
  #heartbeat() {
    if (this.#state.ended || !this.#jobId) return;
    void (this.#hostId ? this.#follow() : this.#catchUp(this.#jobId));
  }

  /** Asks the job's host to report here (a lease renewed every heartbeat), and takes in what it missed. */
  async #follow() {
    const jobId = this.#jobId;
    if (this.#state.ended || !jobId || !this.#hostId) return;
    const live = await hostObject(this.env, this.#hostId)
      .watch(jobId)
      .catch((e: unknown) => void log.warn("watch.follow_failed", { jobId, ...errorFields(e) }));
    if (live === undefined || this.#state.ended) return; // not reachable: the next heartbeat asks again
    if (live === null) return this.#catchUp(jobId);
    if (!this.#state.startedKnown && live.startedAtMs !== null) this.#append(jobId, { kind: "started", startedAtMs: live.startedAtMs });
    const p = live.progress;
    if (p && !this.#state.knowsProgress(p.value, p.max)) this.#append(jobId, { kind: "progress", ...p });
  }

  /**
   * D1 says where the job stands: when its host does not hold it (any more, or not yet), or no
   * host is known. A queued job's place in line moves as jobs ahead are placed.
   */
  async #catchUp(jobId: string) {
    const row = await db(this.env.DB).select().from(jobs).where(eq(jobs.id, jobId)).get().catch(() => undefined);
    if (!row || this.#state.ended) return;
    const status = row.status as JobStatus;
    if (isTerminal(status)) return this.#append(jobId, { kind: "end", row });
    if (status === STATUS.queued) {
      this.#hostId = null;
      this.#queueKey ??= { id: row.id, priority: row.priority, createdAtMs: row.createdAtMs };
      const position = await this.#positionNow(this.#queueKey);
      if (this.#state.ended || this.#hostId) return; // placed or ended meanwhile: that report says it
      if (!this.#state.queued || (position !== null && position !== this.#position)) {
        this.#position = position;
        this.#append(jobId, { kind: "queued", queuePosition: position });
      }
    } else if (row.hostId && row.hostId !== this.#hostId) {
      // Moved to another host while nobody told this stream: follow it there.
      this.#hostId = row.hostId;
      this.#append(jobId, { kind: "running", host: row.hostName });
      await this.#follow();
    }
  }

  /** To the owner's feed and the admins' feed, in order; a lost forward costs a dashboard one update. */
  #forward(p: Publish) {
    if (p.event.kind === "end") this.#endForwarded = true;
    const names = p.feeds ?? feedsOf(p.owner);
    if (names.length === 0) return;
    const feeds = names.map((name) => ownerFeed(this.env, name));
    this.#forwarding = this.#forwarding
      .then(() => Promise.all(feeds.map((f) => f.push(p))))
      .catch((e: unknown) => log.warn("watch.forward_failed", { jobId: p.jobId, ...errorFields(e) }));
  }
}
