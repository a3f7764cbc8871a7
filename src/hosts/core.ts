import { classifyRejection, outcomeOf, type Failure } from "../comfy/classify";
import { ComfyClient, ComfyUnreachable, type HistoryEntry } from "../comfy/client";
import type { Graph } from "../comfy/graph";
import { parseFrame, type ComfyEvent } from "../comfy/messages";
import { db, type Db } from "../db/client";
import { config, type Config, type Env } from "../env";
import { fail, markCanceled, markStarted, requeueOrFail, succeed, writeProgress } from "../jobs/outcomes";
import type { StoredOutput } from "../jobs/view";
import { errorFields, log } from "../lib/log";
import { claimNext } from "../scheduler/claim";
import type { HostTarget, Placement } from "../scheduler/place";
import { copyOutput, planOutputs, textOutput } from "../storage/outputs";
import { emitEvent, wakeTerminal } from "../webhooks/enqueue";
import { webhookSettings } from "../webhooks/settings";
import { markHost } from "./health";
import { prepareSubmit } from "./inputs";
import { executionTiming, jobTimeoutMs, timeoutFailure } from "./deadlines";
import { InflightStore, type Inflight } from "./inflight";
import { HostSocket } from "./socket";

const PROGRESS_WRITE_MS = 250;
/** How long a submitted prompt may stay silent on the socket before the tick asks ComfyUI directly. */
const SILENCE_POLL_MS = 3_000;
const INTERRUPT_GRACE_MS = 10_000;
const FAILURES_BEFORE_OFFLINE = 3;
/** Submits of one attempt that may fail in transit before the job is given to another host. */
const MAX_SUBMIT_DEFERRALS = 5;
/** How long a host remembers attempts it finished, against late duplicate dispatches. */
const SETTLED_KEPT_MS = 24 * 3_600_000;

const unreachable = (e: unknown): Failure => ({
  code: "COMFYUI_UNREACHABLE",
  message: `The ComfyUI host could not be reached: ${e instanceof Error ? e.message : String(e)}`,
  retryable: true,
});

/**
 * Everything one ComfyUI host needs: its socket, its in-flight prompts, their outcomes. The HostDO
 * around it only owns the platform parts (storage, alarm, RPC surface).
 */
export class HostCore {
  readonly #store: InflightStore;
  readonly #env: Env;
  readonly #cfg: Config;
  readonly #db: Db;
  readonly #armAlarm: (atMs: number) => Promise<void>;
  readonly #socket: HostSocket;
  #healthFailures = 0;
  #lastMarkedMs = 0;
  /** Attempts with a submit or reconcile under way in this instance: one operation per attempt at a time. */
  readonly #busy = new Set<string>();
  readonly #recheck = new Set<string>();
  readonly #deferrals = new Map<string, number>();
  readonly #lastProgressWrite = new Map<string, number>();
  /** When each attempt last offered a `progress` webhook (only jobs that asked for it get one). */
  readonly #lastProgressEvent = new Map<string, number>();
  readonly #waiters = new Map<string, (() => void)[]>();

  constructor(sql: SqlStorage, env: Env, armAlarm: (atMs: number) => Promise<void>) {
    this.#store = new InflightStore(sql);
    this.#env = env;
    this.#cfg = config(env);
    this.#db = db(env.DB);
    this.#armAlarm = armAlarm;
    this.#socket = new HostSocket(
      (data) => {
        const host = this.#host;
        if (host) void this.#onFrame(host, data);
      },
      { baseS: this.#cfg.WEBSOCKET_RECONNECT_DELAY_S, attempts: this.#cfg.WEBSOCKET_RECONNECT_ATTEMPTS },
    );
  }

