import { exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addHost, spawnFake, type Fake } from "../helpers/fake";
import { call, submit, waitForTerminal } from "../helpers/gateway";
import { epochOf, isTerminalEvent, openStream, seqOf, type SseEvent } from "../helpers/sse";

/** A sampler graph: the fake sends progress and, with previews on, a JPEG preview per KSampler step. */
const samplerGraph = (steps: number, seed = Math.floor(Math.random() * 1e9)) => ({
  "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "sd15.safetensors" } },
  "5": { class_type: "EmptyLatentImage", inputs: { width: 64, height: 64, batch_size: 1 } },
  "6": { class_type: "CLIPTextEncode", inputs: { text: "a lighthouse", clip: ["4", 1] } },
  "3": { class_type: "KSampler", inputs: { seed, steps, cfg: 7, sampler_name: "euler", scheduler: "normal", denoise: 1, model: ["4", 0], positive: ["6", 0], negative: ["6", 0], latent_image: ["5", 0] } },
  "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
  "9": { class_type: "SaveImage", inputs: { images: ["8", 0], filename_prefix: "watch" } },
});

let fake: Fake;
beforeAll(async () => {
  fake = await spawnFake(["--step-ms", "120", "--preview-method", "latent2rgb"]);
  // One slot: a second job waits in the queue behind the first.
  await addHost(fake, 1);
});
afterAll(() => fake?.close());

/** A job that is still queued when it returns: another holds the only slot. */
async function queuedBehindAnother(steps = 12) {
  const blocker = await submit({ workflow: samplerGraph(steps) });
  const job = await submit({ workflow: samplerGraph(steps) });
  return { blocker, job };
}

const names = (es: SseEvent[]) => es.map((e) => e.event);

