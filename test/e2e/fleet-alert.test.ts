import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it } from "vitest";
import { sweep } from "../../src/scheduler/sweep";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, tinyGraph, waitForTerminal } from "../helpers/gateway";
import { spawnReceiver } from "../helpers/receiver";
import { WEBHOOK_SECRET } from "../helpers/webhook-config";

const closers: { close: () => Promise<unknown> }[] = [];
afterAll(() => Promise.all(closers.splice(0).map((c) => c.close())));

describe("alerts when queued work has no host", () => {
  it("says so on /health, warns each sweep, and POSTs each change (raised, cleared) signed to ALERT_WEBHOOK_URL", async () => {
    const receiver = await spawnReceiver();
    closers.push(receiver);
    const hook = await receiver.hook();
    const withAlerts = { ...env, ALERT_WEBHOOK_URL: hook.url };

    const healthy = await call("GET", "/health");
    expect(healthy.json).toMatchObject({ ok: true });
    expect(healthy.json.alert).toBeUndefined();

    // A job and no host: stuck.
    const job = await call("POST", "/jobs", { workflow: tinyGraph(5) });
    expect(job.status).toBe(202);
    const stuck = (await call("GET", "/health")).json;
    expect(stuck).toMatchObject({ ok: false, alert: { reason: "no_host_online", queued: 1, oldestQueuedAgeS: expect.any(Number) }, comfyui: { reachable: false } });
    expect(stuck.alert.message).toContain("no host is registered");

    await sweep(withAlerts);
    await sweep(withAlerts); // the same state again: no second message
    let got = await hook.requests();
    expect(got).toHaveLength(1);
    const raised = JSON.parse(got[0]!.body);
    expect(raised).toMatchObject({ type: "fleet.alert", data: { reason: "no_host_online", queued: 1 } });
    // Signed like every webhook: a receiver verifies it with the same secret.
    expect(() => new Webhook(WEBHOOK_SECRET).verify(got[0]!.body, got[0]!.headers)).not.toThrow();

    // A host arrives, the job runs: clear, announced once.
    const fake: Fake = await spawnFake(["--step-ms", "2"]);
    closers.push(fake);
    await addHost(fake, 1);
    expect(await waitForTerminal(job.json.id)).toMatchObject({ status: "succeeded" });
    expect((await call("GET", "/health")).json).toMatchObject({ ok: true });
    await sweep(withAlerts);
    got = await hook.requests();
    expect(got.map((r) => JSON.parse(r.body).type)).toEqual(["fleet.alert", "fleet.alert_cleared"]);
  });
});
