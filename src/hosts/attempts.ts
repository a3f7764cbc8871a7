import type { ComfyClient } from "../comfy/client";
import type { Db } from "../db/client";
import type { Config, Env } from "../env";
import type { HostTarget } from "../jobs/moves";
import { errorFields, log } from "../lib/log";
import { timeoutFailure } from "./deadlines";
import { markHost, markHostBusy } from "./health";
import type { Inflight, InflightStore, Outcome } from "./inflight";
import { collect, lookUp, stopPrompt, submitPrompt, unreachable } from "./prompt";
import type { HostSocket } from "./socket";
import type { StoredOutput } from "../storage/outputs";

/** Submits of one attempt that may fail in transit before the job is given to another host. */
const MAX_SUBMIT_DEFERRALS = 5;

export type AttemptDeps = {
  store: InflightStore;
  socket: HostSocket;
  env: Env;
  cfg: Config;
  db: Db;
  client: (host: HostTarget) => ComfyClient;
  /** Stores an attempt's outcome and records it in D1 (HostCore.#end). */
  end: (a: Inflight, outcome: Outcome) => Promise<void>;
  mark: (jobId: string, step: string) => void;
  /** An output of the attempt is in R2 (for the job's watchers). */
  stored: (a: Inflight, o: StoredOutput) => void;
};

/**
 * One host's conversations with ComfyUI about its attempts: submit, look up, time out, move. One
 * conversation per attempt at a time; an event that arrives meanwhile gets a lookup right after.
 * Outcomes go to `end`; nothing here writes D1's jobs table.
 */
export class AttemptRunner {
  readonly #d: AttemptDeps;
  readonly #busy = new Set<string>();
  readonly #recheck = new Set<string>();
  readonly #deferrals = new Map<string, number>();

  constructor(deps: AttemptDeps) {
    this.#d = deps;
  }

  forget(attemptId: string) {
    this.#deferrals.delete(attemptId);
  }