describe("GET /jobs/:id/events", () => {
  it("streams a job from the queue to its end: position, host, start, progress, previews, outputs, then the job", async () => {
    const { blocker, job } = await queuedBehindAnother();
    const { res, events } = await openStream(`/jobs/${job.id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const seen: SseEvent[] = [];
    let previewServed: Response | null = null;
    let late: ReturnType<typeof openStream> | null = null;
    for (let e = await events!.next(); e; e = await events!.next()) {
      seen.push(e);
      // While it runs: the preview endpoint has the latest frame, and a watcher arriving now starts from the current state.
      if (e.event === "preview") previewServed ??= await fetchUrl(`http://gw.test/jobs/${job.id}/preview`);
      if (e.event === "progress" && !late) late = openStream(`/jobs/${job.id}/events`);
      if (isTerminalEvent(e)) break;
    }
    expect(await events!.ended()).toBe(true);

    expect(seen[0]).toMatchObject({ event: "queued", data: { jobId: job.id, status: "queued", queuePosition: 1 } });
    for (const name of ["queued", "running", "started", "executing", "progress", "preview", "output", "succeeded"]) expect(names(seen), name).toContain(name);
    // Each kind first appears in the job's order (a step's preview may come before its progress), and the ids count up one by one.
    const order = ["queued", "running", "started", "executing", "progress", "output", "succeeded"];
    const firsts = order.map((n) => names(seen).indexOf(n));
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
    expect(seen.map(seqOf)).toEqual(seen.map((_, i) => seqOf(seen[0]!) + i));
    expect(new Set(seen.map(epochOf)).size).toBe(1);

    const running = seen.find((e) => e.event === "running")!;
    expect(running.data.host).toMatch(/^gpu-/);
    const progress = seen.filter((e) => e.event === "progress").map((e) => e.data);
    expect(progress.at(-1)).toMatchObject({ jobId: job.id, node: "3", value: 12, max: 12, percent: 100 });
    expect(progress.every((p, i) => i === 0 || p.value >= progress[i - 1].value || p.node !== progress[i - 1].node)).toBe(true);
    expect(progress.some((p) => p.nodes?.["3"]?.state === "running")).toBe(true);
    const preview = seen.find((e) => e.event === "preview")!.data;
    expect(preview).toMatchObject({ jobId: job.id, node: "3", contentType: "image/jpeg", bytes: expect.any(Number) });
    expect(preview.dataUri).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    expect(preview.url).toContain(`/jobs/${job.id}/preview?exp=`);
    const output = seen.find((e) => e.event === "output")!.data.output;
    expect(output).toMatchObject({ node: "9", kind: "image", contentType: "image/png", url: expect.stringContaining("/files/outputs/") });
    expect((await fetchUrl(output.url)).status).toBe(200);

    const end = seen.at(-1)!;
    const got = (await call("GET", `/jobs/${job.id}`)).json;
    expect(end.data.job).toMatchObject({ id: job.id, status: "succeeded", host: got.host, attempts: 1, progress: { percent: 100 } });
    expect(end.data.job.outputs.map((o: { name: string }) => o.name)).toEqual(got.outputs.map((o: { name: string }) => o.name));
    expect(Object.keys(end.data.job).sort()).toEqual(Object.keys(got).sort());

    expect(previewServed?.status).toBe(200);
    expect(previewServed?.headers.get("content-type")).toBe("image/jpeg");
    expect([...new Uint8Array(await previewServed!.arrayBuffer()).slice(0, 2)]).toEqual([0xff, 0xd8]);
    const gone = await call("GET", `/jobs/${job.id}/preview`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ error: "NOT_FOUND", message: expect.any(String) });

    // The watcher that came in mid-run got the current state first: the job on its host, not the queue it left.
    const lateStream = await late!;
    const lateSeen = await lateStream.events!.until(isTerminalEvent);
    expect(lateSeen[0]!.event).toBe("running");
    expect(names(lateSeen)).not.toContain("queued");
    expect(lateSeen.at(-1)!.id).toBe(end.id);
    await waitForTerminal(blocker.id);
  });

  it("serves many watchers the same events, and resumes one after its Last-Event-ID without a gap", async () => {
    const { blocker, job } = await queuedBehindAnother(10);
    const a = (await openStream(`/jobs/${job.id}/events`)).events!;
    const b = (await openStream(`/jobs/${job.id}/events`)).events!;
    const firstPart = await b.until((e) => e.event === "progress" && e.data.value >= 3);
    await b.cancel();
    const resumed = await openStream(`/jobs/${job.id}/events`, { "last-event-id": firstPart.at(-1)!.id });
    expect(resumed.res.status).toBe(200);
    const rest = await resumed.events!.until(isTerminalEvent);
    const all = await a.until(isTerminalEvent);
    expect(all[0]!.event).toBe("queued");
    expect([...firstPart, ...rest].map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect([...firstPart, ...rest].map((e) => e.event)).toEqual(all.map((e) => e.event));

    // After the end: a new watcher gets the job's end at once; one resuming after it is told there is no more.
    const late = await openStream(`/jobs/${job.id}/events`);
    const only = await late.events!.until(() => false);
    expect(names(only)).toEqual(["succeeded"]);
    expect(only[0]!.data.job).toMatchObject({ id: job.id, status: "succeeded" });
    const done = await openStream(`/jobs/${job.id}/events`, { "last-event-id": all.at(-1)!.id });
    expect(done.res.status).toBe(204);
    await waitForTerminal(blocker.id);
  });

  it("follows a job nobody watched until it was halfway through: its state so far, then every step to its end", async () => {
    // Its host reported nothing while nobody listened; the watcher's arrival makes it report.
    const job = await submit({ workflow: samplerGraph(16) });
    let percent = 0;
    while (percent < 25) {
      const got = (await call("GET", `/jobs/${job.id}`)).json;
      expect(got.status).not.toBe("succeeded");
      percent = got.progress?.percent ?? 0;
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = (await openStream(`/jobs/${job.id}/events`)).events!;
    const seen = await s.until(isTerminalEvent);
    expect(names(seen).slice(0, 3)).toEqual(["running", "started", "progress"]);
    const progress = seen.filter((e) => e.event === "progress").map((e) => e.data.value as number);
    expect(progress[0]).toBeGreaterThanOrEqual(4);
    // More than the snapshot: the steps after the watcher came, one by one, to the last.
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toBe(16);
    expect(names(seen)).toContain("output");
    expect(seen.at(-1)).toMatchObject({ event: "succeeded", data: { job: { id: job.id, status: "succeeded" } } });
  });

  it("ends a job canceled in the queue with its canceled job, and refuses what is not a job", async () => {
    const { blocker, job } = await queuedBehindAnother(10);
    const s = (await openStream(`/jobs/${job.id}/events`)).events!;
    expect((await s.next())!.event).toBe("queued");
    expect((await call("POST", `/jobs/${job.id}/cancel`)).status).toBe(200);
    const rest = await s.until(isTerminalEvent);
    expect(rest.at(-1)).toMatchObject({ event: "canceled", data: { jobId: job.id, job: { status: "canceled" } } });
    expect(await s.ended()).toBe(true);
    for (const path of ["/jobs/not-a-uuid/events", `/jobs/${crypto.randomUUID()}/events`, `/jobs/${crypto.randomUUID()}/preview`]) {
      const r = await call("GET", path);
      expect(r.status, path).toBe(404);
      expect(r.json).toMatchObject({ error: "NOT_FOUND" });
    }
    expect((await call("GET", `/jobs/${job.id}/events`, undefined, { "last-event-id": "x".repeat(65) })).status).toBe(400);
    await waitForTerminal(blocker.id);
  });
});

describe("GET /events", () => {
  it("carries every job's changes (an admin's stream: everyone's), each event naming its job", async () => {
    const { res, events } = await openStream("/events?timeout=60");
    expect(res.status).toBe(200);
    const job = await submit({ workflow: samplerGraph(6) });
    const mine = (await events!.until((e) => e.data.jobId === job.id && isTerminalEvent(e))).filter((e) => e.data.jobId === job.id);
    await events!.cancel();
    expect(names(mine)).toEqual(expect.arrayContaining(["running", "started", "progress", "output", "succeeded"]));
    // The submit's report travels apart from the host's: it comes first, or (late) not at all.
    expect(names(mine).lastIndexOf("queued")).toBeLessThan(names(mine).indexOf("running"));
    expect(mine.at(-1)!.data.job).toMatchObject({ id: job.id, status: "succeeded" });
    // Previews reach the feed without their bytes.
    for (const p of mine.filter((e) => e.event === "preview")) expect(p.data.dataUri).toBeUndefined();
    expect((await call("GET", "/events?timeout=0")).status).toBe(400);
    expect((await call("GET", "/events?follow=1")).status).toBe(400);
  });

  it("a dashboard that connects while a job runs gets that job's changes from then on", async () => {
    const job = await submit({ workflow: samplerGraph(16) });
    for (let got = (await call("GET", `/jobs/${job.id}`)).json; !got.progress?.percent; got = (await call("GET", `/jobs/${job.id}`)).json) {
      expect(got.status).not.toBe("succeeded");
      await new Promise((r) => setTimeout(r, 50));
    }
    const { events } = await openStream("/events?timeout=60");
    const mine = (await events!.until((e) => e.data.jobId === job.id && isTerminalEvent(e))).filter((e) => e.data.jobId === job.id);
    await events!.cancel();
    expect(names(mine)).toContain("progress");
    expect(names(mine)).toContain("output");
    expect(mine.at(-1)).toMatchObject({ event: "succeeded", data: { job: { id: job.id } } });
  });
});

const fetchUrl = (url: string) => exports.default.fetch(new Request(url));

describe("a quiet stream", () => {
  it("gets a keepalive comment while nothing happens, and ends when its timeout says", async () => {
    // Longer than one heartbeat (15 s); the server ends it by itself.
    const { events } = await openStream("/events?timeout=17");
    await events!.until(() => false);
    expect(events!.comments).toBeGreaterThanOrEqual(1);
  }, 40_000);
});
