// `node --test test/fakes/comfyui/behaviour.nodetest.mjs`: the fake's own features (2026 profile,
// faults, previews, files, stats, launcher) that no transcript covers.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import zlib from "node:zlib";
import WebSocket from "ws";
import { startFakeComfy } from "./index.ts";

let fake;
let base;
before(async () => {
  fake = await startFakeComfy({ stepMs: 2 });
  base = fake.url;
});
after(async () => {
  await fake?.close();
});
beforeEach(async () => {
  await fake.client.reset();
  await fake.client.setConfig({ versionProfile: "2026", stepMs: 2, previewMethod: "none", bug16010: false, cache: true, maxHistory: 10000 });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function socket(clientId, { flags } = {}) {
  const ws = new WebSocket(`${base.replace("http", "ws")}/ws${clientId ? `?clientId=${clientId}` : ""}`);
  const s = { ws, text: [], bin: [], closed: false };
  ws.on("message", (d, isBin) => (isBin ? s.bin.push(d) : s.text.push(d.toString())));
  ws.on("close", () => (s.closed = true));
  s.ready = new Promise((r) => ws.once("message", r)).then(() => {
    if (flags) ws.send(JSON.stringify({ type: "feature_flags", data: flags }));
  });
  s.waitFor = async (pred, ms = 10000) => {
    const end = Date.now() + ms;
    for (;;) {
      const hit = s.text.map((t) => JSON.parse(t)).find(pred);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`timeout; frames: ${s.text.slice(-5).join("\n")}`);
      await sleep(10);
    }
  };
  s.done = (pid) => s.waitFor((m) => m.type === "executing" && m.data.node === null && m.data.prompt_id === pid);
  return s;
}

async function post(p, body) {
  const r = await fetch(base + p, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, text, json: text ? (() => { try { return JSON.parse(text); } catch { return null; } })() : null };
}
const get = async (p) => {
  const r = await fetch(base + p);
  return { status: r.status, headers: r.headers, buf: Buffer.from(await r.arrayBuffer()) };
};
const uuid = () => crypto.randomUUID();

const simple = (prefix = "gw", extra = {}) => ({
  "1": { class_type: "EmptyImage", inputs: { width: 64, height: 48, batch_size: 1, color: 0x336699 } },
  "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: prefix } },
  ...extra,
});

const txt2img = (prefix, steps = 4, ckpt = "sd15.safetensors") => ({
  "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: ckpt } },
  "5": { class_type: "EmptyLatentImage", inputs: { width: 96, height: 80, batch_size: 1 } },
  "6": { class_type: "CLIPTextEncode", inputs: { text: `a cat ${prefix}`, clip: ["4", 1] } },
  "7": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["4", 1] } },
  "3": { class_type: "KSampler", inputs: { seed: 42, steps, cfg: 7.0, sampler_name: "euler", scheduler: "normal", denoise: 1.0, model: ["4", 0], positive: ["6", 0], negative: ["7", 0], latent_image: ["5", 0] } },
  "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
  "9": { class_type: "SaveImage", inputs: { images: ["8", 0], filename_prefix: prefix } },
});

async function run(s, prompt, extra = {}) {
  const pid = uuid();
  const r = await post("/prompt", { prompt, client_id: s ? new URL(s.ws.url).searchParams.get("clientId") : undefined, prompt_id: pid, ...extra });
  assert.equal(r.status, 200, r.text);
  if (s) await s.done(pid);
  return pid;
}

test("2026 profile: canonical UUID prompt ids, missing_node_type, create_time", async () => {
  for (const bad of ["ABCDEF01-0000-4000-8000-000000000000", "123", 5, "not-a-uuid"]) {
    const r = await post("/prompt", { prompt: simple(), prompt_id: bad });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.type, "invalid_prompt_id");
  }
  const r = await post("/prompt", { prompt: { "7": { class_type: "FooNode", inputs: {} }, ...simple() } });
  assert.equal(r.text, `{"error": {"type": "missing_node_type", "message": "Node 'FooNode' not found. The custom node may not be installed.", "details": "Node ID '#7'", "extra_info": {"node_id": "7", "class_type": "FooNode", "node_title": "FooNode"}}, "node_errors": {}}`);
  const s = socket("c2026");
  await s.ready;
  const pid = await run(s, simple());
  const h = await (await fetch(`${base}/api/history/${pid}`)).text();
  assert.match(h, /\{"client_id": "c2026", "create_time": \d+\}/);
  s.ws.close();
});