  /** Runs `fn` unless a conversation with ComfyUI about this attempt is under way; then runs a lookup after it. */
  async #exclusive(host: HostTarget, attemptId: string, fn: () => Promise<void>) {
    if (this.#busy.has(attemptId)) {
      this.#recheck.add(attemptId);
      return;
    }
    this.#busy.add(attemptId);
    try {
      await fn();
    } catch (e) {
      log.warn("host.attempt_step_failed", { host: host.name, attemptId, ...errorFields(e) });
    } finally {
      this.#busy.delete(attemptId);
    }
    if (this.#recheck.delete(attemptId)) {
      const a = this.#d.store.get(attemptId);
      if (a && (a.phase === "submitted" || a.phase === "canceling")) await this.reconcile(host, attemptId);
    }
  }

  async submit(host: HostTarget, first: Inflight, recovering: boolean): Promise<void> {
    await this.#exclusive(host, first.attemptId, async () => {
      const a = this.#d.store.get(first.attemptId);
      if (!a || a.phase !== "pending") return;
      const client = this.#d.client(host);
      await this.#d.socket.ensure(host.name, client);
      const clientId = this.#d.socket.clientId;
      const res = clientId
        ? await submitPrompt(this.#d.env, this.#d.cfg, client, a, clientId, recovering || a.submittedAtMs !== null)
        : ({ kind: "deferred", error: new Error("no WebSocket to the host") } as const);
      const now = Date.now();
      this.#d.mark(a.jobId, "promptAnswered");
      if (res.kind === "submitted" || res.kind === "already") {
        // A cancel that arrived while the POST was in flight is carried out now that ComfyUI has the prompt.
        const canceling = this.#d.store.get(a.attemptId)?.phase === "canceling";
        this.#d.store.update(a.attemptId, { phase: canceling ? "canceling" : "submitted", clientId: res.kind === "already" ? (a.clientId ?? "unknown") : clientId!, submittedAtMs: now, lastEventAtMs: now, ...(res.kind === "submitted" && res.warning ? { warning: res.warning } : {}) });
        if (canceling) await stopPrompt(client, a.attemptId);
        if (canceling) this.#recheck.add(a.attemptId);
        return;
      }
      if (res.kind === "rejected") return this.#d.end(a, { kind: "failed", failure: res.failure, startedAtMs: null, progress: null });
      if (res.kind === "broken") {
        log.error("prompt.submit_error", { jobId: a.jobId, ...errorFields(res.error) });
        return this.#d.end(a, { kind: "requeue", failure: unreachable(res.error), refund: false });
      }
      // Deferred: the attempt stays pending (with submittedAtMs set, so the next try asks ComfyUI first).
      this.#d.store.update(a.attemptId, { submittedAtMs: a.submittedAtMs ?? now });
      const deferrals = (this.#deferrals.get(a.attemptId) ?? 0) + 1;
      this.#deferrals.set(a.attemptId, deferrals);
      log.warn("prompt.submit_deferred", { jobId: a.jobId, attemptId: a.attemptId, host: host.name, deferrals, ...errorFields(res.error) });
      if (deferrals >= MAX_SUBMIT_DEFERRALS) {
        // The host answers health checks but will not take this prompt: give the job to another host.
        await markHost(this.#d.db, host.id, { ok: true, nowMs: now, error: res.error instanceof Error ? res.error.message : String(res.error) });
        await this.#d.end(a, { kind: "requeue", failure: unreachable(res.error), refund: false });
      }
    });
  }

  async reconcile(host: HostTarget, attemptId: string): Promise<void> {
    await this.#exclusive(host, attemptId, async () => {
      const a = this.#d.store.get(attemptId);
      if (!a || a.phase === "ended" || a.phase === "pending") return;
      const client = this.#d.client(host);
      const found = await lookUp(client, a.attemptId);
      if (found.kind === "waiting") return;
      if (found.kind === "finished") this.#d.mark(a.jobId, "history");
      if (found.kind === "lost") {
        if (a.phase === "canceling") return this.#d.end(a, { kind: "canceled", startedAtMs: a.startedAtMs, progress: a.progress });
        // Neither queued nor in history: ComfyUI restarted or someone cleared it. Run it again elsewhere.
        return this.#d.end(a, { kind: "requeue", failure: { code: "COMFYUI_UNREACHABLE", message: "The ComfyUI host lost the prompt (restarted or cleared its queue)", retryable: true }, refund: false });
      }
      const got = await collect(this.#d.env, client, this.#d.store.get(attemptId) ?? a, found.entry, Date.now(), (o) => this.#d.stored(a, o));
      this.#d.mark(a.jobId, "outputsStored");
      await this.#d.end(a, "finish" in got ? got.finish : { kind: "requeue", failure: got.requeue, refund: false });
    });
  }

  async timeout(host: HostTarget, a: Inflight, final: boolean) {
    await stopPrompt(this.#d.client(host), a.attemptId);
    // A prompt that never started is simply gone from the queue now. A running one stops at its next
    // progress step; a node that never reports one is given up on after a grace period.
    if (final) await this.#d.end(a, { kind: "failed", failure: timeoutFailure(a), startedAtMs: a.startedAtMs, progress: a.progress });
    else await this.reconcile(host, a.attemptId);
  }

  /** A prompt stuck in ComfyUI's queue behind a long-running one goes back to the queue for another host. */
  async move(host: HostTarget, a: Inflight) {
    await this.#exclusive(host, a.attemptId, async () => {
      const client = this.#d.client(host);
      await client.deletePending([a.attemptId]);
      const q = await client.queue();
      // Only a prompt confirmed gone (neither waiting nor started) may run elsewhere: never twice.
      if (q.pending.includes(a.attemptId) || q.running.includes(a.attemptId) || (await client.history(a.attemptId))) return;
      log.info("host.prompt_moved", { host: host.name, jobId: a.jobId, attemptId: a.attemptId });
      // No new work lands here behind the stuck prompt (the claim takes only online hosts) until it ends.
      await markHostBusy(this.#d.db, host.id);
      await this.#d.end(a, { kind: "requeue", failure: { code: "COMFYUI_UNREACHABLE", message: "Moved off a host whose running prompt held it up", retryable: true }, refund: true });
    });
  }
}
