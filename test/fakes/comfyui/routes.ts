// The ComfyUI HTTP API (`server.py` routes), with aiohttp's status codes and bodies.
import fs from "node:fs";
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { JsonParseError, PyFloat, isDict, od, parseJson, pyRepr, pyStr } from "./json.ts";
import type { PyDict, PyValue } from "./json.ts";
import { InternalError, pyFloat, pyInt, validatePrompt } from "./graph.ts";
import { NODE_CLASSES, objectInfo } from "./nodes.ts";
import { historyJson } from "./queue.ts";
import { versionOf } from "./config.ts";
import { viewContentType, isDangerousType } from "./files.ts";
import type { DirType } from "./files.ts";
import { BodyTooLarge, MultipartError, parseMultipart, readBody, send405, send500, sendEmpty, sendJson } from "./http.ts";
import type { AppState } from "./state.ts";

const SENSITIVE = ["auth_token_comfy_org", "api_key_comfy_org"];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Handler = (s: AppState, req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void> | void;

const json = async (s: AppState, req: IncomingMessage): Promise<PyValue> => {
  const body = await readBody(req, s.config.maxUploadSizeMb * 1024 * 1024);
  return parseJson(new TextDecoder("utf-8", { fatal: true }).decode(body));
};

const truthy = (v: PyValue | undefined) =>
  !(v === undefined || v === null || v === false || v === 0 || v === "" || (v instanceof PyFloat && v.value === 0) || (Array.isArray(v) && !v.length) || (v instanceof Map && !v.size));

const queueInfo = (s: AppState) => od(["exec_info", od(["queue_remaining", s.queue.remaining()])]);

function apiError(type: string, message: string, details: string, extra: PyDict = od()): PyDict {
  return od(["type", type], ["message", message], ["details", details], ["extra_info", extra]);
}

const postPrompt: Handler = async (s, req, res) => {
  const at = Date.now();
  const body = await json(s, req);
  if (!isDict(body)) throw new InternalError("body is not an object");
  let number: number | PyFloat;
  if (body.has("number")) {
    const f = pyFloat(body.get("number")!);
    if (!f.ok) throw new InternalError(f.msg);
    number = f.value;
  } else {
    number = s.counter;
    if (body.has("front") && truthy(body.get("front")) && s.counter !== 0) number = -s.counter;
    s.counter++;
  }
  const cidRaw = body.get("client_id");
  const record = (prompt_id: string | null, status: number, error_type?: string) =>
    s.stats.promptsReceived.push({ prompt_id, client_id: typeof cidRaw === "string" ? cidRaw : null, number: number instanceof PyFloat ? number.value : number, receivedAt: at, status, error_type });
  if (!body.has("prompt")) {
    record(null, 400, "no_prompt");
    return sendJson(res, od(["error", apiError("no_prompt", "No prompt provided", "No prompt provided")], ["node_errors", od()]), 400);
  }
  let promptId: string;
  const pid = body.get("prompt_id");
  if (s.config.versionProfile === "2026") {
    if (pid === undefined || pid === null) promptId = crypto.randomUUID();
    else if (typeof pid === "string" && UUID_RE.test(pid)) promptId = pid;
    else {
      record(null, 400, "invalid_prompt_id");
      return sendJson(
        res,
        od(["error", apiError("invalid_prompt_id", "Invalid prompt_id", `prompt_id must be a canonical lowercase UUID string, got ${pyRepr(pid)}`)], ["node_errors", od()]),
        400,
      );
    }
  } else promptId = pid === undefined ? crypto.randomUUID() : pyStr(pid);

  const valid = validatePrompt(body.get("prompt")!, body.get("partial_execution_targets"), s.env);
  let extra = body.has("extra_data") ? body.get("extra_data")! : new Map();
  if (!isDict(extra)) throw new InternalError("extra_data is not an object");
  if (body.has("client_id")) extra.set("client_id", cidRaw!);
  if (s.config.versionProfile === "2026") extra.set("create_time", Date.now());
  if (!valid.ok) {
    record(promptId, 400, String(valid.error.get("type")));
    return sendJson(res, od(["error", valid.error], ["node_errors", valid.nodeErrors]), 400);
  }
  const sensitive: PyDict = new Map();
  for (const k of SENSITIVE) {
    if (extra.has(k)) {
      sensitive.set(k, extra.get(k)!);
      s.stats.sensitiveReceived.push({ prompt_id: promptId, key: k, sha256: crypto.createHash("sha256").update(String(extra.get(k))).digest("hex") });
      extra.delete(k);
    }
  }
  extra = extra as PyDict;
  record(promptId, 200);
  s.queue.put({ number, promptId, prompt: body.get("prompt") as PyDict, extraData: extra, outputs: valid.outputs, sensitive, enqueuedAt: Date.now() });
  sendJson(res, od(["prompt_id", promptId], ["number", number], ["node_errors", valid.nodeErrors]));
};

const getQueue: Handler = (s, _req, res) => {
  const withKeys = s.config.versionProfile === "0.3.64";
  const running = s.queue.running ? [s.queue.queueItem(s.queue.running, withKeys)] : [];
  sendJson(res, od(["queue_running", running], ["queue_pending", s.queue.heap.map((x) => s.queue.queueItem(x, withKeys))]));
};

/**
 * `{"clear": true}` and `{"delete": [ids]}`, the body POST /queue and POST /history share in
 * ComfyUI (server.py: post_queue, post_history); always an empty 200.
 */
function clearAndDelete(target: "queue" | "history", clearAll: (s: AppState) => void, deleteOne: (s: AppState, id: string) => void): Handler {
  return async (s, req, res) => {
    const body = await json(s, req);
    if (!isDict(body)) throw new InternalError("body is not an object");
    let clear = false;
    if (body.has("clear") && truthy(body.get("clear"))) {
      clearAll(s);
      clear = true;
    }
    const ids: string[] = [];
    if (body.has("delete")) {
      const del = body.get("delete");
      if (!Array.isArray(del)) throw new InternalError("delete is not a list");
      for (const id of del) {
        ids.push(pyStr(id));
        if (typeof id === "string") deleteOne(s, id);
      }
    }
    s.stats.deletes.push({ at: Date.now(), target, ids, clear });
    sendEmpty(res);
  };
}

const postQueue = clearAndDelete("queue", (s) => s.queue.wipePending(), (s, id) => s.queue.deletePending(id));

const postInterrupt: Handler = async (s, req, res) => {
  let body: PyValue;
  try {
    body = await json(s, req);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw e;
    body = new Map();
  }
  if (!isDict(body)) throw new InternalError("body is not an object");
  const pid = body.get("prompt_id");
  const running = s.queue.running?.promptId ?? null;
  let effective = false;
  if (truthy(pid)) {
    if (running !== null && pid === running) {
      s.executor.interrupt();
      effective = true;
    }
  } else {
    s.executor.interrupt();
    effective = running !== null;
  }
  s.stats.interrupts.push({ at: Date.now(), prompt_id: truthy(pid) ? pyStr(pid) : null, running, effective });
  sendEmpty(res);
};

function intParam(v: string | null): number | null {
  if (v === null) return null;
  const r = pyInt(v);
  if (!r.ok) throw new InternalError(r.msg);
  return Number(r.value);
}

const getHistory: Handler = (s, _req, res, url) => {
  const max = intParam(url.searchParams.get("max_items"));
  const off = intParam(url.searchParams.get("offset"));
  const out: PyDict = new Map();
  for (const [k, e] of s.queue.historySlice(max, off ?? -1)) out.set(k, historyJson(e));
  sendJson(res, out);
};

const getHistoryOne: Handler = (s, _req, res, _url, [id]) => {
  const e = s.queue.historyOne(id);
  sendJson(res, e ? od([id, historyJson(e)]) : od());
};

const postHistory = clearAndDelete("history", (s) => s.queue.history.clear(), (s, id) => s.queue.history.delete(id));

const getView: Handler = (s, req, res, url): void => {
  const r = s.storage.resolveView(url.searchParams);
  if (r.status !== 200) { sendEmpty(res, r.status); return; }
  const st = fs.statSync(r.file);
  const bst = fs.statSync(r.file, { bigint: true });
  const size = st.size;
  const profile2026 = s.config.versionProfile === "2026";
  const headers: Record<string, string | number> = {
    "Content-Type": viewContentType(r.filename, profile2026),
    "Content-Disposition": profile2026 && isDangerousType(r.filename) ? `attachment; filename="${r.filename}"` : `filename="${r.filename}"`,
    "Accept-Ranges": "bytes",
    ETag: `"${bst.mtimeNs.toString(16)}-${size.toString(16)}"`,
    "Last-Modified": st.mtime.toUTCString(),
  };
  if (profile2026) headers["X-Content-Type-Options"] = "nosniff";
  const inm = req.headers["if-none-match"];
  const ims = req.headers["if-modified-since"];
  if ((inm && (inm === "*" || inm.split(",").map((x) => x.trim()).includes(String(headers.ETag)))) || (!inm && ims && Date.parse(ims) >= Math.floor(st.mtimeMs / 1000) * 1000)) {
    const { ["Content-Type"]: _ct, ["Content-Disposition"]: _cd, ...rest } = headers;
    res.writeHead(304, rest);
    { res.end(); return; }
  }
  let range = req.headers.range;
  const ifRange = req.headers["if-range"] as string | undefined;
  if (range && ifRange && ifRange !== headers.ETag && Date.parse(ifRange) < Math.floor(st.mtimeMs / 1000) * 1000) range = undefined;
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range);
    let start: number | null = null;
    let end: number | null = null;
    let bad = !m || (m[1] === "" && m[2] === "");
    if (m && !bad) {
      if (m[1] === "") start = -Number(m[2]);
      else {
        start = Number(m[1]);
        if (m[2] !== "") {
          end = Number(m[2]) + 1;
          if (start > end - 1) bad = true;
        }
      }
    }
    if (bad || start === null) {
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${size}`, "Content-Length": 0 });
      { res.end(); return; }
    }
    let count: number;
    if (start < 0 && end === null) {
      start = Math.max(0, start + size);
      count = size - start;
    } else count = Math.min(end ?? size, size) - start;
    if (start >= size) {
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${size}`, "Content-Length": 0 });
      { res.end(); return; }
    }
    res.writeHead(206, { ...headers, "Content-Range": `bytes ${start}-${start + count - 1}/${size}`, "Content-Length": count });
    if (req.method === "HEAD" || count <= 0) { res.end(); return; }
    fs.createReadStream(r.file, { start, end: start + count - 1 }).pipe(res);
    return;
  }
  // Without a Content-Length Node's server sends the body chunked.
  res.writeHead(200, s.faults.viewChunked ? headers : { ...headers, "Content-Length": size });
  if (req.method === "HEAD") { res.end(); return; }
  if (s.faults.viewTruncate > 0 && size > 1) {
    s.faults.viewTruncate--;
    fs.createReadStream(r.file, { start: 0, end: Math.floor(size / 2) - 1 })
      .on("end", () => setTimeout(() => req.socket.destroy(), 10))
      .pipe(res, { end: false });
    return;
  }
  fs.createReadStream(r.file).pipe(res);
};