test("0.3.64 profile: any prompt_id stringified, invalid_prompt for unknown nodes", async () => {
  await fake.client.setConfig({ versionProfile: "0.3.64" });
  const r = await post("/prompt", { prompt: simple(), prompt_id: 123 });
  assert.equal(r.json.prompt_id, "123");
  const n = await post("/prompt", { prompt: simple(), prompt_id: null });
  assert.equal(n.json.prompt_id, "None");
  const u = await post("/prompt", { prompt: { "1": { class_type: "Nope", inputs: {} } } });
  assert.equal(u.json.error.type, "invalid_prompt");
});

test("validation: missing model, missing input image, partial node_errors, bad json", async () => {
  const r = await post("/prompt", { prompt: txt2img("x", 2, "sdxl.safetensors") });
  assert.equal(r.status, 400);
  assert.equal(
    r.text,
    `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}}, "node_errors": {"4": {"errors": [{"type": "value_not_in_list", "message": "Value not in list", "details": "ckpt_name: 'sdxl.safetensors' not in ['sd15.safetensors', 'sdxl_base.safetensors', 'flux1-dev.safetensors']", "extra_info": {"input_name": "ckpt_name", "input_config": [["sd15.safetensors", "sdxl_base.safetensors", "flux1-dev.safetensors"], {"tooltip": "The name of the checkpoint (model) to load."}], "received_value": "sdxl.safetensors"}}], "dependent_outputs": ["9"], "class_type": "CheckpointLoaderSimple"}}}`,
  );
  const li = await post("/prompt", { prompt: { "1": { class_type: "LoadImage", inputs: { image: "in.png" } }, "2": { class_type: "PreviewImage", inputs: { images: ["1", 0] } } } });
  assert.equal(li.json.node_errors["1"].errors[0].details, "image - Invalid image file: in.png");
  // One good and one bad output: 200 with node_errors, the good one runs.
  const partial = await post("/prompt", { prompt: { ...simple("good"), "3": { class_type: "SaveImage", inputs: { images: ["1", 7], filename_prefix: "bad" } } } });
  assert.equal(partial.status, 200);
  assert.deepEqual(Object.keys(partial.json.node_errors), ["3"]);
  const sampler = await post("/prompt", { prompt: { ...txt2img("s"), "3": { ...txt2img("s")["3"], inputs: { ...txt2img("s")["3"].inputs, sampler_name: "nope" } } } });
  assert.equal(sampler.json.node_errors["3"].errors[0].details, "sampler_name: 'nope' not in (list of length 42)");
  const bad = await post("/prompt", "{nope");
  assert.equal(bad.status, 500);
  assert.equal(bad.text, "500 Internal Server Error\n\nServer got itself in trouble");
});

