import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { signKey } from "../../src/storage/signed-url";
import { call, tinyGraph } from "../helpers/gateway";
import { isTerminalEvent, openStream } from "../helpers/sse";
import { ADMIN_KEY, OTHER_USER_KEY, USER_KEY } from "./closed-config";
import { apiKey, configKeyOwner, expectAuthFailed, insertJob, textOutput } from "./helpers";

/**
 * A job's stream under credentials: the key header as for GET /jobs/:id (another owner gets 404),
 * or the job's own signed watch link with no key at all, as a browser's EventSource opens it.
 */
const alice = apiKey(USER_KEY);
const bob = apiKey(OTHER_USER_KEY);
const root = apiKey(ADMIN_KEY);

let doneId: string;
let watchUrl: string;
beforeAll(async () => {
  doneId = await insertJob(await configKeyOwner(USER_KEY), { outputs: [textOutput("caption.txt", "alice's caption")] });
  const job = (await call("GET", `/jobs/${doneId}`, undefined, alice)).json;
  watchUrl = job.watchUrl;
  expect(job.watchUrlExpiresAt).toEqual(expect.any(String));
});

const path = (url: string) => url.replace(/^https?:\/\/[^/]+/, "");

describe("the watch link", () => {
  it("opens the job's stream without a key", async () => {
    expect(watchUrl).toMatch(new RegExp(`/jobs/${doneId}/events\\?exp=\\d+&sig=[\\w-]+$`));
    const { res, events } = await openStream(path(watchUrl));
    expect(res.status).toBe(200);
    const all = await events!.until(() => false);
    expect(all.map((e) => e.event)).toEqual(["succeeded"]);
    expect(all[0]!.data.job).toMatchObject({ id: doneId, status: "succeeded", outputs: [{ name: "caption.txt", text: "alice's caption" }] });
  });

  it("refuses an altered, expired or other job's link with 403 and our error body", async () => {
    const url = new URL(watchUrl);
    const sig = url.searchParams.get("sig")!;
    const altered = `/jobs/${doneId}/events?exp=${url.searchParams.get("exp")}&sig=${sig.slice(0, -2)}${sig.endsWith("AA") ? "BB" : "AA"}`;
    const other = await insertJob(await configKeyOwner(OTHER_USER_KEY));
    const secret = (await env.DB.prepare("SELECT value FROM settings WHERE key = 'signing_secret'").first<{ value: string }>())!.value;
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = `/jobs/${doneId}/events?exp=${past}&sig=${await signKey(secret, `watch/${doneId}`, past)}`;
    for (const [p, code] of [
      [altered, "SIGNATURE_INVALID"],
      [`/jobs/${other}/events${url.search}`, "SIGNATURE_INVALID"],
      [`/jobs/${other}/preview${url.search}`, "SIGNATURE_INVALID"],
      [`/jobs/${doneId}/events?sig=${sig}`, "SIGNATURE_INVALID"],
      [expired, "SIGNATURE_EXPIRED"],
    ] as const) {
      const r = await call("GET", p);
      expect(r.status, p).toBe(403);
      expect(r.json, p).toMatchObject({ error: code, message: expect.any(String) });
    }
    // The signature covers `watch/<id>`: an output link's signature for the same expiry does not open the stream.
    const exp = url.searchParams.get("exp")!;
    expect((await call("GET", `/jobs/${doneId}/events?exp=${exp}&sig=${await signKey(secret, `outputs/${doneId}/caption.txt`, Number(exp))}`)).status).toBe(403);
  });

  it("also opens the job's preview endpoint (404: a finished job has none)", async () => {
    const r = await call("GET", path(watchUrl).replace("/events?", "/preview?"));
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ error: "NOT_FOUND" });
  });
});

describe("the key header", () => {
  it("needs a credential without a link: 401", async () => {
    expectAuthFailed(await call("GET", `/jobs/${doneId}/events`), /Authentication required/);
    expectAuthFailed(await call("GET", `/jobs/${doneId}/preview`), /Authentication required/);
    expectAuthFailed(await call("GET", "/events?timeout=1"), /Authentication required/);
  });

  it("gives another owner 404, exactly as GET /jobs/:id does; the owner and an admin get the stream", async () => {
    for (const p of [`/jobs/${doneId}/events`, `/jobs/${doneId}/preview`]) {
      const theirs = await call("GET", p, undefined, bob);
      expect(theirs.status, p).toBe(404);
      expect(theirs.json).toMatchObject({ error: "NOT_FOUND", message: "Job not found" });
    }
    expect((await call("GET", `/jobs/${doneId}`, undefined, bob)).status).toBe(404);
    for (const who of [alice, root]) {
      const r = await call("GET", `/jobs/${doneId}/events`, undefined, who);
      expect(r.status).toBe(200);
      expect(r.text).toContain("event: succeeded");
    }
  });
});

describe("GET /events", () => {
  it("shows a user only their own jobs, and an admin everyone's", async () => {
    const aliceFeed = (await openStream("/events?timeout=30", alice)).events!;
    const rootFeed = (await openStream("/events?timeout=30", root)).events!;
    const bobs = (await call("POST", "/jobs", { workflow: tinyGraph(Math.floor(Math.random() * 1e6)) }, bob)).json.id;
    const alices = (await call("POST", "/jobs", { workflow: tinyGraph(Math.floor(Math.random() * 1e6)) }, alice)).json.id;
    // No host in this project: both wait in the queue until canceled, Bob's first.
    expect((await call("POST", `/jobs/${bobs}/cancel`, undefined, bob)).status).toBe(200);
    expect((await call("POST", `/jobs/${alices}/cancel`, undefined, alice)).status).toBe(200);
    const seenByAlice = await aliceFeed.until((e) => e.data.jobId === alices && isTerminalEvent(e));
    const seenByRoot = await rootFeed.until((e) => e.data.jobId === alices && isTerminalEvent(e));
    await aliceFeed.cancel();
    await rootFeed.cancel();
    expect(seenByAlice.map((e) => e.data.jobId)).not.toContain(bobs);
    expect(seenByAlice.at(-1)).toMatchObject({ event: "canceled", data: { job: { id: alices, status: "canceled" } } });
    expect(seenByRoot.map((e) => e.data.jobId)).toEqual(expect.arrayContaining([bobs, alices]));
    // A new job shows up as soon as it is submitted, with its place in the queue.
    expect(seenByAlice.find((e) => e.data.jobId === alices)).toMatchObject({ event: "queued", data: { status: "queued", queuePosition: expect.any(Number) } });
  });
});