const postUpload: Handler = async (s, req, res) => {
  const body = await readBody(req, s.config.maxUploadSizeMb * 1024 * 1024);
  const ct = String(req.headers["content-type"] ?? "");
  let parts: ReturnType<typeof parseMultipart> = [];
  if (/^multipart\/form-data/i.test(ct)) {
    try {
      parts = parseMultipart(body, ct);
    } catch (e) {
      if (e instanceof MultipartError) throw new InternalError(e.message);
      throw e;
    }
  }
  const field = (n: string) => {
    const p = parts.find((x) => x.name === n && x.filename === null);
    return p ? p.data.toString("utf8") : null;
  };
  const typeRaw = field("type");
  const type = typeRaw ?? "input";
  if (type !== "input" && type !== "temp" && type !== "output") throw new InternalError("unknown upload type");
  const image = parts.find((x) => x.name === "image");
  if (image && image.filename === null) throw new InternalError("image is not a file");
  if (!image) return sendEmpty(res, 400);
  const overwrite = field("overwrite");
  const subfolder = field("subfolder") ?? "";
  const r = s.storage.upload({ filename: image.filename!, data: image.data, type: type as DirType, subfolder, overwrite: overwrite === "true" || overwrite === "1" });
  if (!r) return sendEmpty(res, 400);
  s.stats.uploads.push({ at: Date.now(), name: r.name, subfolder, type, bytes: image.data.length, sha256: r.sha256, reused: r.reused });
  sendJson(res, od(["name", r.name], ["subfolder", subfolder], ["type", type]));
};