  get #host(): HostTarget | null {
    return this.#store.getMeta<HostTarget>("host");
  }
  #client(host: HostTarget) {
    return new ComfyClient({ url: host.url, headers: host.headers });
  }

  /** RPC: take a claimed job. A second dispatch of the same attempt is a no-op. */
  async dispatch(p: Placement): Promise<void> {
    this.#store.setMeta("host", p.host);
    // A late or duplicated dispatch of an attempt this host already finished, or of a job canceled
    // before its dispatch arrived, must run nothing. (Every D1 write is fenced by attempt id besides.)
    if (this.#store.isSettled(p.attemptId)) {
      log.info("host.dispatch_ignored", { jobId: p.jobId, attemptId: p.attemptId });
      return;
    }
    if (this.#store.isSettled(`job:${p.jobId}`)) {
      if (await markCanceled(this.#db, p.jobId, p.attemptId, Date.now())) await wakeTerminal(this.#env, p.jobId);
      return;
    }
    const now = Date.now();
    const timeout = jobTimeoutMs(p.timeoutMs, this.#cfg.COMFYUI_TIMEOUT_MS);
    const added = this.#store.add({
      attemptId: p.attemptId, jobId: p.jobId, graphJson: p.graphJson, clientId: null, state: "pending",
      // Until it starts, a prompt may wait behind the one running (one slot's worth of time).
      dispatchedAtMs: now, startedAtMs: null, deadlineMs: now + 2 * timeout, lastEventAtMs: now, includePreviews: p.includePreviews,
    });
    await this.#armAlarm(now + this.#cfg.HOST_TICK_MS);
    if (!added) return;
    const attempt = this.#store.get(p.attemptId);
    if (attempt) await this.#submit(p.host, attempt, false);
  }

  /** RPC: the job went to `canceling`. Pending in ComfyUI → deleted; running → interrupted by prompt id. */
  async cancel(jobId: string): Promise<void> {
    const host = this.#host;
    const attempt = this.#store.byJob(jobId);
    if (!host) return;
    if (!attempt) {
      // The cancel overtook the dispatch: remember it, so the dispatch ends the job canceled instead
      // of running it (and if no dispatch ever comes, the sweep does).
      this.#store.markSettled(`job:${jobId}`, Date.now());
      return;
    }
    this.#store.update(attempt.attemptId, { state: "canceling" });
    const client = this.#client(host);
    try {
      await client.deletePending([attempt.attemptId]);
      await client.interrupt(attempt.attemptId);
    } catch (e) {
      log.warn("host.cancel_failed", { jobId, ...errorFields(e) });
    }
    await this.#reconcile(host, this.#store.get(attempt.attemptId));
  }

  knows(attemptId: string): boolean {
    return this.#store.get(attemptId) !== null;
  }

  /** RPC from the sweep: refresh the host's address and check on it now. */
  async check(host: HostTarget): Promise<void> {
    this.#store.setMeta("host", host);
    await this.tick();
  }

  /** RPC and alarm: deadlines, silent prompts, reconnects, health, pulling work. Re-arms while there is work. */
  async tick(): Promise<void> {
    const host = this.#host;
    if (!host) return;
    if (this.#store.count() === 0 && !(await this.#db.query.hosts.findFirst({ where: (h, { eq }) => eq(h.id, host.id) }))) {
      // The host was removed: forget it, so no alarm wakes this object again.
      this.#store.setMeta("host", null);
      this.#socket.close("host removed");
      return;
    }
    const now = Date.now();
    const client = this.#client(host);
    try {
      await client.systemStats(5_000);
      if (this.#healthFailures > 0 || now - this.#lastMarkedMs > 15_000) {
        await markHost(this.#db, host.id, { ok: true, nowMs: now });
        this.#lastMarkedMs = now;
      }
      this.#healthFailures = 0;
    } catch (e) {
      this.#healthFailures++;
      log.warn("host.health_failed", { host: host.name, failures: this.#healthFailures, ...errorFields(e) });
      if (this.#healthFailures >= FAILURES_BEFORE_OFFLINE) {
        await markHost(this.#db, host.id, { ok: false, nowMs: now, error: e instanceof Error ? e.message : String(e) });
        for (const a of this.#store.all()) await this.#retry(a, unreachable(e));
      }
      await this.#rearm();
      return;
    }
    this.#store.pruneSettled(now - SETTLED_KEPT_MS);
    await this.#ensureSocket(host);
    for (const a of this.#store.all()) {
      if (now >= a.deadlineMs) await this.#timeout(host, a, now);
      else if (a.state === "pending") await this.#submit(host, a, true);
      else if (this.#socket.clientId !== a.clientId || now - a.lastEventAtMs > SILENCE_POLL_MS || a.state === "canceling") await this.#reconcile(host, a);
    }
    await this.#pullNext(host);
    await this.#rearm();
  }

  /** While it has work the host ticks; while it is unreachable it keeps checking, more slowly, so it comes back by itself. */
  async #rearm() {
    if (this.#store.count() > 0) await this.#armAlarm(Date.now() + this.#cfg.HOST_TICK_MS);
    else if (this.#healthFailures > 0) await this.#armAlarm(Date.now() + this.#cfg.HOST_TICK_MS * 4);
    // An idle host is still checked, so /health and placement learn of a dead host before a job does.
    else await this.#armAlarm(Date.now() + this.#cfg.HOST_IDLE_CHECK_MS);
  }

  async #ensureSocket(host: HostTarget): Promise<void> {
    await this.#socket.ensure(host.name, this.#client(host));
  }

  /**
   * Submits an attempt with its id as ComfyUI's prompt_id. `recovering`: the attempt was found
   * pending by a tick, so an earlier submit may have reached ComfyUI before an eviction; ask first.
   */
  async #submit(host: HostTarget, a: Inflight, recovering: boolean): Promise<void> {
    if (this.#busy.has(a.attemptId)) return;
    this.#busy.add(a.attemptId);
    try {
      await this.#submitOnce(host, a, recovering);
    } finally {
      this.#busy.delete(a.attemptId);
    }
    await this.#recheckLater(host, a.attemptId);
  }

  async #recheckLater(host: HostTarget, attemptId: string) {
    if (!this.#recheck.delete(attemptId)) return;
    const a = this.#store.get(attemptId);
    if (a && a.state !== "pending") await this.#reconcile(host, a, 5);
  }

  async #submitOnce(host: HostTarget, a: Inflight, recovering: boolean): Promise<void> {
    const client = this.#client(host);
    try {
      if (recovering) {
        const q = await client.queue();
        if (q.running.includes(a.attemptId) || q.pending.includes(a.attemptId) || (await client.history(a.attemptId))) {
          this.#store.update(a.attemptId, { state: "submitted", clientId: a.clientId ?? "unknown" });
          return;
        }
      }
      await this.#ensureSocket(host);
      const clientId = this.#socket.clientId;
      if (!clientId) throw new ComfyUnreachable("no WebSocket to the host");
      this.#store.update(a.attemptId, { clientId });
      // Issue 7: input files go to this host first (every attempt), and the Comfy.org key rides in extra_data.
      const prepared = await prepareSubmit(this.#env, this.#cfg, this.#db, client, a.jobId, JSON.parse(a.graphJson) as Graph);
      const res = await client.submit(prepared.graph, clientId, a.attemptId, prepared.extraData);
      if (!res.ok) {
        await this.#settle(a, () => fail(this.#db, a.jobId, a.attemptId, classifyRejection(res.status, res.body), Date.now()));
        await this.#pullNext(host);
        return;
      }
      if (Object.keys(res.nodeErrors).length > 0) {
        // ComfyUI queued only the outputs that validated; the rest were dropped silently. Stop the live id.
        await client.deletePending([a.attemptId]).catch(() => undefined);
        await client.interrupt(a.attemptId).catch(() => undefined);
        await this.#settle(a, () => fail(this.#db, a.jobId, a.attemptId, classifyRejection(400, { error: { type: "prompt_outputs_failed_validation", message: "Some outputs failed validation" }, node_errors: res.nodeErrors }), Date.now()));
        return;
      }
      if (this.#store.get(a.attemptId)?.state === "canceling") {
        // A cancel arrived while the POST was in flight: carry it out now that ComfyUI has the prompt.
        await client.deletePending([a.attemptId]).catch(() => undefined);
        await client.interrupt(a.attemptId).catch(() => undefined);
        this.#recheck.add(a.attemptId);
        return;
      }
      this.#store.update(a.attemptId, { state: "submitted", lastEventAtMs: Date.now() });
      log.info("prompt.submitted", { jobId: a.jobId, attemptId: a.attemptId, host: host.name, number: res.number });
    } catch (e) {
      if (!(e instanceof ComfyUnreachable)) {
        log.error("prompt.submit_error", { jobId: a.jobId, ...errorFields(e) });
        await this.#retry(a, unreachable(e));
        return;
      }
      // The POST may or may not have reached ComfyUI. The attempt stays pending: the next tick asks
      // ComfyUI before submitting again, and health checks decide whether the host is gone.
      const deferrals = (this.#deferrals.get(a.attemptId) ?? 0) + 1;
      this.#deferrals.set(a.attemptId, deferrals);
      log.warn("prompt.submit_deferred", { jobId: a.jobId, attemptId: a.attemptId, host: host.name, deferrals, ...errorFields(e) });
      if (deferrals >= MAX_SUBMIT_DEFERRALS) {
        // The host answers health checks but will not take this prompt: give the job to another host.
        await markHost(this.#db, host.id, { ok: true, nowMs: Date.now(), error: e instanceof Error ? e.message : String(e) });
        await this.#retry(a, unreachable(e));
        return;
      }
      await this.#armAlarm(Date.now() + this.#cfg.HOST_TICK_MS);
    }
  }

  async #retry(a: Inflight, f: Failure) {
    await this.#settle(a, async () => {
      const result = await requeueOrFail(this.#db, this.#env.JOBS, a.jobId, a.attemptId, f, this.#cfg.MAX_ATTEMPTS, Date.now());
      log.warn("job.attempt_lost", { jobId: a.jobId, attemptId: a.attemptId, code: f.code, result });
    });
  }

  /** The attempt leaves this host: forget it, record the outcome in D1, then wake whoever waits on the job. */
  async #settle(a: Inflight, record: () => Promise<unknown>) {
    this.#store.remove(a.attemptId);
    this.#store.markSettled(a.attemptId, Date.now());
    this.#lastProgressWrite.delete(a.attemptId);
    this.#lastProgressEvent.delete(a.attemptId);
    try {
      await record();
    } finally {
      for (const wake of this.#waiters.get(a.jobId) ?? []) wake();
      this.#waiters.delete(a.jobId);
    }
    // A job that just ended has its webhook delivery in D1, written with the move; send it now.
    await wakeTerminal(this.#env, a.jobId);
  }

  /** RPC: resolves once the job leaves this host (or after `timeoutMs`); `false` when the host does not hold it. */
  async waitFor(jobId: string, timeoutMs: number): Promise<boolean> {
    if (!this.#store.byJob(jobId)) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(timeoutMs, 60_000));
      const list = this.#waiters.get(jobId) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.#waiters.set(jobId, list);
    });
    return true;
  }

  async #onFrame(host: HostTarget, data: string | ArrayBuffer) {
    const ev: ComfyEvent = parseFrame(data);
    if (ev.type === "other" || ev.type === "status") return;
    if (!ev.promptId) return;
    const a = this.#store.get(ev.promptId);
    if (!a) return;
    const now = Date.now();
    this.#store.update(a.attemptId, { lastEventAtMs: now });
    try {
      switch (ev.type) {
        case "execution_start": {
          const startedAtMs = ev.timestamp ?? now;
          // The deadline counts from when the GPU starts on it, not from the wait in ComfyUI's queue.
          const timeout = (a.deadlineMs - a.dispatchedAtMs) / 2;
          this.#store.update(a.attemptId, { startedAtMs, deadlineMs: now + timeout });
          await markStarted(this.#db, a.jobId, a.attemptId, startedAtMs);
          await emitEvent(this.#env, a.jobId, "started", now);
          break;
        }
        case "progress": {
          const last = this.#lastProgressWrite.get(a.attemptId) ?? 0;
          if (now - last < PROGRESS_WRITE_MS && ev.value < ev.max) break;
          this.#lastProgressWrite.set(a.attemptId, now);
          const percent = ev.max > 0 ? Math.round((ev.value / ev.max) * 100) : 0;
          await writeProgress(this.#db, a.jobId, a.attemptId, { node: ev.node, value: ev.value, max: ev.max, percent }, now);
          if (now - (this.#lastProgressEvent.get(a.attemptId) ?? 0) >= webhookSettings(this.#cfg).progressIntervalMs) {
            this.#lastProgressEvent.set(a.attemptId, now);
            await emitEvent(this.#env, a.jobId, "progress", now);
          }
          break;
        }
        case "executing":
          // `node: null` comes after the history entry is written: the safe moment to read it.
          if (ev.node === null) await this.#reconcile(host, a);
          break;
        case "execution_success":
        case "execution_error":
        case "execution_interrupted":
          await this.#reconcile(host, a, 5);
          break;
      }
    } catch (e) {
      log.error("host.frame_error", { host: host.name, type: ev.type, ...errorFields(e) });
    }
  }

  /**
   * Finds out where a submitted prompt stands by asking ComfyUI: finished (history), still queued
   * or running, or unknown (deleted, or lost to a restart).
   */
  async #reconcile(host: HostTarget, a: Inflight | null, historyTries = 1): Promise<void> {
    if (!a) return;
    if (this.#busy.has(a.attemptId)) {
      // Events that arrive while a submit or another reconcile runs are looked at right after it.
      this.#recheck.add(a.attemptId);
      return;
    }
    this.#busy.add(a.attemptId);
    try {
      const client = this.#client(host);
      let entry: HistoryEntry | null = null;
      for (let i = 0; i < historyTries && !entry; i++) {
        entry = await client.history(a.attemptId);
        if (!entry && i + 1 < historyTries) await new Promise((r) => setTimeout(r, 100));
      }
      if (entry) return await this.#finish(host, client, a, entry);
      const q = await client.queue();
      if (q.running.includes(a.attemptId) || q.pending.includes(a.attemptId)) return;
      // ComfyUI moves a prompt from the queue to history in one step; look again in case it did so between our two reads.
      entry = await client.history(a.attemptId);
      if (entry) return await this.#finish(host, client, a, entry);
      if (a.state === "canceling") {
        await this.#settle(a, () => markCanceled(this.#db, a.jobId, a.attemptId, Date.now()));
        return;
      }
      // Neither queued nor in history: ComfyUI restarted or someone cleared it. Run it again.
      await this.#retry(a, { code: "COMFYUI_UNREACHABLE", message: "The ComfyUI host lost the prompt (restarted or cleared its queue)", retryable: true });
    } catch (e) {
      log.warn("host.reconcile_failed", { host: host.name, attemptId: a.attemptId, ...errorFields(e) });
    } finally {
      this.#busy.delete(a.attemptId);
      if (!this.#store.get(a.attemptId)) await this.#pullNext(host).catch((e) => log.error("host.pull_failed", errorFields(e)));
      else await this.#recheckLater(host, a.attemptId);
    }
  }

  async #finish(host: HostTarget, client: ComfyClient, a: Inflight, entry: HistoryEntry) {
    const outcome = outcomeOf(entry);
    const now = Date.now();
    const current = this.#store.get(a.attemptId) ?? a;
    if (outcome.kind === "interrupted") {
      await this.#settle(a, () => {
        if (current.state === "canceling") return markCanceled(this.#db, a.jobId, a.attemptId, now);
        if (now >= a.deadlineMs) return fail(this.#db, a.jobId, a.attemptId, timeoutFailure(a), now);
        return fail(this.#db, a.jobId, a.attemptId, { code: "COMFYUI_INTERRUPTED", message: "The prompt was interrupted on the ComfyUI host", retryable: false }, now);
      });
      return;
    }
    if (outcome.kind === "failed") {
      await this.#settle(a, () => fail(this.#db, a.jobId, a.attemptId, outcome.failure, now));
      return;
    }
    const stored: StoredOutput[] = [];
    try {
      for (const o of planOutputs(entry, { includePreviews: a.includePreviews })) {
        stored.push(o.kind === "text" ? textOutput(o) : await copyOutput(client, this.#env.OUTPUTS, a.jobId, o));
      }
    } catch (e) {
      log.error("output.copy_failed", { jobId: a.jobId, ...errorFields(e) });
      return this.#retry(a, { code: "STORAGE_ERROR", message: `Copying outputs failed: ${e instanceof Error ? e.message : String(e)}`, retryable: true });
    }
    const timing = executionTiming(entry, current.startedAtMs);
    await this.#settle(a, () => succeed(this.#db, a.jobId, a.attemptId, stored, timing, Date.now()));
    log.info("job.succeeded", { jobId: a.jobId, host: host.name, outputs: stored.length, executionMs: timing.executionMs });
  }

  async #timeout(host: HostTarget, a: Inflight, now: number) {
    const client = this.#client(host);
    await client.deletePending([a.attemptId]).catch(() => undefined);
    await client.interrupt(a.attemptId).catch(() => undefined);
    // A prompt that never started is simply gone from the queue now. A running one stops at its next
    // progress step; a node that never reports one is given up on after a grace period.
    if (a.startedAtMs === null || now >= a.deadlineMs + INTERRUPT_GRACE_MS) {
      await this.#settle(a, () => fail(this.#db, a.jobId, a.attemptId, timeoutFailure(a), now));
      await this.#pullNext(host);
    } else {
      await this.#reconcile(host, a);
    }
  }

  /** Fills free slots with the next queued jobs, without waiting for a queue message. */
  async #pullNext(host: HostTarget) {
    // The claim itself checks that the host is online and has a free slot.
    while (this.#store.count() < host.slots) {
      const claimed = await claimNext(this.#env.DB, host, Date.now());
      if (!claimed) return;
      await this.dispatch({ ...claimed, host });
    }
  }
}
