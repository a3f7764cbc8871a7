import { ComfyClient } from "../comfy/client";
import { parseFrame } from "../comfy/messages";
import { db, type Db } from "../db/client";
import { config, type Config, type Env } from "../env";
import { claim, finishMove, requeueMove, runStateMove, type Claim, type HostTarget } from "../jobs/moves";
import type { JobRow } from "../db/schema";
import type { Progress } from "../jobs/view";
import { errorFields, log } from "../lib/log";
import { emitEvent, sendAttempt } from "../webhooks/enqueue";
import { webhookSettings } from "../webhooks/settings";
import { jobTimeoutMs } from "./deadlines";
import { markHost } from "./health";
import { InflightStore, type Inflight, type Outcome } from "./inflight";
import { freeSlots, nextAlarm, planFrame, planTick, type Timing } from "./planner";
import { stopPrompt, unreachable } from "./prompt";
import { HostSocket } from "./socket";
import { JobWaiters } from "./waiters";
import { AttemptRunner } from "./attempts";
import { LatestPreviews, type Preview } from "./previews";
import { parsePreviewFrame } from "../comfy/preview";
import type { ComfyEvent, NodeState } from "../comfy/messages";
import type { HostLive, JobEvent, Publish } from "../watch/events";
import { Interest, LEASE_MS } from "../watch/interest";
import { jobWatch, OrderedPublisher } from "../watch/publish";
import { lostDispatches, purgeDisowned } from "./recovery";
import { MODELS_TTL_MS, refreshHostModels } from "./models";

const FAILURES_BEFORE_OFFLINE = 3;
/** How long a host remembers attempts it finished, against late duplicate dispatches. */
const SETTLED_KEPT_MS = 24 * 3_600_000;
const ADOPT_CHECK_MS = 10_000;
/** How long a long-poll waits here for a dispatch D1 says is on its way before asking D1 again. */
const DISPATCH_GRACE_MS = 2_000;
/** How often a reachable host refreshes its `last_seen` in D1 when nothing else changed. */
const LAST_SEEN_WRITE_MS = 5 * 60_000;

export type Final = { row: JobRow | null };

/**
 * One ComfyUI host: its socket, its attempts, their outcomes. Decisions come from planner.ts; this
 * shell does the I/O. The HostDO around it owns only the platform parts (storage, alarm, RPC).
 */
export class HostCore {
  readonly #store: InflightStore;
  readonly #env: Env;
  readonly #cfg: Config;
  readonly #db: Db;
  readonly #timing: Timing;
  readonly #armAlarm: (atMs: number) => Promise<void>;
  readonly #background: (p: Promise<unknown>) => void;
  readonly #socket: HostSocket;
  #healthFailures = 0;
  #lastMarkedMs = 0;
  #lastAdoptCheckMs = 0;
  /** When this object last read the host's model lists; 0 = not since it started, so the first healthy tick reads them. */
  #modelsReadAtMs = 0;
  #recovered = false;
  readonly #attempts: AttemptRunner;
  readonly #clocks = new Map<string, { lastProgressWebhookAtMs: number; lastRunStateWriteAtMs: number }>();
  readonly #waiters = new JobWaiters();
  readonly #publisher: OrderedPublisher;
  readonly #previews = new LatestPreviews();
  /** Which jobs' streams and which feeds listen now: nobody's job is reported to nobody. */
  readonly #interest = new Interest();
  /** Per attempt, ComfyUI's per-node progress (`progress_state`), sent with the next `progress`. */
  readonly #nodes = new Map<string, Record<string, NodeState>>();
  /** The prompt ComfyUI is executing now: type-1 previews carry no prompt id and belong to it. */
  #executing: string | null = null;

  constructor(sql: SqlStorage, env: Env, armAlarm: (atMs: number) => Promise<void>, background: (p: Promise<unknown>) => void) {
    this.#store = new InflightStore(sql);
    this.#env = env;
    this.#cfg = config(env);
    this.#db = db(env.DB);
    this.#armAlarm = armAlarm;
    this.#background = background;
    this.#timing = {
      tickMs: this.#cfg.HOST_TICK_MS,
      idleCheckMs: this.#cfg.HOST_IDLE_CHECK_MS,
      silencePollMs: 3_000,
      interruptGraceMs: 10_000,
      queuedOnHostMaxMs: this.#cfg.HOST_QUEUE_WAIT_MS,
      progressWebhookMs: webhookSettings(this.#cfg).progressIntervalMs,
      runStateWriteMs: 10_000,
    };
    this.#publisher = new OrderedPublisher(env, background);
    for (const [name, until] of Object.entries(this.#store.getMeta<Record<string, number>>("feeds") ?? {})) this.#interest.openFeed(name, until);
    this.#socket = new HostSocket((data) => this.#onFrame(data), { baseS: this.#cfg.WEBSOCKET_RECONNECT_DELAY_S, attempts: this.#cfg.WEBSOCKET_RECONNECT_ATTEMPTS });
    this.#attempts = new AttemptRunner({
      store: this.#store, socket: this.#socket, env, cfg: this.#cfg, db: this.#db, client: (h) => this.#client(h),
      end: (a, o) => this.#end(a, o), mark: (jobId, step) => this.#waiters.mark(jobId, step),
      stored: (a, output) => this.#say(a, { kind: "output", output }),
    });
  }

