import { afterAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../../helpers/fake";
import { submit, tinyGraph, waitForTerminal } from "../../helpers/gateway";

let f: Fake | undefined;
afterAll(() => f?.close());

describe("a job runs past its deadline", () => {
  it("is interrupted on the host by prompt id and fails COMFYUI_TIMEOUT", async () => {
    f = await spawnFake();
    await addHost(f, 2);
    await f.faults({ hang: 1 });
    const job = await submit({ workflow: tinyGraph(0x123456), timeoutMs: 1500 });
    const done = await waitForTerminal(job.id, 30_000);
    expect(done).toMatchObject({ status: "failed", attempts: 1, error: { error: "COMFYUI_TIMEOUT", retryable: false } });
    const stats = await f.stats();
    const interrupt = stats.interrupts.find((i: { prompt_id: string | null }) => i.prompt_id !== null);
    expect(interrupt).toMatchObject({ effective: true });
    // The host is free again: the next job runs.
    const next = await waitForTerminal((await submit({ workflow: tinyGraph(0x654321) })).id);
    expect(next.status).toBe("succeeded");
  });
});
