import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { UNREADABLE_NOTE } from "../../src/jobs/inline";
import { call, tinyGraph } from "../helpers/gateway";

/** The app with its own INLINE_OUTPUT_MAX_BYTES (config is per env object), called like call() does. */
async function withCap(cap: number, path: string) {
  const vars = { ...env, INLINE_OUTPUT_MAX_BYTES: String(cap) } as unknown as typeof env;
  const ctx = createExecutionContext();
  const res = await createApp().request(`http://gw.test${path}`, {}, vars, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, json: (await res.json()) as any };
}

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

/**
 * A succeeded job that asked for inline outputs, written straight into D1 with its files in R2:
 * `files` are [name, bytes, stored?]. A file not stored stands for a copy retention removed.
 */
async function finishedJob(files: [string, Uint8Array, boolean?][], over: { facade?: string } = {}) {
  const id = crypto.randomUUID();
  const outputs = files.map(([name, b]) => ({ name, node: "9", kind: "image", contentType: "image/png", bytes: b.length, key: `outputs/${id}/${name}` }));
  for (const [name, b, stored = true] of files) if (stored) await env.OUTPUTS.put(`outputs/${id}/${name}`, b);
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO jobs (id, owner, status, priority, graph_json, metadata_json, attempts, outputs_json, queue_ms, execution_ms, created_at_ms, updated_at_ms, enqueued_at_ms, completed_at_ms, inline_outputs, facade, endpoint_id)
     VALUES (?, 'open', 'succeeded', 0, '{}', '{}', 1, ?, 3, 40, ?, ?, ?, ?, 1, ?, ?)`,
  ).bind(id, JSON.stringify(outputs), now, now, now, now, over.facade ?? null, over.facade ? "inline-ep" : null).run();
  return id;
}

describe("outputs inline (POST /jobs outputs.inline)", () => {
  it("carries each output's bytes as base64 while INLINE_OUTPUT_MAX_BYTES lasts, then the link only with a note", async () => {
    const a = bytes(6, 1);
    const b = bytes(8, 2);
    const c = bytes(4, 3);
    const id = await finishedJob([["a.png", a], ["b.png", b], ["c.png", c]]);
    const r = await withCap(10, `/jobs/${id}`);
    expect(r.status).toBe(200);
    const [oa, ob, oc] = r.json.outputs;
    expect(oa).toMatchObject({ name: "a.png", base64: b64(a), url: expect.any(String) });
    expect(oa).not.toHaveProperty("inlineNote");
    expect(ob).toMatchObject({ name: "b.png", url: expect.any(String), inlineNote: "Not inline: its 8 bytes do not fit in what is left of INLINE_OUTPUT_MAX_BYTES (10 per job, 4 left); download it from url" });
    expect(ob).not.toHaveProperty("base64");
    expect(oc).toMatchObject({ name: "c.png", base64: b64(c) });
  });

  it("says so when an output's stored copy cannot be read, rather than failing the request", async () => {
    const id = await finishedJob([["gone.png", bytes(5, 9), false]]);
    const r = await withCap(1000, `/jobs/${id}`);
    expect(r.status).toBe(200);
    expect(r.json.outputs[0]).toMatchObject({ name: "gone.png", inlineNote: UNREADABLE_NOTE });
  });

  it("gives links only with INLINE_OUTPUT_MAX_BYTES=0", async () => {
    const id = await finishedJob([["a.png", bytes(1, 1)]]);
    expect((await withCap(0, `/jobs/${id}`)).json.outputs[0]).toMatchObject({ inlineNote: expect.stringContaining("INLINE_OUTPUT_MAX_BYTES (0 per job") });
  });

  it("leaves GET /jobs lists with links only, so a page of jobs stays small", async () => {
    const id = await finishedJob([["a.png", bytes(3, 1)]]);
    const list = await withCap(1000, "/jobs?limit=100");
    const item = list.json.items.find((j: { id: string }) => j.id === id);
    expect(item.outputs[0]).not.toHaveProperty("base64");
    expect(item.outputs[0]).not.toHaveProperty("inlineNote");
  });

  it.each([
    { what: "inline as a string", outputs: { inline: "yes" } },
    { what: "an unknown option", outputs: { zip: true } },
    { what: "outputs as a list", outputs: [] },
  ])("refuses $what: 400", async ({ outputs }) => {
    const r = await call("POST", "/jobs", { workflow: tinyGraph(), outputs });
    expect(r.status, r.text).toBe(400);
    expect(r.json.message).toMatch(/^Invalid request body: outputs/);
  });
});

describe("the RunPod facade over the inline budget", () => {
  it("returns an output past INLINE_OUTPUT_MAX_BYTES as type s3_url and says why in output.errors", async () => {
    const small = bytes(4, 7);
    const id = await finishedJob([["small.png", small], ["big.png", bytes(50, 8)]], { facade: "runpod" });
    const r = await withCap(10, `/runpod/v2/inline-ep/status/${id}`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      id, status: "COMPLETED", delayTime: 3, executionTime: 40,
      output: {
        images: [
          { filename: "small.png", type: "base64", data: b64(small) },
          { filename: "big.png", type: "s3_url", data: expect.stringContaining(`/files/outputs/${id}/big.png`) },
        ],
        errors: ["big.png: Not inline: its 50 bytes do not fit in what is left of INLINE_OUTPUT_MAX_BYTES (10 per job, 6 left); download it from url"],
      },
    });
  });
});