  get #host(): HostTarget | null {
    return this.#store.getMeta<HostTarget>("host");
  }
  #client(host: HostTarget) {
    return new ComfyClient({ url: host.url, headers: host.headers });
  }

  /**
   * RPC: take a claimed job. The attempt is stored before the first await, so anything that reaches
   * this object after the call was sent sees it; the call then carries the submit through (I/O is
   * done inside the call that started it). Placers do not wait for it: see scheduler/place.ts.
   */
  async dispatch(c: Claim): Promise<void> {
    this.#store.setMeta("host", c.host);
    await this.#take(c);
  }

  async #take(c: Claim) {
    const { host, ...claimed } = c;
    // A late or duplicated dispatch of an attempt this host already finished runs nothing.
    if (this.#store.isSettled(c.attemptId)) return log.info("host.dispatch_ignored", { jobId: c.jobId, attemptId: c.attemptId });
    const now = Date.now();
    if (!this.#store.add(claimed, now, jobTimeoutMs(c.timeoutMs, this.#cfg.COMFYUI_TIMEOUT_MS))) return;
    const a = this.#store.get(c.attemptId)!;
    this.#waiters.mark(c.jobId, "dispatched", true);
    // A long-poll waiting on the queued job learns where it went (and then waits here); a stream
    // that watched it in the queue says so, and is reported to from here on.
    if (c.watched) {
      const streamed = await jobWatch(this.#env, c.jobId).placed(host.id).catch((e: unknown) => log.warn("job.watch_failed", { jobId: c.jobId, ...errorFields(e) }));
      if (streamed) this.#interest.watchJob(c.jobId, Date.now() + LEASE_MS);
    }
    this.#say(a, { kind: "running", host: host.name });
    // The cancel overtook the dispatch: end it canceled instead of running it.
    if (this.#store.isSettled(`job:${c.jobId}`)) return this.#end(a, { kind: "canceled", startedAtMs: null, progress: null });
    await this.#rearm();
    await this.#attempts.submit(host, a, false);
  }

  /** RPC: the job went to `canceling`. Waiting in ComfyUI → deleted; running → interrupted by prompt id. */
  async cancel(jobId: string): Promise<void> {
    const host = this.#host;
    const a = this.#store.byJob(jobId);
    if (!host) return;
    if (!a) {
      // The cancel overtook the dispatch: remember it, so the dispatch ends the job canceled.
      this.#store.markSettled(`job:${jobId}`, Date.now());
      return;
    }
    if (a.phase === "ended") return;
    this.#store.update(a.attemptId, { phase: "canceling" });
    await stopPrompt(this.#client(host), a.attemptId);
    await this.#attempts.reconcile(host, a.attemptId);
  }

  knows(attemptId: string): boolean {
    return this.#store.get(attemptId) !== null;
  }

  /** RPC: the steps of a job's last attempt on this host, with their times. */
  trace(jobId: string): Record<string, number> | null {
    return this.#waiters.trace(jobId);
  }

  /** RPC: the latest preview ComfyUI sent of a job running here (GET /jobs/:id/preview). */
  preview(jobId: string): Preview | null {
    return this.#previews.get(jobId);
  }

  /** Tells the job's watchers (its JobWatchDO) in order, without waiting; nothing when nobody listens. */
  #say(a: Pick<Inflight, "jobId" | "claim">, event: JobEvent, extra: Pick<Publish, "queueKey"> = {}) {
    const owner = a.claim.owner ?? "";
    const to = this.#interest.targets(a.jobId, owner, Date.now());
    if (to) this.#publisher.say({ jobId: a.jobId, owner, event, hostId: this.#host?.id, feeds: to.feeds, ...extra });
  }

  /** RPC: what GET /jobs/:id shows of a running job that D1 does not have yet. */
  live(jobId: string): HostLive {
    const a = this.#store.byJob(jobId);
    return a ? { startedAtMs: a.startedAtMs, progress: a.progress } : null;
  }

  /** RPC from a job's stream while it has watchers: report this job to it (for LEASE_MS), and what it has missed. */
  watch(jobId: string): HostLive {
    this.#interest.watchJob(jobId, Date.now() + LEASE_MS);
    return this.live(jobId);
  }

  /** RPC from a feed (GET /events) while it has watchers: report its jobs to it until `untilMs`. */
  feed(name: string, untilMs: number): void {
    const now = Date.now();
    this.#interest.openFeed(name, Math.min(untilMs, now + LEASE_MS));
    // Kept across a restart of this object: a job stream catches up from D1, a dashboard's feed cannot.
    this.#store.setMeta("feeds", this.#interest.openFeeds(now));
  }

  /**
   * RPC: resolves with the job's finished row once it leaves this host (or `row: null` when it went
   * back to the queue), or `null` after `timeoutMs`; `undefined` when the host does not hold it.
   */
  async waitFor(jobId: string, timeoutMs: number, attemptId?: string): Promise<Final | null | undefined> {
    if (this.#waiters.hasFinal(jobId) || this.#store.byJob(jobId)) return this.#waiters.wait(jobId, timeoutMs);
    // D1 gave this host the attempt, but its dispatch is still on the way (it follows the submit's
    // answer): wait for the job here a little instead of sending the caller back to D1 in a loop.
    if (!attemptId || this.#store.isSettled(attemptId)) return undefined;
    const graceMs = Math.min(timeoutMs, DISPATCH_GRACE_MS);
    const early = await this.#waiters.wait(jobId, graceMs);
    if (early) return early;
    return this.#store.byJob(jobId) ? this.#waiters.wait(jobId, timeoutMs - graceMs) : undefined;
  }

  /** RPC from the sweep: refresh the host's address and check on it now. */
  async check(host: HostTarget): Promise<void> {
    this.#store.setMeta("host", host);
    // Armed before the tick's I/O (a health check, a socket to open): a first check that hangs
    // must not leave a new host without the alarm that checks on it again.
    await this.#rearm();
    await this.tick();
  }

  /** Alarm: health, deadlines, silent prompts, adoption of lost dispatches, then the next alarm. */
  async tick(): Promise<void> {
    const host = this.#host;
    if (!host) return;
    const now = Date.now();
    if (this.#store.count() === 0 && !(await this.#db.query.hosts.findFirst({ columns: { id: true }, where: (h, { eq }) => eq(h.id, host.id) }))) {
      // The host was removed: forget it, so no alarm wakes this object again.
      this.#store.setMeta("host", null);
      this.#socket.close("host removed");
      return;
    }
    if (!(await this.#health(host, now))) return this.#rearm();
    this.#store.pruneSettled(now - SETTLED_KEPT_MS);
    this.#waiters.prune(now);
    this.#interest.prune(now);
    await this.#socket.ensure(host.name, this.#client(host));
    for (const act of planTick(this.#store.all(), this.#socket.clientId, now, this.#timing)) {
      const a = this.#store.get(act.attemptId);
      if (!a) continue;
      if (act.do === "record") await this.#record(a);
      else if (act.do === "timeout") await this.#attempts.timeout(host, a, act.final);
      else if (act.do === "submit") await this.#attempts.submit(host, a, true);
      else if (act.do === "move") await this.#attempts.move(host, a);
      else await this.#attempts.reconcile(host, a.attemptId);
    }
    if (now - this.#lastAdoptCheckMs >= ADOPT_CHECK_MS) await this.#adopt(host, now);
    // A host that just came back takes work at once; one with work keeps its slots full.
    if (freeSlots(this.#store.all(), host.slots) > 0 && (this.#store.count() > 0 || this.#recovered)) await this.#pull(host);
    this.#recovered = false;
    await this.#rearm();
  }

  async #rearm() {
    await this.#armAlarm(nextAlarm(this.#store.all(), this.#healthFailures, Date.now(), this.#timing));
  }

  /** `/system_stats`; D1 hears of it only when the host changes state (or rarely, for last_seen). */
  async #health(host: HostTarget, now: number): Promise<boolean> {
    const client = this.#client(host);
    try {
      await client.systemStats(5_000);
    } catch (e) {
      this.#healthFailures++;
      log.warn("host.health_failed", { host: host.name, failures: this.#healthFailures, ...errorFields(e) });
      if (this.#healthFailures === FAILURES_BEFORE_OFFLINE) {
        await markHost(this.#db, host.id, { ok: false, nowMs: now, error: e instanceof Error ? e.message : String(e) });
        this.#lastMarkedMs = now;
      }
      if (this.#healthFailures >= FAILURES_BEFORE_OFFLINE) {
        for (const a of this.#store.all()) if (a.phase !== "ended") await this.#end(a, { kind: "requeue", failure: unreachable(e), refund: false });
        for (const a of this.#store.all()) await this.#record(a);
      }
      return false;
    }
    const recovered = this.#healthFailures > 0;
    if (recovered || now - this.#lastMarkedMs > LAST_SEEN_WRITE_MS) {
      await markHost(this.#db, host.id, { ok: true, nowMs: now });
      this.#lastMarkedMs = now;
    }
    if (recovered && this.#healthFailures >= FAILURES_BEFORE_OFFLINE) {
      await purgeDisowned(this.#client(host), this.#store, host.name);
      this.#recovered = true;
    }
    // Placement matches jobs to the lists on the host's row: read them when the host (re)appears and
    // every MODELS_TTL_MS, off the tick's path; a job that waited for a model this host now lists is pulled.
    if (recovered || now - this.#modelsReadAtMs >= MODELS_TTL_MS) {
      this.#modelsReadAtMs = now;
      this.#background(
        refreshHostModels(this.#db, host, now)
          .then((m) => (m ? this.#pull(host) : undefined))
          .catch((e: unknown) => log.warn("host.pull_failed", { host: host.name, ...errorFields(e) })),
      );
    }
    this.#healthFailures = 0;
    return true;
  }

  /** Claims D1 gave this host whose dispatch never arrived are run here, under the same attempt id. */
  async #adopt(host: HostTarget, now: number) {
    this.#lastAdoptCheckMs = now;
    for (const c of await lostDispatches(this.#env.DB, this.#store, host, now)) {
      log.warn("host.claim_adopted", { host: host.name, jobId: c.jobId, attemptId: c.attemptId });
      await this.#take(c);
    }
  }

  /** The outcome is stored here first, so a crash before D1 has it loses nothing; then D1 is written. */
  async #end(a: Inflight, outcome: Outcome) {
    this.#store.update(a.attemptId, { phase: "ended", outcome });
    const ended = this.#store.get(a.attemptId);
    if (ended) await this.#record(ended);
  }

  /** Writes an ended attempt's outcome to D1; only then is it forgotten. A failed write is retried by the tick. */
  async #record(a: Inflight) {
    const o = a.outcome;
    if (!o) return;
    const host = this.#host;
    const now = Date.now();
    let row: JobRow | null;
    let webhook: { deliveryId: string } | null;
    let requeued: JobRow | null = null;
    let next: Claim | null = null;
    let more = false;
    try {
      if (o.kind === "requeue") {
        const r = await requeueMove(this.#env.DB, a.jobId, a.attemptId, o.failure, this.#cfg.MAX_ATTEMPTS, now, { startedAtMs: a.startedAtMs, progress: a.progress }, o.refund, host && !o.refund ? host.id : undefined);
        log.warn("job.attempt_lost", { jobId: a.jobId, attemptId: a.attemptId, host: host?.name, code: o.failure.code, result: r.result });
        ({ webhook } = r);
        row = r.result === "requeued" ? null : r.row;
        if (r.result === "requeued") requeued = r.row;
        // The queue message wakes placement on whichever host is free; a healthy host also pulls
        // at once below (it may well be the one to take the job again, after a restart of ComfyUI).
        if (r.result === "requeued") {
          // A prompt moved off this host goes elsewhere; one lost by a restarted ComfyUI may come back here.
          more = !o.refund;
          await this.#env.JOBS.send({ jobId: a.jobId }).catch((e: unknown) => log.warn("queue.send_failed", { jobId: a.jobId, ...errorFields(e) }));
        }
      } else {
        // A healthy host refills the freed slot in the same round trip.
        const r = await finishMove(this.#env.DB, a.jobId, a.attemptId, o, now, host && this.#healthFailures === 0 ? host.id : undefined);
        ({ row, webhook, next, more } = r);
        if (row) log.info("job.ended", { jobId: a.jobId, status: row.status, host: host?.name });
      }
    } catch (e) {
      log.error("job.record_failed", { jobId: a.jobId, attemptId: a.attemptId, ...errorFields(e) });
      return;
    }
    this.#waiters.mark(a.jobId, "terminalRow");
    this.#store.remove(a.attemptId, now);
    this.#attempts.forget(a.attemptId);
    this.#clocks.delete(a.attemptId);
    this.#waiters.finished(a.jobId, row, now);
    this.#previews.drop(a.jobId);
    this.#nodes.delete(a.attemptId);
    if (row) this.#say(a, { kind: "end", row });
    else if (requeued) this.#say(a, { kind: "queued", queuePosition: null }, { queueKey: { id: requeued.id, priority: requeued.priority, createdAtMs: requeued.createdAtMs } });
    if (webhook) await sendAttempt(this.#env, { deliveryId: webhook.deliveryId, attempt: 1 });
    if (next) await this.#take(next);
    if (host && more && this.#healthFailures === 0 && freeSlots(this.#store.all(), host.slots) > 0) await this.#pull(host);
  }

  /** Fills free slots with queued jobs, one claim (one D1 round trip) each, while work is waiting. */
  async #pull(host: HostTarget) {
    while (freeSlots(this.#store.all(), host.slots) > 0) {
      const got = await claim(this.#env.DB, Date.now(), host.id);
      if (got.claim) await this.#take(got.claim);
      if (!got.claim || !got.more) return;
    }
  }

  /** A binary frame: a preview of the prompt it names (type 4) or of the one executing now (type 1). */
  #onPreview(data: ArrayBuffer) {
    const f = parsePreviewFrame(data);
    const promptId = f?.promptId ?? this.#executing;
    const a = f && promptId ? this.#store.get(promptId) : null;
    if (!f || !a || a.phase === "ended") return;
    const p = this.#previews.offer(a.jobId, f, Date.now());
    if (p) this.#say(a, { kind: "preview", node: p.node, contentType: p.contentType, size: p.bytes.byteLength, atMs: p.atMs, bytes: p.bytes });
  }

  #onFrame(data: string | ArrayBuffer) {
    if (typeof data !== "string") return this.#onPreview(data);
    const ev = parseFrame(data);
    if (ev.type === "other" || ev.type === "status" || !ev.promptId) return;
    const a = this.#store.get(ev.promptId);
    const host = this.#host;
    if (!a || !host || a.phase === "ended") return;
    const now = Date.now();
    this.#tell(a, ev);
    const clocks = this.#clocks.get(a.attemptId) ?? { lastProgressWebhookAtMs: 0, lastRunStateWriteAtMs: 0 };
    this.#clocks.set(a.attemptId, clocks);
    const plan = planFrame(a, ev, now, this.#timing, clocks);
    const { lastEventAtMs, progress, ...durable } = plan.patch;
    if (ev.type === "execution_start") this.#waiters.mark(a.jobId, "executionStart");
    if (ev.type === "executing" && ev.node === null) this.#waiters.mark(a.jobId, "executingNull");
    this.#store.touch(a.attemptId, { lastEventAtMs: lastEventAtMs ?? now, ...(progress ? { progress } : {}) });
    // Only the start (and the deadline it moves) must survive a restart.
    if (durable.startedAtMs !== undefined) this.#store.update(a.attemptId, durable);
    if (plan.patch.deadlineMs !== undefined) this.#background(this.#rearm());
    if (plan.emit) {
      if (plan.emit === "progress") clocks.lastProgressWebhookAtMs = now;
      this.#background(emitEvent(this.#env, a.jobId, plan.emit, now));
    }
    if (plan.writeRunState) {
      clocks.lastRunStateWriteAtMs = now;
      const cur = this.#store.get(a.attemptId)!;
      this.#background(runStateMove(this.#env.DB, a.jobId, a.attemptId, { startedAtMs: cur.startedAtMs, progress: cur.progress }, now).catch((e: unknown) => log.warn("job.run_state_failed", { jobId: a.jobId, ...errorFields(e) })));
    }
    if (plan.reconcile) this.#background(this.#attempts.reconcile(host, a.attemptId));
    if (progress) this.#say(a, { kind: "progress", ...progress, ...(this.#nodes.has(a.attemptId) ? { nodes: this.#nodes.get(a.attemptId)! } : {}) });
  }

  /** What a frame tells the job's watchers besides its progress (sent once planFrame computed it). */
  #tell(a: Inflight, ev: Exclude<ComfyEvent, { type: "other" | "status" }>) {
    if (ev.type === "execution_start") {
      this.#executing = a.attemptId;
      this.#say(a, { kind: "started", startedAtMs: ev.timestamp ?? Date.now() });
    } else if (ev.type === "executing") {
      this.#executing = ev.node === null ? null : a.attemptId;
      if (ev.node !== null) this.#say(a, { kind: "executing", node: ev.node });
    } else if (ev.type === "progress_state") this.#nodes.set(a.attemptId, ev.nodes);
  }
}

