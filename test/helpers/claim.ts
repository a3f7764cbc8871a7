import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { claim } from "../../src/jobs/moves";
import { addHost, type Fake } from "./fake";
import { call, slowGraph, submit } from "./gateway";

/**
 * A job claimed for a fresh host by hand, as a placer would, with the dispatch held back: the host
 * is drained while the job is submitted (so no placer takes it), set online without waking any
 * placer, then the claim is made. The caller decides what becomes of the dispatch.
 */
export async function claimedWithoutDispatch(f: Fake, steps = 3) {
  const host = await addHost(f, 2);
  await call("POST", `/hosts/${host.id}/drain`);
  const job = await submit({ workflow: slowGraph(steps, 20) });
  await env.DB.prepare("UPDATE hosts SET state = 'online' WHERE id = ?").bind(host.id).run();
  const c = (await claim(env.DB, Date.now(), host.id)).claim!;
  expect(c.jobId).toBe(job.id);
  return { host, job, claim: c };
}
