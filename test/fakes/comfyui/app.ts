// Wires one fake instance together: HTTP server, WebSocket upgrade, faults that act at the
// connection level (down, refused, dropped sockets, crash) and the origin-only middleware.
import http from "node:http";
import crypto from "node:crypto";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { applyConfig, defaultConfig } from "./config.ts";
import type { FakeConfig } from "./config.ts";
import { noFaults } from "./faults.ts";
import { emptyStats, MAX_REQUEST_LOG } from "./stats.ts";
import { Storage } from "./files.ts";
import { PromptQueue } from "./queue.ts";
import { SocketHub } from "./ws.ts";
import { Executor } from "./executor.ts";
import { od } from "./json.ts";
import type { PyValue } from "./json.ts";
import { handleComfy, queueInfo, serverFeatures } from "./routes.ts";
import { handleControl } from "./control.ts";
import { BodyTooLarge, send404, send413, sendEmpty, sendText } from "./http.ts";
import type { AppState } from "./state.ts";

export interface FakeComfyOptions {
  port?: number;
  host?: string;
  /** Folder holding input/output/temp. Kept across restarts of the process. */
  dataDir: string;
  config?: Partial<FakeConfig>;
  /** What the `crash` fault does; the CLI exits the process with code 1. */
  onCrash?: () => void;
}

export interface FakeComfyInstance {
  state: AppState;
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

function stripApi(path: string): string {
  if (path === "/api") return "/";
  return path.startsWith("/api/") ? path.slice(4) : path;
}

function isLoopbackHost(h: string | undefined): boolean {
  if (!h) return false;
  const host = h.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** `create_origin_only_middleware`: true when ComfyUI would answer 403. */
function originRejected(req: http.IncomingMessage): boolean {
  const hostHeader = req.headers.host;
  const origin = req.headers.origin;
  if (!hostHeader || !origin) return false;
  const split = (netloc: string) => {
    const m = /^(.*?)(?::(\d+))?$/.exec(netloc)!;
    return { host: m[1].replace(/^\[|\]$/g, ""), port: m[2] ?? null };
  };
  const hostDomainRaw = hostHeader.toLowerCase();
  const originNetloc = origin.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("/")[0].replace(/^.*@/, "").toLowerCase();
  const h = split(hostDomainRaw);
  const o = split(originNetloc);
  const hostDomain = o.port === null ? h.host : hostDomainRaw;
  const originDomain = h.port === null ? o.host : originNetloc;
  if (!isLoopbackHost(h.host)) return false;
  return hostDomain.length > 0 && originDomain.length > 0 && hostDomain !== originDomain;
}

export async function createFakeComfy(opts: FakeComfyOptions): Promise<FakeComfyInstance> {
  const config = defaultConfig();
  if (opts.config) applyConfig(config, opts.config as Record<string, unknown>);
  const storage = new Storage(opts.dataDir);
  storage.wipe("temp");
  const queue = new PromptQueue();
  queue.maxHistory = config.maxHistory;
  const hub = new SocketHub();
  const faults = noFaults();
  const stats = emptyStats();
  const env = { storage, config };
  const executor = new Executor({ env, queue, hub, faults, stats });
  const server = http.createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024, perMessageDeflate: true });

  let crashed = false;
  const crash = () => {
    if (crashed) return;
    crashed = true;
    executor.halt();
    if (opts.onCrash) return opts.onCrash();
    hub.terminateAll();
    server.closeAllConnections();
    server.close();
  };

  const state: AppState = {
    config,
    faults,
    stats,
    storage,
    queue,
    hub,
    executor,
    env,
    counter: 0,
    startedAt: Date.now(),
    downUntil: 0,
    restart() {
      hub.terminateAll();
      queue.heap = [];
      queue.history.clear();
      queue.abandonRunning();
      queue.flags = {};
      state.counter = 0;
      executor.abort();
      storage.wipe("temp");
      queue.wake();
    },
    reset() {
      state.restart();
      Object.assign(stats, emptyStats());
      Object.assign(faults, noFaults());
      storage.wipeAll();
      state.downUntil = 0;
    },
  };
  queue.onUpdated = () => hub.sendJson("status", od(["status", queueInfo(state)]), null);
  hub.bug16010 = () => config.bug16010;

