import { describe, expect, it } from "vitest";
import { runPodHealth } from "../../../src/api/facades/runpod/health";

describe("runPodHealth", () => {
  it("counts jobs by RunPod state and hosts as workers", () => {
    const h = runPodHealth(
      [
        { status: "queued", n: 3, retried: 1 },
        { status: "running", n: 1, retried: 0 },
        { status: "canceling", n: 1, retried: 0 },
        { status: "succeeded", n: 7, retried: 2 },
        { status: "failed", n: 2, retried: 0 },
        { status: "expired", n: 1, retried: 0 },
        { status: "canceled", n: 4, retried: 0 },
      ],
      [
        { state: "online", inUse: 0 },
        { state: "online", inUse: 2 },
        { state: "busy", inUse: 1 },
        { state: "draining", inUse: 0 },
        { state: "offline", inUse: 0 },
      ],
    );
    expect(h).toEqual({
      jobs: { completed: 7, failed: 3, inProgress: 2, inQueue: 3, retried: 3 },
      workers: { idle: 1, initializing: 0, ready: 1, running: 2, throttled: 1, unhealthy: 1 },
    });
  });
});