test("upload then LoadImage; real PNG outputs with prompt metadata and requested size", async () => {
  const s = socket("up");
  await s.ready;
  const pid = await run(s, txt2img("gw/job1", 3));
  const hist = JSON.parse((await get(`/history/${pid}`)).buf.toString());
  const img = hist[pid].outputs["9"].images[0];
  assert.deepEqual(img, { filename: "job1_00001_.png", subfolder: "gw", type: "output" });
  const v = await get(`/view?filename=${img.filename}&subfolder=gw&type=output`);
  assert.equal(v.status, 200);
  assert.equal(v.headers.get("content-type"), "image/png");
  const b = v.buf;
  assert.equal(b.subarray(0, 8).toString("hex"), "89504e470d0a1a0a");
  assert.equal(b.readUInt32BE(16), 96);
  assert.equal(b.readUInt32BE(20), 80);
  // Walk chunks and check every CRC.
  let off = 8;
  const types = [];
  while (off < b.length) {
    const len = b.readUInt32BE(off);
    const type = b.subarray(off + 4, off + 8).toString("latin1");
    const crc = b.readUInt32BE(off + 8 + len);
    assert.equal(zlib.crc32(b.subarray(off + 4, off + 8 + len)) >>> 0, crc, `crc of ${type}`);
    types.push(type);
    if (type === "tEXt") assert.ok(b.subarray(off + 8, off + 8 + len).toString("latin1").startsWith('prompt\0{"3": {"class_type": "KSampler"'));
    off += 12 + len;
  }
  assert.deepEqual(types, ["IHDR", "tEXt", "IDAT", "IEND"]);
  // Upload it back as an input and load it.
  const fd = new FormData();
  fd.append("image", new Blob([b]), "mine.png");
  const up = await (await fetch(`${base}/upload/image`, { method: "POST", body: fd })).json();
  assert.deepEqual(up, { name: "mine.png", subfolder: "", type: "input" });
  const pid2 = await run(s, { "1": { class_type: "LoadImage", inputs: { image: "mine.png" } }, "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "re" } } });
  const h2 = JSON.parse((await get(`/history/${pid2}`)).buf.toString());
  assert.equal(h2[pid2].status.status_str, "success");
  const st = await fake.client.stats();
  assert.equal(st.uploads.length, 1);
  s.ws.close();
});

test("/view byte ranges, ETag, 304, 416, forced download types", async () => {
  await fake.client.putFile("output", "sub/a.bin", Buffer.from("0123456789"));
  const r = await fetch(`${base}/view?filename=a.bin&subfolder=sub`, { headers: { range: "bytes=2-5" } });
  assert.equal(r.status, 206);
  assert.equal(r.headers.get("content-range"), "bytes 2-5/10");
  assert.equal(await r.text(), "2345");
  const tail = await fetch(`${base}/view?filename=a.bin&subfolder=sub`, { headers: { range: "bytes=-3" } });
  assert.equal(await tail.text(), "789");
  const bad = await fetch(`${base}/view?filename=a.bin&subfolder=sub`, { headers: { range: "bytes=20-" } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get("content-range"), "bytes */10");
  const full = await fetch(`${base}/view?filename=a.bin&subfolder=sub`);
  assert.equal(full.headers.get("content-type"), "application/octet-stream");
  assert.equal(full.headers.get("content-disposition"), 'filename="a.bin"');
  const etag = full.headers.get("etag");
  assert.match(etag, /^"[0-9a-f]+-a"$/);
  const cond = await fetch(`${base}/view?filename=a.bin&subfolder=sub`, { headers: { "if-none-match": etag } });
  assert.equal(cond.status, 304);
  await fake.client.putFile("output", "x.html", Buffer.from("<b>x</b>"));
  const html = await fetch(`${base}/view?filename=x.html`);
  assert.equal(html.headers.get("content-type"), "application/octet-stream");
  assert.equal((await fetch(`${base}/view?filename=a.bin&subfolder=../..`)).status, 403);
  assert.equal((await fetch(`${base}/view?filename=a.bin&type=foo`)).status, 400);
});

test("FakeOutput: every kind, 50 MB video streamed, sha256 matches /view", async () => {
  const s = socket("fo");
  await s.ready;
  const kinds = ["image", "video", "audio", "text", "3d", "animated"];
  const prompt = Object.fromEntries(kinds.map((k, i) => [String(i + 1), { class_type: "FakeOutput", inputs: { kind: k, bytes: k === "video" ? 50 * 1024 * 1024 : 5000, filename_prefix: `fo_${k}` } }]));
  const pid = await run(s, prompt);
  const out = JSON.parse((await get(`/history/${pid}`)).buf.toString())[pid].outputs;
  assert.deepEqual(Object.values(out).map((o) => Object.keys(o).join("+")), ["images", "gifs", "audio", "text", "result", "images+animated"]);
  const vid = out["2"].gifs[0];
  assert.equal(vid.filename, "fo_video_00001.mp4");
  const v = await get(`/view?filename=${vid.filename}&type=output&subfolder=`);
  assert.equal(v.headers.get("content-type"), "video/mp4");
  assert.equal(v.buf.length, 50 * 1024 * 1024);
  const sha = await fake.client.fileSha256("output", vid.filename);
  assert.equal(sha.sha256, crypto.createHash("sha256").update(v.buf).digest("hex"));
  const img = await get(`/view?filename=${out["1"].images[0].filename}`);
  assert.equal(img.buf.length, 5000);
  assert.equal(out["4"].text[0].length, 5000);
  s.ws.close();
});

test("viewChunked fault: /view answers chunked without Content-Length, as through a tunnel", async () => {
  const data = crypto.randomBytes(300_000);
  await fake.client.putFile("output", "tunnel.bin", data);
  const raw = (p) =>
    new Promise((resolve, reject) =>
      http.get(base + p, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, buf: Buffer.concat(chunks) }));
      }).on("error", reject),
    );
  const plain = await raw("/view?filename=tunnel.bin");
  assert.equal(plain.headers["content-length"], "300000");
  await fake.client.setFaults({ viewChunked: true });
  const chunked = await raw("/view?filename=tunnel.bin");
  assert.equal(chunked.status, 200);
  assert.equal(chunked.headers["content-length"], undefined);
  assert.equal(chunked.headers["transfer-encoding"], "chunked");
  assert.ok(chunked.buf.equals(data));
  // Ranges keep their exact length: only the whole-file answer goes through the "tunnel".
  const ranged = await new Promise((resolve) => http.get(base + "/view?filename=tunnel.bin", { headers: { range: "bytes=0-9" } }, resolve));
  assert.equal(ranged.headers["content-length"], "10");
  ranged.resume();
});

