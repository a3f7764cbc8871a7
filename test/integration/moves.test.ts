import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { claim, requeueMove } from "../../src/jobs/moves";
import { call, tinyGraph } from "../helpers/gateway";

const hostState = (id: string) => env.DB.prepare("SELECT state FROM hosts WHERE id = ?").bind(id).first<{ state: string }>().then((r) => r?.state);

describe("requeueMove and a host held busy", () => {
  async function claimedOnBusyHost() {
    const host = (await call("POST", "/hosts", { name: `busy-${crypto.randomUUID().slice(0, 8)}`, url: "http://127.0.0.1:9/", slots: 2 })).json;
    await call("POST", `/hosts/${host.id}/drain`);
    const job = (await call("POST", "/jobs", { workflow: tinyGraph(9) })).json;
    await env.DB.prepare("UPDATE hosts SET state = 'online' WHERE id = ?").bind(host.id).run();
    const c = (await claim(env.DB, Date.now(), host.id)).claim!;
    expect(c.jobId).toBe(job.id);
    await env.DB.prepare("UPDATE hosts SET state = 'busy' WHERE id = ?").bind(host.id).run();
    return { host, c };
  }
  const lost = { code: "COMFYUI_UNREACHABLE" as const, message: "lost", retryable: true };

  it("releases the host when an attempt leaves it for another reason (it freed a slot)", async () => {
    const { host, c } = await claimedOnBusyHost();
    const r = await requeueMove(env.DB, c.jobId, c.attemptId, lost, 3, Date.now(), undefined, false, host.id);
    expect(r.result).toBe("requeued");
    expect(await hostState(host.id)).toBe("online");
  });

  it("keeps it busy for the move itself (no releaseHost)", async () => {
    const { host, c } = await claimedOnBusyHost();
    const r = await requeueMove(env.DB, c.jobId, c.attemptId, lost, 3, Date.now(), undefined, true);
    expect(r).toMatchObject({ result: "requeued", row: { attempts: 0 } });
    expect(await hostState(host.id)).toBe("busy");
  });
});
