// `execution.py: PromptQueue`: a Python heapq (replicated exactly, because `/queue` shows the raw
// heap array, unsorted), one running item, and an insertion-ordered history capped like ComfyUI.
import type { PyDict, PyValue } from "./json.ts";
import { PyFloat, deepCopy } from "./json.ts";

export interface QueueItem {
  number: number | PyFloat;
  promptId: string;
  prompt: PyDict;
  extraData: PyDict;
  outputs: string[];
  sensitive: PyDict;
  /** Fake-only bookkeeping. */
  enqueuedAt: number;
}

const num = (n: number | PyFloat) => (n instanceof PyFloat ? n.value : n);

/** heapq ordering of `(number, prompt_id, …)` tuples. */
function lt(a: QueueItem, b: QueueItem): boolean {
  const x = num(a.number);
  const y = num(b.number);
  if (x !== y) return x < y;
  return a.promptId < b.promptId;
}

function siftdown(h: QueueItem[], start: number, pos: number): void {
  const item = h[pos];
  while (pos > start) {
    const parent = (pos - 1) >> 1;
    if (lt(item, h[parent])) {
      h[pos] = h[parent];
      pos = parent;
      continue;
    }
    break;
  }
  h[pos] = item;
}

function siftup(h: QueueItem[], pos: number): void {
  const end = h.length;
  const start = pos;
  const item = h[pos];
  let child = 2 * pos + 1;
  while (child < end) {
    const right = child + 1;
    if (right < end && !lt(h[child], h[right])) child = right;
    h[pos] = h[child];
    pos = child;
    child = 2 * pos + 1;
  }
  h[pos] = item;
  siftdown(h, start, pos);
}

export interface HistoryEntry {
  prompt: [number | PyFloat, string, PyDict, PyDict, string[]];
  outputs: PyDict;
  status: { status_str: "success" | "error"; completed: boolean; messages: [string, PyDict][] } | undefined;
  meta: PyDict;
}

export class PromptQueue {
  heap: QueueItem[] = [];
  running: QueueItem | null = null;
  history: Map<string, HistoryEntry> = new Map();
  flags: Record<string, boolean> = {};
  maxHistory = 10000;
  private waiters: (() => void)[] = [];
  /** Called whenever ComfyUI would call `server.queue_updated()` (a `status` broadcast). */
  onUpdated: () => void = () => {};

  remaining(): number {
    return this.heap.length + (this.running ? 1 : 0);
  }

  put(item: QueueItem): void {
    this.heap.push(item);
    siftdown(this.heap, 0, this.heap.length - 1);
    this.onUpdated();
    const w = this.waiters.shift();
    if (w) w();
  }

  /** Resolves with the next item once one is queued (the worker thread's blocking `get`). */
  async next(): Promise<QueueItem> {
    while (this.heap.length === 0) await new Promise<void>((r) => this.waiters.push(r));
    const last = this.heap.pop()!;
    let item = last;
    if (this.heap.length) {
      item = this.heap[0];
      this.heap[0] = last;
      siftup(this.heap, 0);
    }
    this.running = item;
    this.onUpdated();
    return item;
  }

  deletePending(promptId: string): boolean {
    const idx = this.heap.findIndex((x) => x.promptId === promptId);
    if (idx < 0) return false;
    if (this.heap.length === 1) this.heap = [];
    else {
      this.heap.splice(idx, 1);
      for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) siftup(this.heap, i);
    }
    this.onUpdated();
    return true;
  }

  wipePending(): void {
    this.heap = [];
    this.onUpdated();
  }

  /** `task_done`: history entry written, then a status broadcast. */
  done(item: QueueItem, entry: Omit<HistoryEntry, "prompt">): void {
    if (this.running === item) this.running = null;
    if (this.history.size > this.maxHistory) this.history.delete(this.history.keys().next().value as string);
    this.history.set(item.promptId, {
      prompt: [item.number, item.promptId, item.prompt, item.extraData, item.outputs],
      outputs: entry.outputs,
      status: entry.status,
      meta: entry.meta,
    });
    this.onUpdated();
  }

  /** Drops the running item without history (restart fault). */
  abandonRunning(): void {
    this.running = null;
  }

  queueItem(x: QueueItem, withSensitive: boolean): PyValue[] {
    let extra: PyDict = x.extraData;
    if (withSensitive && x.sensitive.size) extra = new Map([...x.extraData, ...x.sensitive]);
    return [x.number, x.promptId, x.prompt, extra, x.outputs];
  }

  historySlice(maxItems: number | null, offset: number): Map<string, HistoryEntry> {
    const out = new Map<string, HistoryEntry>();
    let off = offset;
    if (off < 0 && maxItems !== null) off = this.history.size - maxItems;
    let i = 0;
    for (const [k, v] of this.history) {
      if (i >= off) {
        out.set(k, v);
        if (maxItems !== null && out.size >= maxItems) break;
      }
      i++;
    }
    return out;
  }

  historyOne(id: string): HistoryEntry | undefined {
    const e = this.history.get(id);
    return e ? deepCopy(e) : undefined;
  }

  /** Wakes a blocked `next()` so the worker can observe a restart. */
  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export function historyJson(e: HistoryEntry): PyDict {
  const m: PyDict = new Map();
  m.set("prompt", e.prompt as unknown as PyValue);
  m.set("outputs", e.outputs);
  if (e.status) m.set("status", e.status as unknown as PyValue);
  m.set("meta", e.meta);
  return m;
}