  // Sockets dropped by a fault stop receiving at once; the TCP kill waits a moment so the frame
  // that triggered it (possibly still being deflated) reaches the wire first.
  const dropAll = () => {
    const conns = [...hub.open];
    for (const c of conns) hub.registered.get(c.sid) === c && hub.registered.delete(c.sid);
    setTimeout(() => conns.forEach((c) => c.ws.terminate()), 25);
  };
  hub.hooks = {
    before(type) {
      if (faults.dropSocket === `before:${type}`) {
        faults.dropSocket = null;
        dropAll();
        return false;
      }
      return true;
    },
    after(type) {
      if (faults.dropSocket === `after:${type}`) {
        faults.dropSocket = null;
        dropAll();
      }
      if (faults.crashAfter === type) {
        faults.crashAfter = null;
        executor.halt();
        for (const c of hub.open) hub.registered.delete(c.sid);
        setTimeout(crash, 25);
      }
    },
  };

  server.on("request", (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const at = Date.now();
    res.on("finish", () => {
      if (url.pathname.startsWith("/__fake/")) return;
      stats.requests.push({ at, method: req.method ?? "", path: url.pathname + url.search, status: res.statusCode });
      if (stats.requests.length > MAX_REQUEST_LOG) stats.requests.splice(0, stats.requests.length - MAX_REQUEST_LOG);
    });
    void (async () => {
      try {
        if (url.pathname.startsWith("/__fake/")) return await handleControl(state, req, res, url, crash);
        if (faults.refuseConnections) return void req.socket.destroy();
        if (faults.down || Date.now() < state.downUntil) return sendText(res, 503, "503: Service Unavailable");
        if (config.originCheck && originRejected(req)) return sendEmpty(res, 403);
        if (req.method === "OPTIONS") return sendEmpty(res, 200);
        const path = stripApi(url.pathname);
        if (await handleComfy(state, req, res, url, path)) return;
        if (path === "/ws") return sendText(res, 400, 'No WebSocket UPGRADE hdr: None\n Can "Upgrade" only to "WebSocket".');
        if (path === "/" && req.method === "GET") {
          res.writeHead(200, { "Content-Type": "text/html" });
          return res.end("<!doctype html><title>ComfyUI (fake)</title>");
        }
        send404(res);
      } catch (e) {
        if (e instanceof BodyTooLarge) return send413(res, e);
        console.error("[fake-comfyui] request failed:", e);
        if (!res.headersSent) sendText(res, 500, "500 Internal Server Error\n\nServer got itself in trouble");
      }
    })();
  });

  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = stripApi(url.pathname);
    const reject = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (faults.refuseConnections) return void socket.destroy();
    if (faults.down || Date.now() < state.downUntil) return reject("503 Service Unavailable");
    if (path !== "/ws") return reject("404 Not Found");
    if (config.originCheck && originRejected(req)) return reject("403 Forbidden");
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sid = url.searchParams.get("clientId") || crypto.randomUUID().replaceAll("-", "");
      const rec = { at: Date.now(), clientId: url.searchParams.get("clientId") ?? "", sid, closedAt: null as number | null };
      stats.wsConnections.push(rec);
      hub.attach(
        ws,
        sid,
        () => {
          const frames: PyValue[][] = [["status", od(["status", queueInfo(state)], ["sid", sid])]];
          if (executor.clientId === sid && executor.lastNodeId !== null) frames.push(["executing", od(["node", executor.lastNodeId])]);
          return frames;
        },
        () => serverFeatures(state),
        () => (rec.closedAt = Date.now()),
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  executor.start();
  const port = (server.address() as AddressInfo).port;
  return {
    state,
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      executor.halt();
      hub.terminateAll();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
