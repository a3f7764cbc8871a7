// Injected failures. Counted faults (`oom`, `execError`, `hang`) are consumed by the prompts they
// hit, so a test can say "the next 2 prompts OOM" and then watch the retry succeed.

export const OOM_TIP =
  "This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.";

export interface FaultState {
  oom: number;
  oomMessage: string;
  execError: number;
  execErrorMessage: string;
  execErrorType: string;
  hang: number;
  slowMs: number;
  /** "after:<event type>" (send it, then drop) or "before:<event type>" (drop instead). One-shot. */
  dropSocket: string | null;
  /** Exit(1) right after this event type is sent. One-shot (the process is gone anyway). */
  crashAfter: string | null;
  historyDelayMs: number;
  /** HTTP 503 / WS upgrade refused with 503 for every ComfyUI route. */
  down: boolean;
  /** TCP reset for every ComfyUI request and upgrade. */
  refuseConnections: boolean;
  systemStatsDelayMs: number;
  /** /view's whole-file answers go out chunked without Content-Length, as tunnels send them. */
  viewChunked: boolean;
  /** The next N whole-file /view answers announce their full length, send half and reset the connection (a tunnel dropping mid-download). Counted. */
  viewTruncate: number;
}

export function noFaults(): FaultState {
  return {
    oom: 0,
    oomMessage: "Allocation on device ",
    execError: 0,
    execErrorMessage: "Fake injected failure",
    execErrorType: "RuntimeError",
    hang: 0,
    slowMs: 0,
    dropSocket: null,
    crashAfter: null,
    historyDelayMs: 0,
    down: false,
    refuseConnections: false,
    systemStatsDelayMs: 0,
    viewChunked: false,
    viewTruncate: 0,
  };
}

/** Actions that happen at once rather than being stored. */
export interface FaultActions {
  crash: boolean;
  restart: boolean;
  restartDownMs: number;
}

const count = (v: unknown): number => (v === true ? 1 : v === false || v === null ? 0 : Math.max(0, Math.floor(Number(v) || 0)));

export function applyFaults(f: FaultState, patch: Record<string, unknown>): FaultActions {
  const actions: FaultActions = { crash: false, restart: false, restartDownMs: 0 };
  for (const [k, v] of Object.entries(patch)) {
    switch (k) {
      case "oom":
      case "execError":
      case "hang":
      case "viewTruncate":
        f[k] = count(v);
        break;
      case "slowMs":
      case "historyDelayMs":
      case "systemStatsDelayMs":
        f[k] = Math.max(0, Number(v) || 0);
        break;
      case "oomMessage":
      case "execErrorMessage":
      case "execErrorType":
        f[k] = String(v);
        break;
      case "dropSocket":
      case "crashAfter":
        if (v !== null && typeof v !== "string") throw new Error(`${k} must be a string or null`);
        if (k === "dropSocket" && typeof v === "string" && !/^(after|before):\S+$/.test(v)) {
          throw new Error('dropSocket must look like "after:<event type>" or "before:<event type>"');
        }
        f[k] = (v as string | null) || null;
        break;
      case "down":
      case "refuseConnections":
      case "viewChunked":
        f[k] = Boolean(v);
        break;
      case "crash":
        actions.crash = Boolean(v);
        break;
      case "restart":
        actions.restart = Boolean(v);
        break;
      case "restartDownMs":
        actions.restartDownMs = Math.max(0, Number(v) || 0);
        break;
      default:
        throw new Error(`unknown fault ${k}`);
    }
  }
  return actions;
}
