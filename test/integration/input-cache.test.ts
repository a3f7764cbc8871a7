import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../src/db/client";
import { config } from "../../src/env";
import { prepareSubmit } from "../../src/hosts/inputs";
import { encryptSecret } from "../../src/jobs/secret";
import { evictInputs, fetchUrlInput } from "../../src/storage/inputs";
import { signingSecret } from "../../src/storage/signed-url";
import type { ComfyClient } from "../../src/comfy/client";
import { TINY_PNG_BASE64 } from "../auth/route-table";
import { spawnReceiver, type Receiver } from "../helpers/receiver";

let receiver: Receiver;
beforeAll(async () => {
  receiver = await spawnReceiver();
});
afterAll(() => receiver?.close());

const policy = { allowPrivate: true, maxBytes: 1 << 20, timeoutMs: 2000 };
const pngAnswer = { status: 200, headers: { "content-type": "image/png" }, bodyBase64: TINY_PNG_BASE64 };

async function cacheEntry(key: string, bytes: number, lastUsedAtMs: number) {
  await env.OUTPUTS.put(key, new Uint8Array(bytes));
  await env.DB.prepare("INSERT INTO input_cache (key, url, content_type, bytes, created_at_ms, last_used_at_ms) VALUES (?, 'https://x.test/a', 'image/png', ?, ?, ?)")
    .bind(key, bytes, lastUsedAtMs, lastUsedAtMs).run();
}
async function jobNeeding(key: string, status: string) {
  const id = crypto.randomUUID();
  const files = JSON.stringify([{ name: "a.png", key, contentType: "image/png", bytes: 1 }]);
  await env.DB.prepare(`INSERT INTO jobs (id, owner, status, priority, graph_json, metadata_json, attempts, outputs_json, created_at_ms, updated_at_ms, enqueued_at_ms, input_files_json) VALUES (?, 'o', ?, 0, '{}', '{}', 0, '[]', 1, 1, 1, ?)`)
    .bind(id, status, files).run();
  return id;
}

describe("the URL input cache", () => {
  it("follows redirects, checking each hop, and caches under the URL it was given", async () => {
    const target = await receiver.hook([], pngAnswer);
    const hop = await receiver.hook([], { status: 302, headers: { location: target.url } });
    const first = await fetchUrlInput(db(env.DB), env.OUTPUTS, hop.url, policy, Date.now());
    expect(first).toMatchObject({ cached: false, contentType: "image/png", key: expect.stringMatching(/^inputs\/url\/[0-9a-f]{64}$/) });
    const again = await fetchUrlInput(db(env.DB), env.OUTPUTS, hop.url, policy, Date.now());
    expect(again).toMatchObject({ cached: true, key: first.key });
    expect(await hop.requests()).toHaveLength(1);
    expect(await target.requests()).toHaveLength(1);
  });

  it("gives up after 3 redirects", async () => {
    const loop = await receiver.hook();
    await fetch(`${receiver.url}/__receiver/script`, { method: "POST", body: JSON.stringify({ path: new URL(loop.url).pathname, responses: [], fallback: { status: 302, headers: { location: loop.url } } }) });
    await expect(fetchUrlInput(db(env.DB), env.OUTPUTS, loop.url, policy, Date.now())).rejects.toThrow("URL redirected too many times");
    expect(await loop.requests()).toHaveLength(4);
  });

  it("evicts the least recently used files above INPUT_CACHE_MAX_BYTES, never one a pending job needs", async () => {
    const p = `inputs/url/evict-${crypto.randomUUID()}`;
    // Entries other tests left behind are older than ours only if their last use is; keep them out of the way.
    await env.DB.prepare("UPDATE input_cache SET last_used_at_ms = 1000000000000 + last_used_at_ms WHERE key NOT LIKE 'inputs/url/evict-%'").run();
    const others = (await env.DB.prepare("SELECT coalesce(sum(bytes), 0) AS n FROM input_cache").first<{ n: number }>())!.n;
    await cacheEntry(`${p}-oldest-needed`, 100, 1);
    await cacheEntry(`${p}-old`, 100, 2);
    await cacheEntry(`${p}-older-than-new`, 100, 3);
    await cacheEntry(`${p}-new`, 100, 4);
    await jobNeeding(`${p}-oldest-needed`, "queued");
    await jobNeeding(`${p}-old`, "succeeded"); // finished jobs do not hold files

    expect(await evictInputs(db(env.DB), env.DB, env.OUTPUTS, others + 250)).toBe(2);
    const left = (await env.DB.prepare("SELECT key FROM input_cache WHERE instr(key, ?) = 1 ORDER BY last_used_at_ms").bind(p).all<{ key: string }>()).results.map((r) => r.key);
    expect(left).toEqual([`${p}-oldest-needed`, `${p}-new`]);
    expect(await env.OUTPUTS.head(`${p}-old`)).toBeNull();
    expect(await env.OUTPUTS.head(`${p}-new`)).not.toBeNull();
    expect(await evictInputs(db(env.DB), env.DB, env.OUTPUTS, others + 250)).toBe(0);
  });
});

