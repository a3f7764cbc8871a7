import { afterAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../../helpers/fake";
import { call, slowGraph, submit, waitForStatus, waitForTerminal } from "../../helpers/gateway";

const fakes: Fake[] = [];
afterAll(() => Promise.all(fakes.map((f) => f.close())));

describe("draining a host", () => {
  it("lets its running job finish and sends new work elsewhere", async () => {
    const a = await spawnFake();
    const b = await spawnFake();
    fakes.push(a, b);
    const ha = await addHost(a, 1);
    const first = await submit({ workflow: slowGraph(30, 30) });
    await waitForStatus(first.id, "running");

    const drained = await call("POST", `/hosts/${ha.id}/drain`);
    expect(drained).toMatchObject({ status: 200, json: { state: "draining" } });
    const hb = await addHost(b, 1);
    const second = await submit({ workflow: slowGraph(2, 10) });

    expect(await waitForTerminal(first.id)).toMatchObject({ status: "succeeded", host: ha.name, attempts: 1 });
    expect(await waitForTerminal(second.id)).toMatchObject({ status: "succeeded", host: hb.name });
    expect((await a.stats()).promptsReceived).toHaveLength(1);
    expect((await call("GET", `/hosts/${ha.id}`)).json).toMatchObject({ state: "draining", slotsInUse: 0 });
    const health = (await call("GET", "/health")).json;
    expect(health.comfyui.hosts.draining).toBe(1);

    expect((await call("POST", `/hosts/${ha.id}/resume`)).json.state).toBe("online");
  });
});
