// Replays the recorded ComfyUI 0.3.64 conversations (../shared/comfyui-transcripts) against a
// running fake and compares the raw bytes after masking what legitimately differs between runs
// (prompt ids, timestamps, priority numbers, random temp names). Each case is a plain async
// function so node:test, vitest or a script can drive it.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

export interface CaseResult {
  name: string;
  ok: boolean;
  diffs: string[];
}

export interface CaseOptions {
  transcriptsDir?: string;
  /** Resets the fake and selects the 0.3.64 profile first (default true). */
  prepare?: boolean;
}

export type ConformanceCase = (baseUrl: string, opts?: CaseOptions) => Promise<CaseResult>;

const PROJECT_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** The project is cloned next to the team's `shared` folder, on dev machines and in CI alike. */
export const DEFAULT_TRANSCRIPTS_DIR = process.env.COMFYUI_TRANSCRIPTS_DIR ?? path.resolve(PROJECT_ROOT, "../shared/comfyui-transcripts");

/** Throws a message that says what is missing and how to fix it, instead of a bare ENOENT. */
export function assertTranscriptsDir(dir: string = DEFAULT_TRANSCRIPTS_DIR): void {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`ComfyUI transcripts not found at ${dir}: clone the shared folder next to the project (../shared/comfyui-transcripts) or set COMFYUI_TRANSCRIPTS_DIR`);
  }
}

interface TEvent {
  src: "ws" | "http" | "note";
  conn?: string;
  t_ms: number;
  type?: string;
  raw?: string;
  method?: string;
  path?: string;
  status?: number;
  headers?: Record<string, string>;
  req?: unknown;
  req_raw?: string;
  body_raw?: string;
  body_text?: string;
  text?: string;
}

