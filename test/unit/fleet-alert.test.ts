import { describe, expect, it } from "vitest";
import { fleetAlert, type QueuedGroup } from "../../src/scheduler/fleet-alert";
import type { FleetHost } from "../../src/workflows/models-needed";

const NOW = 1_800_000_000_000;
const sdxl = JSON.stringify(["checkpoints/sdxl_base.safetensors"]);
const host = (name: string, state: string, checkpoints: string[] | null): FleetHost => ({ name, state, models: checkpoints && { checkpoints } });
const queued = (modelsJson: string | null, count: number, ageS: number): QueuedGroup => ({ modelsJson, count, oldestMs: NOW - ageS * 1000 });

describe("fleetAlert", () => {
  it("is quiet with nothing queued, whatever the fleet", () => {
    expect(fleetAlert([], [], NOW)).toBeNull();
    expect(fleetAlert([], [host("a", "offline", [])], NOW)).toBeNull();
  });

  it("raises no_host_online when work waits and no host is online, with the oldest job's age", () => {
    expect(fleetAlert([queued(null, 2, 30), queued(sdxl, 1, 90)], [host("a", "offline", null), host("b", "draining", null)], NOW)).toEqual({
      reason: "no_host_online", queued: 3, oldestQueuedAgeS: 90, message: "3 job(s) queued and none of the 2 host(s) is online (offline or draining)",
    });
    expect(fleetAlert([queued(null, 1, 5)], [], NOW)).toMatchObject({ reason: "no_host_online", message: expect.stringContaining("POST /hosts") });
  });

  it("raises no_host_has_model for the jobs whose models no online host lists, and only those", () => {
    const fleet = [host("a", "online", ["sd15.safetensors"]), host("b", "draining", ["sdxl_base.safetensors"])];
    expect(fleetAlert([queued(null, 4, 600), queued(sdxl, 2, 45)], fleet, NOW)).toEqual({
      reason: "no_host_has_model", queued: 2, oldestQueuedAgeS: 45, message: "2 job(s) queued need models no online host lists (checkpoints/sdxl_base.safetensors)",
    });
  });

  it("stays quiet while an online host has (or may have) the models", () => {
    expect(fleetAlert([queued(sdxl, 2, 45)], [host("a", "busy", ["sdxl_base.safetensors"])], NOW)).toBeNull();
    expect(fleetAlert([queued(sdxl, 2, 45)], [host("a", "online", null)], NOW)).toBeNull();
  });
});
