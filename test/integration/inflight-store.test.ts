import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { InflightStore } from "../../src/hosts/inflight";
import type { Claim } from "../../src/jobs/moves";

const claim = (n: number): Omit<Claim, "host"> => ({
  jobId: `job-${n}`, owner: "alice", attemptId: `att-${n}`, attempts: 1, graphJson: JSON.stringify({ "1": { class_type: "X", inputs: { n } } }), timeoutMs: null,
  includePreviews: false, inputFilesJson: null, comfyKeyEnc: null, events: ["started"], watched: false,
});

describe("InflightStore (a host's attempts: SQLite, read through a memory mirror)", () => {
  it("answers from memory exactly what a fresh store reads back from SQLite after a restart", async () => {
    // A HostDO's own SQLite, with no host set up in it (nothing else touches these tables).
    const stub = env.HOSTS.get(env.HOSTS.idFromName(`store-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_obj, state) => {
      const store = new InflightStore(state.storage.sql);
      expect(store.add(claim(1), 1_000, 60_000)).toBe(true);
      expect(store.add(claim(1), 1_001, 60_000)).toBe(false);
      expect(store.add(claim(2), 2_000, 60_000)).toBe(true);
      store.update("att-1", { phase: "submitted", clientId: "c-1", submittedAtMs: 1_100 });
      const progress = { node: "3", value: 2, max: 10, percent: 20 };
      store.update("att-1", { startedAtMs: 1_200, deadlineMs: 61_200, progress });
      // The caller's object is not kept: changing it afterwards changes nothing stored.
      progress.value = 9;
      store.update("att-2", { phase: "ended", outcome: { kind: "failed", failure: { code: "COMFYUI_EXECUTION_ERROR", message: "x", retryable: false }, startedAtMs: null, progress: null } });
      store.setMeta("host", { id: "h", name: "gpu-1", url: "http://127.0.0.1:1", headers: {}, slots: 2 });

      const restarted = new InflightStore(state.storage.sql);
      expect(restarted.all()).toEqual(store.all());
      expect(store.all().map((a) => a.attemptId)).toEqual(["att-1", "att-2"]);
      expect(store.get("att-1")).toMatchObject({ phase: "submitted", clientId: "c-1", submittedAtMs: 1_100, startedAtMs: 1_200, deadlineMs: 61_200, progress: { value: 2 } });
      expect(store.byJob("job-2")?.outcome).toMatchObject({ kind: "failed" });
      expect(restarted.getMeta("host")).toEqual(store.getMeta("host"));
      expect(restarted.count()).toBe(2);

      // Frames touch memory only: a restart shows what SQLite has.
      store.touch("att-1", { lastEventAtMs: 5_000, progress: { node: "3", value: 5, max: 10, percent: 50 } });
      expect(store.get("att-1")?.progress?.value).toBe(5);
      expect(new InflightStore(state.storage.sql).get("att-1")?.progress?.value).toBe(2);

      store.remove("att-1", 6_000);
      expect(store.get("att-1")).toBeNull();
      expect(store.isSettled("att-1")).toBe(true);
      expect(new InflightStore(state.storage.sql).all().map((a) => a.attemptId)).toEqual(["att-2"]);
    });
  });
});