const getSystemStats: Handler = async (s, _req, res) => {
  if (s.faults.systemStatsDelayMs > 0) await new Promise((r) => setTimeout(r, s.faults.systemStatsDelayMs));
  const c = s.config;
  const used = 1_500_000_000 + (s.queue.running ? 6_000_000_000 : 0);
  sendJson(
    res,
    od(
      [
        "system",
        od(
          ["os", c.versionProfile === "2026" ? "linux" : "posix"],
          ["ram_total", c.ramTotal],
          ["ram_free", Math.max(0, c.ramTotal - 4_000_000_000)],
          ["comfyui_version", versionOf(c)],
          ["required_frontend_version", "1.27.10"],
          ["installed_templates_version", null],
          ["required_templates_version", "0.1.95"],
          ["python_version", "3.11.2 (main, Apr 28 2025, 14:11:48) [GCC 12.2.0]"],
          ["pytorch_version", "2.8.0+cu128"],
          ["embedded_python", false],
          ["argv", ["main.py", "--listen", "127.0.0.1", "--port", "8188"]],
        ),
      ],
      [
        "devices",
        [
          od(
            ["name", "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync"],
            ["type", "cuda"],
            ["index", 0],
            ["vram_total", c.vramTotal],
            ["vram_free", Math.max(0, c.vramTotal - used)],
            ["torch_vram_total", c.vramTotal],
            ["torch_vram_free", Math.max(0, c.vramTotal - used)],
          ),
        ],
      ],
    ),
  );
};