test("FakeOutput blobs hold their offsets, so a moved or repeated block changes the file", async () => {
  const s = socket("blob");
  await s.ready;
  const size = 3 * 1024 * 1024 + 6;
  const pid = await run(s, { "1": { class_type: "FakeOutput", inputs: { kind: "audio", bytes: size, filename_prefix: "blob" } } });
  const file = JSON.parse((await get(`/history/${pid}`)).buf.toString())[pid].outputs["1"].audio[0].filename;
  const buf = (await get(`/view?filename=${file}`)).buf;
  assert.equal(buf.length, size);
  // Past the 8-byte header every aligned 4-byte word is its own offset (little endian).
  for (const at of [8, 1024 * 1024, 2 * 1024 * 1024 + 4, size - 6 - 2]) {
    const aligned = at - (at % 4);
    assert.equal(buf.readUInt32LE(aligned), aligned, `word at ${aligned}`);
  }
  s.ws.close();
});

test("OOM fault: exact error shape, sampler left running, next prompt succeeds", async () => {
  const s = socket("oom");
  await s.ready;
  await fake.client.setFaults({ oom: 1 });
  const pid = await run(s, txt2img("oom", 3));
  const err = await s.waitFor((m) => m.type === "execution_error");
  assert.equal(err.data.node_id, "3");
  assert.equal(err.data.node_type, "KSampler");
  assert.equal(err.data.exception_type, "torch.OutOfMemoryError");
  assert.equal(err.data.exception_message, "Allocation on device \nThis error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.");
  assert.deepEqual(Object.keys(err.data), ["prompt_id", "node_id", "node_type", "executed", "exception_message", "exception_type", "traceback", "current_inputs", "current_outputs", "timestamp"]);
  assert.deepEqual(Object.keys(err.data.current_inputs), ["seed", "steps", "cfg", "sampler_name", "scheduler", "denoise", "model", "positive", "negative", "latent_image"]);
  const raw = s.text.find((t) => t.includes('"execution_error"'));
  assert.ok(raw.includes('"cfg": [7.0]'));
  const states = s.text.filter((t) => t.includes('"progress_state"')).map((t) => JSON.parse(t));
  assert.equal(states.at(-1).data.nodes["3"].state, "running");
  const h = JSON.parse((await get(`/history/${pid}`)).buf.toString())[pid];
  assert.equal(h.status.status_str, "error");
  assert.equal(h.status.messages.at(-1)[0], "execution_error");
  // Retry: loader etc. cached, sampler runs with progress 1..3.
  s.text.length = 0;
  const pid2 = await run(s, txt2img("oom", 3));
  const prog = s.text.filter((t) => t.includes('"type": "progress"')).map((t) => JSON.parse(t).data.value);
  assert.deepEqual(prog, [1, 2, 3]);
  assert.equal(JSON.parse((await get(`/history/${pid2}`)).buf.toString())[pid2].status.status_str, "success");
  s.ws.close();
});

