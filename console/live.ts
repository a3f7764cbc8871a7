// Where live updates come from: the ONE module the views subscribe through. A watched job is
// followed over its Server-Sent Events stream (GET /jobs/:id/events): the job is read once with the
// key header, which gives its signed watch link (EventSource cannot send headers), and each event is
// folded into that job object before `onJob` sees it, so the views only ever get whole jobs. Where
// no stream can be had (no EventSource, no link, the link expired and the stream closed) it falls
// back to short polling. Lists (hosts, jobs, deliveries) are re-read every two seconds while the
// page is visible.

import { api, ApiFailure, TERMINAL, type Job } from "./api";

export const JOB_POLL_MS = 1000;
export const LIST_POLL_MS = 2000;

export type Stop = () => void;

/**
 * Calls `tick` now and then every `ms` while the page is visible (hidden tabs do not poll), never
 * two at once. `tick` returning false ends the loop; a tick that throws is retried on the next
 * beat, after `onError` heard of it (a 404 stops the loop: what it follows is gone).
 */
export function every(ms: number, tick: () => Promise<boolean | void>, onError?: (e: unknown) => void): Stop {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    timer = undefined;
    if (stopped) return;
    if (document.hidden) return; // resumed by the visibilitychange listener
    let again: boolean | void = true;
    try {
      again = await tick();
    } catch (e) {
      onError?.(e);
      if (e instanceof ApiFailure && e.status === 404) again = false;
    }
    if (again === false) return stop();
    if (!stopped) timer = setTimeout(run, ms);
  };
  const onVisible = () => {
    if (!document.hidden && timer === undefined && !stopped) void run();
  };
  const stop = () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisible);
  };
  document.addEventListener("visibilitychange", onVisible);
  void run();
  return stop;
}

/** One job event folded into the job it updates (the stream's `data`, by event name). Pure. */
export function foldEvent(job: Job, name: string, data: Record<string, unknown>): Job {
  switch (name) {
    case "queued":
      return { ...job, status: "queued", queuePosition: (data.queuePosition as number | null) ?? null };
    case "running":
      return { ...job, status: "running", host: (data.host as string | null) ?? job.host, queuePosition: null };
    case "started":
      return { ...job, startedAt: (data.startedAt as string | null) ?? job.startedAt };
    case "progress": {
      const { node, value, max, percent } = data as { node: string | null; value: number; max: number; percent: number };
      return { ...job, progress: { node, value, max, percent } };
    }
    case "preview":
      // The signed link, not the data URI: the console's CSP allows images from itself only.
      return { ...job, preview: (data.url as string | undefined) ?? job.preview };
    case "output": {
      const output = data.output as Job["outputs"][number];
      return { ...job, outputs: [...job.outputs.filter((o) => o.name !== output.name), output] };
    }
    case "succeeded":
    case "failed":
    case "canceled":
    case "expired":
      return { ...(data.job as Job), preview: undefined };
    default:
      return job;
  }
}

const EVENTS = ["queued", "running", "started", "progress", "preview", "output", "succeeded", "failed", "canceled", "expired"];

/** Follows one job until it is terminal: `onJob` gets the whole job object on every change. */
export function watchJob(id: string, onJob: (job: Job) => void, onError?: (e: unknown) => void): Stop {
  let stopped = false;
  let source: EventSource | undefined;
  let fallback: Stop | undefined;
  const poll = () => {
    if (!stopped) fallback = pollJob(id, onJob, onError);
  };
  void (async () => {
    let job: Job;
    try {
      job = await api<Job>("GET", `/jobs/${encodeURIComponent(id)}`);
    } catch (e) {
      onError?.(e);
      if (!(e instanceof ApiFailure && e.status === 404)) poll();
      return;
    }
    if (stopped) return;
    onJob(job);
    if (TERMINAL.has(job.status)) return;
    if (!job.watchUrl || typeof EventSource === "undefined") return poll();
    const es = new EventSource(job.watchUrl);
    source = es;
    for (const name of EVENTS) {
      es.addEventListener(name, (ev) => {
        job = foldEvent(job, name, JSON.parse((ev as MessageEvent<string>).data) as Record<string, unknown>);
        onJob(job);
        if (TERMINAL.has(job.status)) es.close();
      });
    }
    // EventSource reconnects by itself (with Last-Event-ID); once it gives up, polling takes over.
    es.addEventListener("error", () => {
      if (es.readyState === EventSource.CLOSED && !TERMINAL.has(job.status)) poll();
    });
  })();
  return () => {
    stopped = true;
    source?.close();
    fallback?.();
  };
}

/** The fallback: GET /jobs/:id every second while visible, until the job is terminal. */
function pollJob(id: string, onJob: (job: Job) => void, onError?: (e: unknown) => void): Stop {
  let last = "";
  return every(JOB_POLL_MS, async () => {
    const job = await api<Job>("GET", `/jobs/${encodeURIComponent(id)}`);
    const seen = JSON.stringify([job.status, job.progress, job.queuePosition, job.host, job.outputs.length, job.error?.error]);
    if (seen !== last) {
      last = seen;
      onJob(job);
    }
    return !TERMINAL.has(job.status);
  }, onError);
}

/** Re-reads a list (hosts, jobs, deliveries) every LIST_POLL_MS while visible. */
export function watchList<T>(load: () => Promise<T>, onList: (list: T) => void, onError?: (e: unknown) => void): Stop {
  return every(LIST_POLL_MS, async () => onList(await load()), onError);
}
