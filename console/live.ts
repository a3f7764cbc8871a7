// Where live updates come from: the ONE module the views subscribe through. Today it short-polls the
// JSON API while the page is visible (GET /jobs/:id every second for a watched job — its progress is
// read live from the job's host — and any list every two seconds). To switch a job to Server-Sent
// Events, replace `watchJob`'s body: GET /jobs/:id once (with the key header) for the job and its
// signed watch link, call `onJob` with it, then open an EventSource on that link (EventSource cannot
// send the key header) and fold each event into the last job object before calling `onJob` again:
// `queued`/`running`/`started` → status, host, queuePosition, startedAt; `progress`
// {node,value,max,percent} → progress; `executing` → progress.node; `preview` → a preview field the
// row can show; `output` → outputs; the terminal event carries the whole job (then close it). The
// returned Stop closes the EventSource. The views only ever see whole job objects, so none changes.

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

/** Follows one job until it is terminal: `onJob` gets the whole job object on every change. */
export function watchJob(id: string, onJob: (job: Job) => void, onError?: (e: unknown) => void): Stop {
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