test("hang fault ends only by targeted interrupt; pending-targeted interrupt is a no-op", async () => {
  const s = socket("hang");
  await s.ready;
  await fake.client.setFaults({ hang: true });
  const pid = uuid();
  await post("/prompt", { prompt: simple("h"), client_id: "hang", prompt_id: pid });
  await s.waitFor((m) => m.type === "executing" && m.data.node === "1");
  await sleep(100);
  await post("/interrupt", { prompt_id: uuid() });
  await sleep(50);
  assert.equal((await fake.client.state()).running, pid);
  await post("/interrupt", { prompt_id: pid });
  const intr = await s.waitFor((m) => m.type === "execution_interrupted");
  assert.equal(intr.data.prompt_id, pid);
  await s.done(pid);
  const st = await fake.client.stats();
  assert.deepEqual(st.interrupts.map((i) => i.effective), [false, true]);
  s.ws.close();
});

test("priority: front and number, one at a time, idle gaps recorded", async () => {
  const s = socket("prio");
  await s.ready;
  const long = { "1": { class_type: "EmptyImage", inputs: { width: 8, height: 8, batch_size: 1, color: 1 } }, "2": { class_type: "HarnessSteps", inputs: { images: ["1", 0], steps: 5, step_ms: 20 } }, "3": { class_type: "SaveImage", inputs: { images: ["2", 0], filename_prefix: "p" } } };
  const a = await post("/prompt", { prompt: long, client_id: "prio" });
  const b = await post("/prompt", { prompt: simple("b"), client_id: "prio" });
  const c = await post("/prompt", { prompt: simple("c"), client_id: "prio", front: true });
  const d = await post("/prompt", { prompt: simple("d"), client_id: "prio", number: 1.5 });
  assert.deepEqual([a.json.number, b.json.number, c.json.number], [0, 1, -2]);
  assert.ok(b.text.includes('"number": 1,') && d.text.includes('"number": 1.5,'));
  await s.done(d.json.prompt_id);
  const st = await fake.client.stats();
  assert.deepEqual(st.executed.map((e) => e.prompt_id), [a, c, b, d].map((x) => x.json.prompt_id));
  for (let i = 1; i < st.executed.length; i++) assert.ok(st.executed[i].startedAt >= st.executed[i - 1].endedAt);
  assert.equal(st.idleGapsMs.length, 3);
  s.ws.close();
});

test("dropSocket after:execution_start closes sockets, the prompt still finishes", async () => {
  const s = socket("drop");
  await s.ready;
  await fake.client.setFaults({ dropSocket: "after:execution_start" });
  const pid = uuid();
  await post("/prompt", { prompt: simple("drop"), client_id: "drop", prompt_id: pid });
  for (let i = 0; i < 100 && !s.closed; i++) await sleep(10);
  assert.ok(s.closed);
  assert.ok(s.text.some((t) => t.includes('"execution_start"')));
  assert.ok(!s.text.some((t) => t.includes('"execution_cached"')));
  for (let i = 0; i < 100; i++) {
    if ((await get(`/history/${pid}`)).buf.toString() !== "{}") break;
    await sleep(10);
  }
  assert.notEqual((await get(`/history/${pid}`)).buf.toString(), "{}");
});

test("historyDelayMs: execution_success before history, executing null after", async () => {
  const s = socket("hd");
  await s.ready;
  await fake.client.setFaults({ historyDelayMs: 300 });
  const pid = uuid();
  await post("/prompt", { prompt: simple("hd"), client_id: "hd", prompt_id: pid });
  await s.waitFor((m) => m.type === "execution_success");
  assert.equal((await get(`/history/${pid}`)).buf.toString(), "{}");
  await s.done(pid);
  assert.notEqual((await get(`/history/${pid}`)).buf.toString(), "{}");
  s.ws.close();
});

test("restart fault: sockets dropped, queue/history/temp gone, counter back to 0, outputs kept", async () => {
  const s = socket("rs");
  await s.ready;
  const pid = await run(s, { ...simple("keep"), "3": { class_type: "PreviewImage", inputs: { images: ["1", 0] } } });
  const out = JSON.parse((await get(`/history/${pid}`)).buf.toString())[pid].outputs;
  await post("/prompt", { prompt: simple("x") });
  await fake.client.setFaults({ restart: true, restartDownMs: 200 });
  for (let i = 0; i < 50 && !s.closed; i++) await sleep(10);
  assert.ok(s.closed);
  assert.equal((await fetch(`${base}/queue`)).status, 503);
  await sleep(250);
  assert.equal((await get(`/history/${pid}`)).buf.toString(), "{}");
  assert.equal((await get(`/view?filename=${out["3"].images[0].filename}&type=temp`)).status, 404);
  assert.equal((await get(`/view?filename=${out["2"].images[0].filename}&type=output`)).status, 200);
  const r = await post("/prompt", { prompt: simple("y") });
  assert.equal(r.json.number, 0);
});

