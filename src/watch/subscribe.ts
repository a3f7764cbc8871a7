import type { JobRow } from "../db/schema";
import type { QueueKey } from "./events";

/**
 * What the Worker tells a stream's object when a watcher connects (a POST to its fetch handler,
 * which answers with the SSE response). The Worker has checked who may watch; the object trusts it.
 */
export type JobSubscribe = {
  origin: string;
  lastEventId?: string;
  /** The job as the Worker just read it (with its host's live view): the state a fresh object starts from. */
  row: JobRow;
  queuePosition: number | null;
  queueKey: QueueKey;
};
/** `name`: the feed's own name (`owner:<id>` or `all`), which it announces to the hosts. */
export type FeedSubscribe = { origin: string; lastEventId?: string; maxMs: number; name: string };

export const subscribeRequest = (body: JobSubscribe | FeedSubscribe) =>
  new Request("https://watch.internal/subscribe", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
