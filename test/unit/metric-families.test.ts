import { describe, expect, it } from "vitest";
import { DURATION_BOUNDS_S, type FleetStats } from "../../src/metrics/collect";
import { metricFamilies } from "../../src/metrics/families";

const none = { cumulative: DURATION_BOUNDS_S.map(() => 0), count: 0, sum: 0 };
const empty: FleetStats = {
  jobsByStatus: [], queue: { depth: 0, oldestCreatedAtMs: null },
  recent: { finished: 0, retries: 0, queue: none, execution: none, total: none },
  failuresByCode: [], finishedByHost: [], webhookDeliveries: [], rateLimitRefusals: 0,
};
const byName = (stats: FleetStats, hosts: Parameters<typeof metricFamilies>[1] = [], now = 0) =>
  Object.fromEntries(metricFamilies(stats, hosts, now).map((f) => [f.name, f]));

describe("metricFamilies", () => {
  it("lists every job status, host state and delivery status at 0 on an empty deployment, so no series is missing", () => {
    const f = byName(empty);
    expect(f.comfy_edge_jobs!.samples.map((s) => [s.labels!.status, s.value])).toEqual(
      ["queued", "running", "canceling", "succeeded", "failed", "canceled", "expired"].map((s) => [s, 0]),
    );
    expect(f.comfy_edge_hosts!.samples).toHaveLength(4);
    expect(f.comfy_edge_webhook_deliveries!.samples.map((s) => s.labels!.status)).toEqual(["pending", "succeeded", "failed"]);
    expect(f.comfy_edge_queue_oldest_age_seconds!.samples).toEqual([{ value: 0 }]);
  });

  it("measures the oldest queued job's age from now, and one-hot encodes each host's state", () => {
    const f = byName({ ...empty, queue: { depth: 1, oldestCreatedAtMs: 10_000 } }, [{ name: "gpu-a", state: "busy", slots: 2, slotsInUse: 2 }], 70_000);
    expect(f.comfy_edge_queue_oldest_age_seconds!.samples).toEqual([{ value: 60 }]);
    expect(f.comfy_edge_host_state!.samples.filter((s) => s.value === 1)).toEqual([{ labels: { host: "gpu-a", state: "busy" }, value: 1 }]);
    expect(f.comfy_edge_hosts!.samples.find((s) => s.labels!.state === "busy")!.value).toBe(1);
  });

  it("says in the HELP of every recent-window figure that it is a sliding window, not a running total", () => {
    const f = byName(empty);
    for (const name of ["comfy_edge_job_queue_seconds", "comfy_edge_job_execution_seconds", "comfy_edge_job_total_seconds", "comfy_edge_job_failures", "comfy_edge_job_retries", "comfy_edge_host_jobs_finished"]) {
      expect(f[name]!.help, name).toMatch(/last 60 minutes.*sliding window/);
    }
  });
});