describe("the Comfy.org key an attempt is submitted with", () => {
  const noUploads = {} as ComfyClient;
  async function job(sealed: string | null) {
    const id = crypto.randomUUID();
    await env.DB.prepare(`INSERT INTO jobs (id, owner, status, priority, graph_json, metadata_json, attempts, outputs_json, created_at_ms, updated_at_ms, enqueued_at_ms) VALUES (?, 'o', 'running', 0, '{}', '{}', 1, '[]', 1, 1, 1)`).bind(id).run();
    if (sealed !== null) {
      const secret = await signingSecret(db(env.DB), env.DB, config(env).SIGNING_SECRET);
      await env.DB.prepare("UPDATE jobs SET comfy_key_enc = ? WHERE id = ?").bind(await encryptSecret(secret, id, sealed), id).run();
    }
    return id;
  }
  const graph = { "1": { class_type: "X", inputs: {} } };

  it.each([
    { name: "none anywhere", configured: undefined, own: null, want: {} },
    { name: "COMFY_ORG_API_KEY", configured: "cfg-key", own: null, want: { api_key_comfy_org: "cfg-key" } },
    { name: "the job's own, over the config's", configured: "cfg-key", own: "job-key", want: { api_key_comfy_org: "job-key" } },
    { name: "the job's own without a config key", configured: undefined, own: "job-key", want: { api_key_comfy_org: "job-key" } },
  ])("uses $name", async ({ configured, own, want }) => {
    const cfg = { ...config(env), COMFY_ORG_API_KEY: configured };
    const id = await job(own);
    const row = await env.DB.prepare("SELECT input_files_json AS inputFilesJson, comfy_key_enc AS comfyKeyEnc FROM jobs WHERE id = ?").bind(id).first<{ inputFilesJson: string | null; comfyKeyEnc: string | null }>();
    const r = await prepareSubmit(env, cfg, noUploads, id, row!, graph);
    expect(r).toEqual({ graph, extraData: want });
  });
});

describe("POST /uploads", () => {
  const png = Uint8Array.from(atob(TINY_PNG_BASE64), (c) => c.charCodeAt(0));
  const post = (body: BodyInit, headers: Record<string, string> = {}, query = "") =>
    exports.default.fetch(new Request(`http://gw.test/uploads${query}`, { method: "POST", body, headers }));

  it("takes a multipart file part, stores its bytes in R2 and names it safely", async () => {
    const form = new FormData();
    form.append("file", new Blob([png], { type: "image/png" }), "../../../photo.png");
    const r = await post(form);
    expect(r.status).toBe(201);
    const up = (await r.json()) as { id: string; name: string; bytes: number; contentType: string };
    expect(up).toMatchObject({ name: "photo.png", bytes: png.length, contentType: "image/png" });
    const row = await env.DB.prepare("SELECT key FROM uploads WHERE id = ?").bind(up.id).first<{ key: string }>();
    expect(row!.key).toBe(`uploads/${up.id}`);
    expect(new Uint8Array(await (await env.OUTPUTS.get(row!.key))!.arrayBuffer())).toEqual(png);
  });

  it.each([
    { name: "a multipart body without a file part", body: () => { const f = new FormData(); f.append("other", "x"); return f; }, headers: {}, status: 400 },
    { name: "an empty raw body", body: () => new Uint8Array(0), headers: { "content-type": "image/png" }, status: 400 },
    { name: "a raw text body", body: () => "hello", headers: { "content-type": "text/plain" }, status: 415 },
  ])("refuses $name with $status", async ({ body, headers, status }) => {
    const r = await post(body(), headers as Record<string, string>);
    expect(r.status).toBe(status);
    await r.body?.cancel();
  });
});
