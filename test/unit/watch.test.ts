import { describe, expect, it } from "vitest";
import { parsePreviewFrame } from "../../src/comfy/preview";
import { forwardable } from "../../src/watch/forward";
import { JobState } from "../../src/watch/job-state";
import { EventLog } from "../../src/watch/log";

const frame = (type: number, head: number[], body: number[]) => {
  const b = new Uint8Array(4 + head.length + body.length);
  new DataView(b.buffer).setUint32(0, type);
  b.set(head, 4);
  b.set(body, 4 + head.length);
  return b.buffer;
};
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const JPEG = [0xff, 0xd8, 0xff, 0xd9];

describe("parsePreviewFrame", () => {
  it("reads a type-1 preview (no prompt id) and a type-4 one with its metadata", () => {
    expect(parsePreviewFrame(frame(1, u32(1), JPEG))).toMatchObject({ promptId: null, node: null, contentType: "image/jpeg", bytes: new Uint8Array(JPEG) });
    expect(parsePreviewFrame(frame(1, u32(2), JPEG))?.contentType).toBe("image/png");
    const meta = [...new TextEncoder().encode(JSON.stringify({ node_id: "3", prompt_id: "p1", display_node_id: "3", image_type: "image/jpeg" }))];
    expect(parsePreviewFrame(frame(4, [...u32(meta.length), ...meta], JPEG))).toMatchObject({ promptId: "p1", node: "3", contentType: "image/jpeg", bytes: new Uint8Array(JPEG) });
  });

  it("is not fooled by other binary frames, unknown formats or lying lengths", () => {
    expect(parsePreviewFrame(frame(3, u32(1), [65]))).toBeNull();
    expect(parsePreviewFrame(frame(1, u32(9), JPEG))).toBeNull();
    expect(parsePreviewFrame(frame(4, u32(1_000), JPEG))).toBeNull();
    expect(parsePreviewFrame(frame(4, [...u32(2), 123, 34], JPEG))).toBeNull();
    expect(parsePreviewFrame(new Uint8Array([0, 0, 0, 1]).buffer)).toBeNull();
  });
});

describe("EventLog", () => {
  it("resumes after an id of its own epoch, and refuses what it cannot give without a gap", () => {
    const log = new EventLog(3, "ep");
    const ids = [1, 2, 3, 4, 5].map((n) => log.id(log.append("j", { kind: "executing", node: String(n) })));
    expect(ids).toEqual(["ep-1", "ep-2", "ep-3", "ep-4", "ep-5"]);
    expect(log.since("ep-3")!.map((s) => s.seq)).toEqual([4, 5]);
    expect(log.since("ep-5")).toEqual([]);
    expect(log.since("ep-1")).toBeNull(); // 2 fell out of the ring
    expect(log.since("other-3")).toBeNull();
    expect(log.since("ep-9")).toBeNull();
    expect(log.since(undefined)).toBeNull();
  });
});

describe("JobState", () => {
  it("is the latest of each kind for this attempt; a new placement forgets the last attempt; the end says it all", () => {
    const log = new EventLog(100, "e");
    const st = new JobState();
    const add = (e: Parameters<EventLog["append"]>[1]) => st.apply(log.append("j", e));
    add({ kind: "queued", queuePosition: 2 });
    add({ kind: "running", host: "a" });
    add({ kind: "progress", node: "3", value: 1, max: 4, percent: 25 });
    add({ kind: "progress", node: "3", value: 2, max: 4, percent: 50 });
    add({ kind: "queued", queuePosition: 1 });
    add({ kind: "running", host: "b" });
    add({ kind: "progress", node: "3", value: 3, max: 4, percent: 75 });
    add({ kind: "output", output: { name: "x.png", node: "9", kind: "image", contentType: "image/png", bytes: 1, key: "outputs/j/x.png" } });
    expect(st.current().map((s) => [s.seq, s.event.kind])).toEqual([[6, "running"], [7, "progress"], [8, "output"]]);
    add({ kind: "end", row: { status: "succeeded" } as never });
    expect(st.current().map((s) => s.event.kind)).toEqual(["end"]);
    expect(st.ended).toBe(true);
  });
});

describe("forwardable", () => {
  it("passes every status change on to the feed, and progress at most once a second", () => {
    const last = new Map<string, number>();
    const p = { kind: "progress", node: "3", value: 1, max: 2, percent: 50 } as const;
    expect([forwardable(p, last, 1_000), forwardable(p, last, 1_500), forwardable(p, last, 2_000)]).toEqual([true, false, true]);
    expect(forwardable({ kind: "running", host: "a" }, last, 2_001)).toBe(true);
  });
});
