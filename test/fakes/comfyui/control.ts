// The fake's own API under /__fake/ (plain JSON, not ComfyUI-styled): faults, config, stats,
// direct file access and injected WS traffic. Not subject to `down`/`refuseConnections`, so a
// test can always heal the server it broke.
import fs from "node:fs";
import crypto from "node:crypto";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { applyConfig } from "./config.ts";
import { applyFaults, noFaults } from "./faults.ts";
import { parseJson } from "./json.ts";
import { readBody, sendControl } from "./http.ts";
import { sha256 } from "./files.ts";
import { textFrame } from "./ws.ts";
import type { AppState } from "./state.ts";

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = (await readBody(req, 1 << 30)).toString("utf8");
  if (!raw.trim()) return {};
  const v = JSON.parse(raw);
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("body must be a JSON object");
  return v as Record<string, unknown>;
}

export async function handleControl(s: AppState, req: IncomingMessage, res: ServerResponse, url: URL, onCrash: () => void): Promise<void> {
  const p = url.pathname.slice("/__fake".length);
  const m = req.method;
  try {
    if (p === "/faults" && m === "GET") return sendControl(res, s.faults);
    if (p === "/faults" && m === "DELETE") {
      Object.assign(s.faults, noFaults());
      return sendControl(res, s.faults);
    }
    if (p === "/faults" && m === "POST") {
      const actions = applyFaults(s.faults, await body(req));
      if (s.faults.down || s.faults.refuseConnections) s.hub.terminateAll();
      if (actions.restart) {
        s.restart();
        if (actions.restartDownMs > 0) s.downUntil = Date.now() + actions.restartDownMs;
      }
      if (actions.crash) {
        res.on("finish", onCrash);
        return sendControl(res, { crashing: true });
      }
      return sendControl(res, s.faults);
    }
    if (p === "/config" && m === "GET") return sendControl(res, s.config);
    if (p === "/config" && m === "POST") {
      applyConfig(s.config, await body(req));
      s.queue.maxHistory = s.config.maxHistory;
      return sendControl(res, s.config);
    }
    if (p === "/stats" && m === "GET") {
      return sendControl(res, {
        ...s.stats,
        sockets: s.hub.open.size,
        registeredClients: [...s.hub.registered.keys()],
        queueRemaining: s.queue.remaining(),
      });
    }
    if (p === "/state" && m === "GET") {
      return sendControl(res, {
        counter: s.counter,
        running: s.queue.running?.promptId ?? null,
        pending: s.queue.heap.map((x) => x.promptId),
        history: [...s.queue.history.keys()],
        interrupted: s.executor.interrupted,
        dataDir: s.storage.root,
      });
    }
    if (p === "/reset" && m === "POST") {
      s.reset();
      return sendControl(res, { ok: true });
    }
    if (p === "/restart" && m === "POST") {
      s.restart();
      return sendControl(res, { ok: true });
    }
    if (p === "/ws/send" && m === "POST") {
      const b = await body(req);
      const sid = typeof b.sid === "string" ? b.sid : null;
      if (typeof b.raw === "string") {
        const targets = sid === null ? [...s.hub.registered.values()] : [s.hub.registered.get(sid)].filter((c) => c !== undefined);
        for (const c of targets) if (c.ws.readyState === c.ws.OPEN) c.ws.send(b.raw);
      } else if (b.text3 && typeof b.text3 === "object") {
        const t = b.text3 as { node_id?: string; text?: string };
        const frame = textFrame(String(t.node_id ?? ""), String(t.text ?? ""));
        for (const c of s.hub.registered.values()) if (sid === null || c.sid === sid) s.hub.sendBinary(c, frame);
      } else if (typeof b.binaryBase64 === "string") {
        const frame = Buffer.from(b.binaryBase64, "base64");
        for (const c of s.hub.registered.values()) if (sid === null || c.sid === sid) s.hub.sendBinary(c, frame);
      } else if (typeof b.type === "string") {
        // Round-trip through the Python-style parser so key order and ints survive.
        s.hub.sendJson(b.type, parseJson(JSON.stringify(b.data ?? null)), sid);
      } else throw new Error("need raw, text3, binaryBase64 or type/data");
      return sendControl(res, { ok: true });
    }
    if (p.startsWith("/files/")) {
      const rest = decodeURIComponent(p.slice("/files/".length));
      const slash = rest.indexOf("/");
      const type = slash < 0 ? rest : rest.slice(0, slash);
      const rel = slash < 0 ? "" : rest.slice(slash + 1);
      const dir = s.storage.dirByType(type);
      if (!dir || !rel) return sendControl(res, { error: "need /__fake/files/<input|output|temp>/<path>" }, 400);
      const full = path.resolve(dir, rel);
      if (!full.startsWith(dir + "/")) return sendControl(res, { error: "path escapes the folder" }, 400);
      if (m === "PUT" || m === "POST") {
        const data = await readBody(req, 4 * 1024 ** 3);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, data);
        return sendControl(res, { sha256: sha256(data), size: data.length });
      }
      const file = s.storage.rawPath(type, rel);
      if (!file) return sendControl(res, { error: "not found" }, 404);
      if (m === "DELETE") {
        fs.rmSync(file);
        return sendControl(res, { ok: true });
      }
      if (url.searchParams.get("sha256") === "1") {
        const h = await new Promise<string>((resolve, reject) => {
          const hash = crypto.createHash("sha256");
          fs.createReadStream(file).on("data", (c) => hash.update(c)).on("end", () => resolve(hash.digest("hex"))).on("error", reject);
        });
        return sendControl(res, { sha256: h, size: fs.statSync(file).size });
      }
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
      return;
    }
    sendControl(res, { error: `no control route ${m} ${url.pathname}` }, 404);
  } catch (e) {
    sendControl(res, { error: e instanceof Error ? e.message : String(e) }, 400);
  }
}