test("down and refuseConnections, healed through the control API", async () => {
  await fake.client.setFaults({ down: true });
  const r = await fetch(`${base}/system_stats`);
  assert.equal(r.status, 503);
  await fake.client.setFaults({ down: false, refuseConnections: true });
  await assert.rejects(fetch(`${base}/system_stats`));
  await fake.client.clearFaults();
  assert.equal((await fetch(`${base}/api/system_stats`)).status, 200);
});

test("previews: type 4 with metadata after feature_flags, type 1 otherwise", async () => {
  await fake.client.setConfig({ previewMethod: "auto" });
  const meta = socket("pm", { flags: { supports_preview_metadata: true } });
  const plain = socket("pp");
  await meta.ready;
  await plain.ready;
  await meta.waitFor((m) => m.type === "feature_flags");
  await run(meta, txt2img("pm", 2));
  assert.equal(meta.bin.length, 2, meta.text.join("\n").slice(0, 3000));
  const b = meta.bin[0];
  assert.equal(b.readUInt32BE(0), 4);
  const jl = b.readUInt32BE(4);
  const md = b.subarray(8, 8 + jl).toString();
  assert.match(md, /^\{"node_id": "3", "prompt_id": "[0-9a-f-]+", "display_node_id": "3", "parent_node_id": null, "real_node_id": "3", "image_type": "image\/jpeg"\}$/);
  assert.equal(b.subarray(8 + jl, 10 + jl).toString("hex"), "ffd8");
  await run(plain, txt2img("pp", 2));
  assert.equal(plain.bin.length, 2);
  assert.equal(plain.bin[0].readUInt32BE(0), 1);
  assert.equal(plain.bin[0].readUInt32BE(4), 1);
  meta.ws.close();
  plain.ws.close();
});

test("reconnect with the same clientId; --bug-16010 deafens the new socket", async () => {
  for (const bug of [false, true]) {
    await fake.client.setConfig({ bug16010: bug });
    const a = socket("same");
    await a.ready;
    const b = socket("same");
    await b.ready;
    a.ws.close();
    await sleep(100);
    assert.equal(a.closed, true);
    const pid = uuid();
    await post("/prompt", { prompt: simple(`b${bug}`), client_id: "same", prompt_id: pid });
    await sleep(300);
    const got = b.text.some((t) => t.includes(`"node": null, "prompt_id": "${pid}"`));
    assert.equal(got, !bug, `bug16010=${bug}`);
    b.ws.close();
  }
});

test("history cap, /history max_items/offset, delete and clear", async () => {
  await fake.client.setConfig({ maxHistory: 2 });
  const s = socket("cap");
  await s.ready;
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push(await run(s, simple(`cap${i}`)));
  const all = JSON.parse((await get("/history")).buf.toString());
  assert.deepEqual(Object.keys(all), ids.slice(1));
  const page = JSON.parse((await get("/history?max_items=1&offset=1")).buf.toString());
  assert.deepEqual(Object.keys(page), [ids[2]]);
  assert.equal((await get("/history?max_items=abc")).status, 500);
  await post("/history", { delete: [ids[2]] });
  assert.deepEqual(Object.keys(JSON.parse((await get("/history")).buf.toString())), [ids[1], ids[3]]);
  await post("/history", { clear: true });
  assert.equal((await get("/history")).buf.toString(), "{}");
  s.ws.close();
});

test("crash fault exits with code 1; respawn on the same port keeps outputs", async () => {
  const f = await startFakeComfy({ stderr: "ignore" });
  try {
    await fetch(`${f.url}/__fake/files/output/kept.txt`, { method: "PUT", body: "hi" });
    await f.client.setFaults({ crash: true });
    const ex = await f.exited;
    assert.equal(ex.code, 1);
    await f.respawn();
    const r = await fetch(`${f.url}/view?filename=kept.txt`);
    assert.equal(await r.text(), "hi");
    assert.equal((await (await fetch(`${f.url}/queue`)).text()), '{"queue_running": [], "queue_pending": []}');
  } finally {
    await f.close();
  }
});