const getObjectInfo: Handler = (s, _req, res) => {
  const out: PyDict = new Map();
  for (const cls of NODE_CLASSES.values()) out.set(cls.name, objectInfo(cls, s.env));
  sendJson(res, out);
};

const getObjectInfoOne: Handler = (s, _req, res, _url, [name]) => {
  const cls = NODE_CLASSES.get(name);
  sendJson(res, cls ? od([name, objectInfo(cls, s.env)]) : od());
};

const serverFeatures = (s: AppState): PyDict =>
  od(["supports_preview_metadata", true], ["max_upload_size", s.config.maxUploadSizeMb === 100 ? 104857600 : new PyFloat(s.config.maxUploadSizeMb * 1024 * 1024)]);

export { serverFeatures, queueInfo };

const postFree: Handler = async (s, req, res) => {
  const body = await json(s, req);
  if (!isDict(body)) throw new InternalError("body is not an object");
  const unload = truthy(body.get("unload_models"));
  const free = truthy(body.get("free_memory"));
  s.executor.requestFree(unload, free);
  s.stats.frees.push({ at: Date.now(), unload_models: unload, free_memory: free });
  sendEmpty(res);
};

interface Route {
  method: string;
  re: RegExp;
  h: Handler;
}

const R = (method: string, pattern: string, h: Handler): Route => ({
  method,
  re: new RegExp("^" + pattern.replaceAll("{}", "([^{}/]+)") + "$"),
  h,
});

const ROUTES: Route[] = [
  R("POST", "/prompt", postPrompt),
  R("GET", "/prompt", (s, _q, res) => sendJson(res, queueInfo(s))),
  R("GET", "/queue", getQueue),
  R("POST", "/queue", postQueue),
  R("POST", "/interrupt", postInterrupt),
  R("GET", "/history", getHistory),
  R("GET", "/history/{}", getHistoryOne),
  R("POST", "/history", postHistory),
  R("GET", "/view", getView),
  R("HEAD", "/view", getView),
  R("POST", "/upload/image", postUpload),
  R("GET", "/system_stats", getSystemStats),
  R("GET", "/object_info", getObjectInfo),
  R("GET", "/object_info/{}", getObjectInfoOne),
  R("GET", "/models", (s, _q, res) => sendJson(res, Object.keys(s.config.models))),
  R("GET", "/models/{}", (s, _q, res, _u, [folder]) => {
    const list = s.config.models[folder];
    if (!list) return sendEmpty(res, 404);
    sendJson(res, [...list]);
  }),
  R("GET", "/features", (s, _q, res) => sendJson(res, serverFeatures(s))),
  R("POST", "/free", postFree),
  R("GET", "/embeddings", (_s, _q, res) => sendJson(res, [])),
  R("GET", "/extensions", (_s, _q, res) => sendJson(res, [])),
];

/** Serves a ComfyUI route (path already stripped of `/api`). False when nothing matched. */
export async function handleComfy(s: AppState, req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<boolean> {
  const matching = ROUTES.filter((r) => r.re.test(path));
  if (!matching.length) return false;
  const route = matching.find((r) => r.method === req.method);
  if (!route) {
    send405(res, [...new Set(matching.map((r) => r.method))]);
    return true;
  }
  const params = (route.re.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
  try {
    await route.h(s, req, res, url, params);
  } catch (e) {
    if (e instanceof BodyTooLarge) throw e;
    if (!(e instanceof InternalError) && !(e instanceof JsonParseError) && !(e instanceof TypeError && /decode|encoded/i.test(e.message))) {
      console.error("[fake-comfyui] handler error:", e);
    }
    if (!res.headersSent) send500(res);
  }
  return true;
}

