import { describe, expect, it } from "vitest";
import { parseFrame } from "../../src/comfy/messages";

// Frames as ComfyUI 0.3.64 writes them (Python json.dumps spacing), from the recorded transcripts.
const P = "f90b2b22-0e7b-4032-81a2-5e7a70df0938";
describe("parseFrame", () => {
  it.each([
    { raw: `{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "abc"}}`, want: { type: "status", queueRemaining: 0, sid: "abc" } },
    { raw: `{"type": "execution_start", "data": {"prompt_id": "${P}", "timestamp": 1795556386747}}`, want: { type: "execution_start", promptId: P, timestamp: 1795556386747 } },
    { raw: `{"type": "executing", "data": {"node": "1", "display_node": "1", "prompt_id": "${P}"}}`, want: { type: "executing", promptId: P, node: "1" } },
    { raw: `{"type": "executing", "data": {"node": null, "prompt_id": "${P}"}}`, want: { type: "executing", promptId: P, node: null } },
    { raw: `{"type": "executing", "data": {"node": "3"}}`, want: { type: "executing", promptId: null, node: "3" } },
    { raw: `{"type": "progress", "data": {"value": 3, "max": 20, "prompt_id": "${P}", "node": "3"}}`, want: { type: "progress", promptId: P, node: "3", value: 3, max: 20 } },
    { raw: `{"type": "execution_success", "data": {"prompt_id": "${P}", "timestamp": 1}}`, want: { type: "execution_success", promptId: P, timestamp: 1 } },
    { raw: `{"type": "crystools.monitor", "data": {"cpu": 3}}`, want: { type: "other", name: "crystools.monitor" } },
    { raw: `not json`, want: { type: "other", name: "invalid" } },
    { raw: `[1,2]`, want: { type: "other", name: "undefined" } },
  ])("$want.type from $raw", ({ raw, want }) => {
    expect(parseFrame(raw)).toEqual(want);
  });

  it("ignores binary preview frames", () => {
    expect(parseFrame(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 1]).buffer)).toEqual({ type: "other", name: "binary" });
  });
});

describe("parseFrame: progress_state", () => {
  it("keeps each node's value, max and state, and skips nodes without numbers", () => {
    const raw = `{"type": "progress_state", "data": {"prompt_id": "${P}", "nodes": {"3": {"value": 2.0, "max": 8.0, "state": "running", "node_id": "3"}, "4": {"value": 1.0, "max": 1.0, "state": "finished"}, "5": {"state": "running"}}}}`;
    expect(parseFrame(raw)).toEqual({ type: "progress_state", promptId: P, nodes: { "3": { value: 2, max: 8, state: "running" }, "4": { value: 1, max: 1, state: "finished" } } });
    expect(parseFrame(`{"type": "progress_state", "data": {"nodes": {}}}`)).toEqual({ type: "other", name: "progress_state" });
  });
});
