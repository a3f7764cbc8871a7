import type { ComfyEvent } from "../comfy/messages";
import type { Progress } from "../jobs/view";

/**
 * The HostDO's decisions, as plain functions of (state, event, now) → actions. No I/O here: the
 * shell (core.ts) does the fetches, the socket and the storage, and these are table-tested.
 */

export type Phase =
  /** Stored, not yet known to ComfyUI (or a submit whose answer was lost). */
  | "pending"
  /** In ComfyUI's queue or running. */
  | "submitted"
  /** A cancel is being carried out on the host. */
  | "canceling"
  /** The outcome is known and kept here until D1 has it: never forgotten before that. */
  | "ended";

export type AttemptView = {
  attemptId: string;
  phase: Phase;
  clientId: string | null;
  dispatchedAtMs: number;
  submittedAtMs: number | null;
  startedAtMs: number | null;
  deadlineMs: number;
  lastEventAtMs: number;
  timeoutMs: number;
  progress: Progress | null;
  /** The optional webhook events the job asked for. */
  events: readonly string[];
};

export type Timing = {
  tickMs: number;
  idleCheckMs: number;
  /** A submitted prompt silent this long on the socket is looked up over HTTP. */
  silencePollMs: number;
  /** After a deadline's interrupt, how long a running node may take to stop before the job is failed anyway. */
  interruptGraceMs: number;
  /** A prompt waiting in ComfyUI's queue behind another this long is moved to another host. */
  queuedOnHostMaxMs: number;
  progressWebhookMs: number;
  /** How often a running attempt's start and progress are copied to D1. */
  runStateWriteMs: number;
};

export type TickAction =
  | { do: "record"; attemptId: string }
  | { do: "timeout"; attemptId: string; final: boolean }
  | { do: "submit"; attemptId: string }
  | { do: "reconcile"; attemptId: string }
  | { do: "move"; attemptId: string };

/**
 * What a healthy host's tick does for each attempt. An ended attempt retries its D1 write; a
 * deadline interrupts (and, past the grace, fails outright); a pending one is (re)submitted after
 * asking ComfyUI whether it already has it; a prompt not followed by the current socket, silent too
 * long, or being canceled is looked up; one stuck in ComfyUI's queue behind another is moved.
 */
export function planTick(attempts: readonly AttemptView[], socketClientId: string | undefined, now: number, t: Timing): TickAction[] {
  const running = attempts.some((a) => a.startedAtMs !== null && a.phase === "submitted");
  return attempts.map((a): TickAction | null => {
    if (a.phase === "ended") return { do: "record", attemptId: a.attemptId };
    if (now >= a.deadlineMs) return { do: "timeout", attemptId: a.attemptId, final: a.startedAtMs === null || now >= a.deadlineMs + t.interruptGraceMs };
    if (a.phase === "pending") return { do: "submit", attemptId: a.attemptId };
    if (a.phase === "submitted" && a.startedAtMs === null && running && a.submittedAtMs !== null && now - a.submittedAtMs >= t.queuedOnHostMaxMs) {
      return { do: "move", attemptId: a.attemptId };
    }
    if (a.phase === "canceling" || a.clientId !== socketClientId || now - a.lastEventAtMs > t.silencePollMs) return { do: "reconcile", attemptId: a.attemptId };
    return null;
  }).filter((x): x is TickAction => x !== null);
}

/**
 * When the host's alarm should next fire: at the earliest deadline (not a tick later), at the next
 * tick while it has work, later while ComfyUI is unreachable, and at the idle check otherwise.
 */
export function nextAlarm(attempts: readonly AttemptView[], healthFailures: number, now: number, t: Timing): number {
  if (attempts.length === 0) return now + (healthFailures > 0 ? t.tickMs * 4 : t.idleCheckMs);
  const deadlines = attempts.map((a) => (now >= a.deadlineMs ? a.deadlineMs + t.interruptGraceMs : a.deadlineMs)).filter((d) => d > now);
  return Math.min(now + t.tickMs, ...deadlines);
}

export type FramePlan = {
  patch: Partial<Pick<AttemptView, "startedAtMs" | "deadlineMs" | "progress" | "lastEventAtMs">>;
  emit?: "started" | "progress";
  /** Look the prompt up now: ComfyUI has written its history. */
  reconcile?: boolean;
  /** Copy start and progress to D1 now (long jobs only; see Timing.runStateWriteMs). */
  writeRunState?: boolean;
};

/**
 * One socket event for one attempt. `lastProgressWebhookAtMs` and `lastRunStateWriteAtMs` are the
 * shell's throttle clocks for this attempt.
 */
export function planFrame(a: AttemptView, ev: ComfyEvent, now: number, t: Timing, clocks: { lastProgressWebhookAtMs: number; lastRunStateWriteAtMs: number }): FramePlan {
  const patch: FramePlan["patch"] = { lastEventAtMs: now };
  switch (ev.type) {
    case "execution_start": {
      // The deadline counts from when the GPU starts on it, not from the wait in ComfyUI's queue.
      patch.startedAtMs = ev.timestamp ?? now;
      patch.deadlineMs = now + a.timeoutMs;
      return { patch, ...(a.events.includes("started") ? { emit: "started" as const } : {}) };
    }
    case "progress": {
      patch.progress = { node: ev.node, value: ev.value, max: ev.max, percent: ev.max > 0 ? Math.round((ev.value / ev.max) * 100) : 0 };
      const plan: FramePlan = { patch };
      if (a.events.includes("progress") && now - clocks.lastProgressWebhookAtMs >= t.progressWebhookMs) plan.emit = "progress";
      if (now - (a.startedAtMs ?? now) >= t.runStateWriteMs && now - clocks.lastRunStateWriteAtMs >= t.runStateWriteMs) plan.writeRunState = true;
      return plan;
    }
    case "executing":
      // `node: null` is sent after ComfyUI wrote the prompt's history: the moment to read it.
      return ev.node === null ? { patch, reconcile: true } : { patch };
    default:
      // execution_success/error/interrupted come BEFORE history is written; `executing null` follows them.
      return { patch };
  }
}

/** Free slots by the host's own count, for pulling work. */
export const freeSlots = (attempts: readonly AttemptView[], slots: number) => Math.max(0, slots - attempts.length);