function load(dir: string, name: string): TEvent[] {
  assertTranscriptsDir(dir);
  return JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8")).events as TEvent[];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Masks run-specific values; prompt ids are numbered by the order they were submitted. */
export function normalise(text: string, ids: string[]): string {
  let t = text;
  ids.forEach((id, i) => (t = t.split(id).join(`<P${i + 1}>`)));
  t = t.replace(UUID, "<UUID>");
  t = t.replace(/"timestamp": \d+/g, '"timestamp": <TS>');
  t = t.replace(/"number": -?\d+\.\d+/g, '"number": <NF>').replace(/"number": -?\d+/g, '"number": <N>');
  t = t.replace(/\[-?\d+\.\d+, "<P/g, '[<NF>, "<P').replace(/\[-?\d+, "<P/g, '[<N>, "<P');
  t = t.replace(/ComfyUI_temp_[a-z]{5}_/g, "ComfyUI_temp_<R>_");
  t = t.replace(/0x[0-9a-f]{12}/g, "0x<ADDR>");
  return t;
}

class Socket {
  readonly frames: string[] = [];
  readonly binary: Buffer[] = [];
  readonly ws: WebSocket;
  private waiters: (() => void)[] = [];
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on("message", (data, isBinary) => {
      if (isBinary) this.binary.push(data as Buffer);
      else this.frames.push(data.toString());
      for (const w of this.waiters.splice(0)) w();
    });
  }
  async waitFor(pred: (raw: string) => boolean, timeoutMs = 10000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`timed out waiting for a frame; got ${this.frames.length} frames`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  close(): void {
    this.ws.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function prepare(base: string): Promise<void> {
  await fetch(`${base}/__fake/reset`, { method: "POST" });
  await fetch(`${base}/__fake/faults`, { method: "DELETE" });
  await fetch(`${base}/__fake/config`, { method: "POST", body: JSON.stringify({ versionProfile: "0.3.64", cache: true, previewMethod: "none", stepMs: 5 }) });
}

interface Reply {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  bytes: Buffer;
}

async function request(base: string, method: string, p: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(base + p, { method, body, headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, contentType: res.headers.get("content-type"), headers: res.headers, text: bytes.toString("utf8"), bytes };
}

/** Both strings around their first difference, so long bodies stay readable. */
function around(a: string, b: string): [string, string] {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 80);
  const cut = (x: string) => (from > 0 ? "…" : "") + x.slice(from, i + 120) + (x.length > i + 120 ? "…" : "");
  return [cut(a), cut(b)];
}

class Checker {
  readonly diffs: string[] = [];
  eq(what: string, actual: unknown, expected: unknown): void {
    if (actual === expected) return;
    if (typeof actual === "string" && typeof expected === "string") {
      const [a, b] = around(actual, expected);
      this.diffs.push(`${what}:\n    expected ${b}\n    actual   ${a}`);
    } else this.diffs.push(`${what}:\n    expected ${JSON.stringify(expected)}\n    actual   ${JSON.stringify(actual)}`);
  }
  /** Response status, content type and (masked) body against a transcript HTTP event. */
  http(what: string, r: Reply, e: TEvent, idsActual: string[], idsExpected: string[]): void {
    this.eq(`${what} status`, r.status, e.status);
    this.eq(`${what} content-type`, r.contentType, e.headers?.["content-type"] ?? null);
    if (e.body_raw !== undefined) this.eq(`${what} body`, normalise(r.text, idsActual), normalise(e.body_raw, idsExpected));
    else if (e.body_text !== undefined) this.eq(`${what} body`, r.text, e.body_text);
    for (const h of ["content-disposition", "accept-ranges"]) {
      if (e.headers?.[h] !== undefined) this.eq(`${what} ${h}`, r.headers.get(h), e.headers[h]);
    }
  }
  frames(what: string, actual: string[], expected: string[], idsActual: string[], idsExpected: string[]): void {
    const a = actual.map((x) => normalise(x, idsActual));
    const b = expected.map((x) => normalise(x, idsExpected));
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) {
        const [x, y] = a[i] !== undefined && b[i] !== undefined ? around(a[i], b[i]) : [String(a[i]), String(b[i])];
        this.diffs.push(`${what}: frame ${i} differs (actual ${a.length} frames, expected ${b.length})\n    expected ${y}\n    actual   ${x}`);
        return;
      }
    }
  }
  result(name: string): CaseResult {
    return { name, ok: this.diffs.length === 0, diffs: this.diffs };
  }
}

const wsFrames = (ev: TEvent[], conn = "A") => ev.filter((e) => e.src === "ws" && e.conn === conn).map((e) => e.raw!);
const httpEvents = (ev: TEvent[]) => ev.filter((e) => e.src === "http");
const sid = (ev: TEvent[], conn = "A") => JSON.parse(wsFrames(ev, conn)[0]).data.sid as string;
const promptIdsOf = (ev: TEvent[]) =>
  httpEvents(ev)
    .filter((e) => e.method === "POST" && e.path === "/prompt" && e.status === 200)
    .map((e) => JSON.parse(e.body_raw!).prompt_id as string);
const isFinal = (id: string) => (raw: string) => raw === `{"type": "executing", "data": {"node": null, "prompt_id": "${id}"}}`;
const wsUrl = (base: string, clientId?: string) => `${base.replace(/^http/, "ws")}/ws${clientId === undefined ? "" : `?clientId=${encodeURIComponent(clientId)}`}`;

async function postPrompt(base: string, e: TEvent): Promise<{ r: Reply; id: string | null }> {
  const r = await request(base, "POST", "/prompt", e.req_raw ?? JSON.stringify(e.req), { "content-type": "application/json" });
  let id: string | null = null;
  try {
    id = JSON.parse(r.text).prompt_id ?? null;
  } catch {
    id = null;
  }
  return { r, id };
}

async function opened(s: Socket): Promise<void> {
  await s.waitFor((raw) => raw.includes('"sid"'));
}

/** Submit → run → history → view → queue, exactly as success.json. */
async function linearRun(name: string, base: string, opts: CaseOptions = {}): Promise<CaseResult> {
  const dir = opts.transcriptsDir ?? DEFAULT_TRANSCRIPTS_DIR;
  if (opts.prepare !== false) await prepare(base);
  const ev = load(dir, name);
  const c = new Checker();
  const expIds = promptIdsOf(ev);
  const ids: string[] = [];
  const s = new Socket(wsUrl(base, sid(ev)));
  try {
    await opened(s);
    for (const e of httpEvents(ev)) {
      if (e.method === "POST" && e.path === "/prompt") {
        const { r, id } = await postPrompt(base, e);
        if (id) ids.push(id);
        c.http(`POST /prompt`, r, e, ids, expIds);
        if (id && r.status === 200) await s.waitFor(isFinal(id));
        continue;
      }
      let p = e.path!;
      expIds.forEach((x, i) => ids[i] && (p = p.split(x).join(ids[i])));
      const r = await request(base, e.method!, p);
      c.http(`${e.method} ${e.path}`, r, e, ids, expIds);
      if (p.startsWith("/view") && r.status === 200) c.eq("view PNG signature", r.bytes.subarray(0, 8).toString("hex"), "89504e470d0a1a0a");
    }
    await sleep(50);
    c.frames(`${name} WS frames`, s.frames, wsFrames(ev), ids, expIds);
  } finally {
    s.close();
  }
  return c.result(name);
}

export const successCase: ConformanceCase = (base, opts) => linearRun("success", base, opts);
export const progressCase: ConformanceCase = (base, opts) => linearRun("progress", base, opts);
export const execErrorCase: ConformanceCase = (base, opts) => linearRun("exec_error", base, opts);
export const clientPromptIdCase: ConformanceCase = (base, opts) => linearRun("client_prompt_id", base, opts);
export const cachedCase: ConformanceCase = (base, opts) => linearRun("cached", base, opts);
export const partialCacheCase: ConformanceCase = (base, opts) => linearRun("partial_cache", base, opts);

/** Every 400 body of validation.json byte for byte, and nothing on the socket. */
export const validationCase: ConformanceCase = async (base, opts = {}) => {
  const dir = opts.transcriptsDir ?? DEFAULT_TRANSCRIPTS_DIR;
  if (opts.prepare !== false) await prepare(base);
  const ev = load(dir, "validation");
  const c = new Checker();
  const s = new Socket(wsUrl(base, sid(ev)));
  try {
    await opened(s);
    let label = "";
    for (const e of ev) {
      if (e.src === "note") label = e.text ?? "";
      if (e.src !== "http") continue;
      const { r } = await postPrompt(base, e);
      c.http(`validation ${label}`, r, e, [], []);
    }
    await sleep(100);
    c.frames("validation WS frames", s.frames, wsFrames(ev), [], []);
  } finally {
    s.close();
  }
  return c.result("validation");
};

async function interruptRun(name: string, base: string, opts: CaseOptions, targeted: boolean): Promise<CaseResult> {
  const dir = opts.transcriptsDir ?? DEFAULT_TRANSCRIPTS_DIR;
  if (opts.prepare !== false) await prepare(base);
  const ev = load(dir, name);
  const c = new Checker();
  const expIds = promptIdsOf(ev);
  const ids: string[] = [];
  const s = new Socket(wsUrl(base, sid(ev)));
  try {
    await opened(s);
    const http = httpEvents(ev);
    const { r, id } = await postPrompt(base, http[0]);
    ids.push(id!);
    c.http("POST /prompt", r, http[0], ids, expIds);
    await s.waitFor((raw) => raw.startsWith('{"type": "progress", "data": {"value": 1,'));
    const ir = await request(base, "POST", "/interrupt", targeted ? JSON.stringify({ prompt_id: id }) : undefined);
    c.http("POST /interrupt", ir, http[1], ids, expIds);
    await s.waitFor(isFinal(id!));
    const hr = await request(base, "GET", `/history/${id}`);
    c.http("GET /history", hr, http[2], ids, expIds);
    c.frames(`${name} WS frames`, s.frames, wsFrames(ev), ids, expIds);
  } finally {
    s.close();
  }
  return c.result(name);
}

export const interruptTargetedCase: ConformanceCase = (base, opts = {}) => interruptRun("interrupt_targeted", base, opts, true);
export const interruptGlobalCase: ConformanceCase = (base, opts = {}) => interruptRun("interrupt_global", base, opts, false);

/** queue_ops.json: /queue shapes, deleting a pending prompt, a no-op targeted interrupt. */
export const queueOpsCase: ConformanceCase = async (base, opts = {}) => {
  const dir = opts.transcriptsDir ?? DEFAULT_TRANSCRIPTS_DIR;
  if (opts.prepare !== false) await prepare(base);
  const ev = load(dir, "queue_ops");
  const c = new Checker();
  const expIds = promptIdsOf(ev);
  const ids: string[] = [];
  const h = httpEvents(ev);
  const s = new Socket(wsUrl(base, sid(ev)));
  const mapPath = (p: string) => {
    let out = p;
    expIds.forEach((x, i) => ids[i] && (out = out.split(x).join(ids[i])));
    return out;
  };
  const mapBody = (b: unknown) => mapPath(JSON.stringify(b));
  try {
    await opened(s);
    for (let k = 0; k < 3; k++) {
      const { r, id } = await postPrompt(base, h[k]);
      ids.push(id!);
      c.http(`POST /prompt #${k + 1}`, r, h[k], ids, expIds);
      if (k === 0) await s.waitFor((raw) => raw.startsWith('{"type": "progress", "data": {"value": 1,'));
    }
    c.http("GET /queue (3)", await request(base, "GET", "/queue"), h[3], ids, expIds);
    c.http("POST /queue delete", await request(base, "POST", "/queue", mapBody(h[4].req)), h[4], ids, expIds);
    c.http("GET /queue (2)", await request(base, "GET", "/queue"), h[5], ids, expIds);
    c.http("POST /interrupt pending", await request(base, "POST", "/interrupt", mapBody(h[6].req)), h[6], ids, expIds);
    await s.waitFor((raw) => raw.startsWith('{"type": "progress", "data": {"value": 3,'));
    c.http("POST /interrupt running", await request(base, "POST", "/interrupt", mapBody(h[7].req)), h[7], ids, expIds);
    await s.waitFor(isFinal(ids[1]));
    c.http("GET /history deleted", await request(base, "GET", mapPath(h[8].path!)), h[8], ids, expIds);
    c.http("GET /queue (0)", await request(base, "GET", "/queue"), h[9], ids, expIds);
    c.frames("queue_ops WS frames", s.frames, wsFrames(ev), ids, expIds);
  } finally {
    s.close();
  }
  return c.result("queue_ops");
};

/** A prompt without client_id: only broadcasts reach the socket. */
export const noClientIdCase: ConformanceCase = async (base, opts = {}) => {
  const dir = opts.transcriptsDir ?? DEFAULT_TRANSCRIPTS_DIR;
  if (opts.prepare !== false) await prepare(base);
  const ev = load(dir, "no_client_id");
  const c = new Checker();
  const expIds = promptIdsOf(ev);
  const ids: string[] = [];
  const s = new Socket(wsUrl(base, sid(ev)));
  try {
    await opened(s);
    const h = httpEvents(ev);
    const { r, id } = await postPrompt(base, h[0]);
    ids.push(id!);
    c.http("POST /prompt", r, h[0], ids, expIds);
    for (let i = 0; i < 100; i++) {
      const hr = await request(base, "GET", `/history/${id}`);
      if (hr.text !== "{}") break;
      await sleep(20);
    }
    await sleep(50);
    c.http("GET /history", await request(base, "GET", `/history/${id}`), h[1], ids, expIds);
    c.frames("no_client_id WS frames", s.frames, wsFrames(ev), ids, expIds);
  } finally {
    s.close();
  }
  return c.result("no_client_id");
};

function multipart(fields: [string, string | { filename: string; data: Buffer }][]): { body: Buffer; type: string } {
  const boundary = "----fakeconformance" + Math.random().toString(16).slice(2);
  const chunks: Buffer[] = [];
  for (const [name, v] of fields) {
    if (typeof v === "string") chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${v}\r\n`));
    else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${v.filename}"\r\nContent-Type: image/png\r\n\r\n`));
      chunks.push(v.data, Buffer.from("\r\n"));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

const SAMPLE_PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478da63f8cfc0000003010100c9fe92ef0000000049454e44ae426082", "hex");

/** http_misc.json: introspection, /view status rules, upload rename/reuse/overwrite, aliases. */
export const httpMiscCase: ConformanceCase = async (base, opts = {}) => {
  const dir = opts.transcriptsDir ?? DEFAULT_TRANSCRIPTS_DIR;
  if (opts.prepare !== false) await prepare(base);
  const ev = load(dir, "http_misc");
  const c = new Checker();
  const h = httpEvents(ev);
  const find = (method: string, p: string, nth = 0) => h.filter((e) => e.method === method && e.path === p)[nth];
  const keysOf = (o: object) => Object.keys(o).join(",");

  const ss = await request(base, "GET", "/system_stats");
  const expSs = JSON.parse(find("GET", "/system_stats").body_raw!);
  const gotSs = JSON.parse(ss.text);
  c.eq("system_stats content-type", ss.contentType, "application/json; charset=utf-8");
  c.eq("system_stats keys", keysOf(gotSs), keysOf(expSs));
  c.eq("system_stats system keys", keysOf(gotSs.system), keysOf(expSs.system));
  c.eq("system_stats device keys", keysOf(gotSs.devices[0]), keysOf(expSs.devices[0]));

  for (const p of ["/object_info/EmptyImage", "/object_info/NoSuchNode", "/history/867b871c-06cd-410c-a853-9556a390532a", "/view?filename=missing_99999_.png&type=output", "/view?filename=..%2Fsecret.png&type=output", "/view", "/features", "/no/such/route", "/api/prompt", "/api/queue"]) {
    c.http(`GET ${p}`, await request(base, "GET", p), find("GET", p), [], []);
  }

  // GET /history?max_items=1 in the transcript shows the no_client_id prompt: recreate it.
  const nc = load(dir, "no_client_id");
  const ncPost = httpEvents(nc)[0];
  const { id } = await postPrompt(base, ncPost);
  for (let i = 0; i < 200 && (await request(base, "GET", `/history/${id}`)).text === "{}"; i++) await sleep(20);
  const expHistId = JSON.parse(ncPost.body_raw!).prompt_id as string;
  c.http("GET /history?max_items=1", await request(base, "GET", "/history?max_items=1"), find("GET", "/history?max_items=1"), [id!], [expHistId]);

  const upName = "cap_upload_1795556392330.png";
  const different = Buffer.concat([SAMPLE_PNG, Buffer.from([0])]);
  const uploads = h.filter((e) => e.path === "/upload/image");
  const send = async (data: Buffer | null, extra: [string, string][] = []) => {
    const m = data ? multipart([["image", { filename: upName, data }], ...extra]) : { body: Buffer.alloc(0), type: "multipart/form-data; boundary=xyz" };
    return request(base, "POST", "/upload/image", m.body, { "content-type": m.type });
  };
  c.http("upload first", await send(SAMPLE_PNG), uploads[0], [], []);
  c.http("upload same bytes", await send(SAMPLE_PNG), uploads[1], [], []);
  c.http("upload different bytes", await send(different), uploads[2], [], []);
  c.http("upload overwrite", await send(SAMPLE_PNG, [["overwrite", "true"]]), uploads[3], [], []);
  c.http("view upload", await request(base, "GET", `/view?filename=${upName}&type=input`), find("GET", `/view?filename=${upName}&type=input`), [], []);
  c.http("upload empty multipart", await send(null), uploads[4], [], []);

  for (const e of h.filter((x) => x.method === "POST" && (x.path === "/history" || x.path === "/queue"))) {
    c.http(`POST ${e.path}`, await request(base, "POST", e.path!, JSON.stringify(e.req)), e, [], []);
  }
  return c.result("http_misc");
};

/** feature_flags.json: the handshake reply and GET /features. */
export const featureFlagsCase: ConformanceCase = async (base, opts = {}) => {
  const dir = opts.transcriptsDir ?? DEFAULT_TRANSCRIPTS_DIR;
  if (opts.prepare !== false) await prepare(base);
  const ev = load(dir, "feature_flags");
  const c = new Checker();
  const s = new Socket(wsUrl(base, sid(ev)));
  try {
    await opened(s);
    s.ws.send(JSON.stringify({ type: "feature_flags", data: { supports_preview_metadata: true } }));
    await s.waitFor((raw) => raw.includes('"feature_flags"'));
    s.ws.send(JSON.stringify({ type: "feature_flags", data: { supports_preview_metadata: true } }));
    await sleep(100);
    c.frames("feature_flags WS frames", s.frames, wsFrames(ev), [], []);
    c.http("GET /features", await request(base, "GET", "/features"), httpEvents(ev)[0], [], []);
  } finally {
    s.close();
  }
  return c.result("feature_flags");
};

/** ws_reconnect.json: reconnect with the same clientId gets status (with sid) + executing {node}. */
export const wsReconnectCase: ConformanceCase = async (base, opts = {}) => {
  const dir = opts.transcriptsDir ?? DEFAULT_TRANSCRIPTS_DIR;
  if (opts.prepare !== false) await prepare(base);
  const ev = load(dir, "ws_reconnect");
  const c = new Checker();
  const expIds = promptIdsOf(ev);
  const ids: string[] = [];
  const a = new Socket(wsUrl(base, sid(ev)));
  await opened(a);
  const h = httpEvents(ev);
  const { id } = await postPrompt(base, h[0]);
  ids.push(id!);
  await a.waitFor((raw) => raw.startsWith('{"type": "progress", "data": {"value": 1,'));
  a.ws.terminate();
  await sleep(100);
  const b = new Socket(wsUrl(base, sid(ev)));
  try {
    await b.waitFor(isFinal(id!), 15000);
    const expB = wsFrames(ev, "B");
    c.frames("reconnect first frames", b.frames.slice(0, 2), expB.slice(0, 2), ids, expIds);
    const tail = (xs: string[]) => xs.slice(xs.findIndex((x) => x.includes('"type": "executing", "data": {"node": "3"'))).map((x) => normalise(x, []));
    c.frames("reconnect final frames", tail(b.frames), tail(expB), ids, expIds);
    c.http("GET /history", await request(base, "GET", `/history/${id}`), h[1], ids, expIds);
  } finally {
    b.close();
  }
  return c.result("ws_reconnect");
};

export const CASES: Record<string, ConformanceCase> = {
  success: successCase,
  progress: progressCase,
  exec_error: execErrorCase,
  client_prompt_id: clientPromptIdCase,
  cached: cachedCase,
  partial_cache: partialCacheCase,
  validation: validationCase,
  interrupt_targeted: interruptTargetedCase,
  interrupt_global: interruptGlobalCase,
  queue_ops: queueOpsCase,
  no_client_id: noClientIdCase,
  http_misc: httpMiscCase,
  feature_flags: featureFlagsCase,
  ws_reconnect: wsReconnectCase,
};

export async function runAll(base: string, opts: CaseOptions = {}): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const [name, fn] of Object.entries(CASES)) {
    try {
      out.push(await fn(base, opts));
    } catch (e) {
      out.push({ name, ok: false, diffs: [`threw: ${e instanceof Error ? e.stack : String(e)}`] });
    }
  }
  return out;
}
