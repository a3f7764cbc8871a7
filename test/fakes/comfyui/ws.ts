// `server.py: websocket_handler` / `send_json` / `send_bytes`: one registered socket per sid,
// replaced (not closed) on reconnect, feature flags only from the first text frame, no pings.
import type { WebSocket } from "ws";
import { dumps, parseJson, isDict, od } from "./json.ts";
import type { PyDict, PyValue } from "./json.ts";

export interface Conn {
  ws: WebSocket;
  sid: string;
  flags: PyDict | null;
  firstMessage: boolean;
  openedAt: number;
}

export interface HubHooks {
  /** Return false to swallow the message (fault "before:<type>"). */
  before(type: string): boolean;
  after(type: string): void;
}

export class SocketHub {
  /** Registered sockets by sid; a replaced socket stays open but is no longer here. */
  readonly registered = new Map<string, Conn>();
  readonly open = new Set<Conn>();
  /** With #16010 ComfyUI keys flags by sid, so a stale handler can overwrite them. */
  private readonly flagsBySid = new Map<string, PyDict>();
  bug16010: () => boolean = () => false;
  hooks: HubHooks = { before: () => true, after: () => {} };

  attach(ws: WebSocket, sid: string, firstFrames: () => PyValue[][], serverFlags: () => PyDict, onClose: (c: Conn) => void): Conn {
    const conn: Conn = { ws, sid, flags: null, firstMessage: true, openedAt: Date.now() };
    this.registered.delete(sid);
    this.registered.set(sid, conn);
    this.flagsBySid.set(sid, new Map());
    this.open.add(conn);
    for (const [type, data] of firstFrames()) this.sendTo(conn, String(type), data);
    ws.on("message", (raw, isBinary) => {
      if (isBinary) return;
      let msg: PyValue;
      try {
        msg = parseJson(raw.toString());
      } catch {
        // ComfyUI logs and keeps `first_message` true: the exception skips its reset.
        return;
      }
      const wasFirst = conn.firstMessage;
      conn.firstMessage = false;
      if (!wasFirst || !isDict(msg) || msg.get("type") !== "feature_flags") return;
      const data = msg.get("data");
      const flags = isDict(data) ? data : new Map();
      if (this.bug16010()) {
        this.flagsBySid.set(sid, flags);
        this.sendJson("feature_flags", serverFlags(), sid);
      } else {
        conn.flags = flags;
        this.sendTo(conn, "feature_flags", serverFlags());
      }
    });
    ws.on("close", () => {
      this.open.delete(conn);
      if (this.bug16010()) {
        this.registered.delete(sid);
        this.flagsBySid.delete(sid);
      } else if (this.registered.get(sid) === conn) {
        this.registered.delete(sid);
        this.flagsBySid.delete(sid);
      }
      onClose(conn);
    });
    ws.on("error", () => {});
    return conn;
  }

  supportsMetadata(conn: Conn): boolean {
    const flags = this.bug16010() ? this.flagsBySid.get(conn.sid) : conn.flags;
    return flags?.get("supports_preview_metadata") === true;
  }

  private sendTo(conn: Conn, type: string, data: PyValue): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(dumps(od(["type", type], ["data", data])));
  }

  /** Text frame to `sid`, or to every registered socket when sid is null. */
  sendJson(type: string, data: PyValue, sid: string | null): void {
    if (!this.hooks.before(type)) return;
    if (sid === null) for (const c of this.registered.values()) this.sendTo(c, type, data);
    else {
      const c = this.registered.get(sid);
      if (c) this.sendTo(c, type, data);
    }
    this.hooks.after(type);
  }

  /** An event ComfyUI emits but routes to nobody: faults keyed on its type still fire. */
  notify(type: string): void {
    if (this.hooks.before(type)) this.hooks.after(type);
  }

  sendBinary(conn: Conn, buf: Buffer): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(buf, { binary: true });
  }

  /** Abrupt TCP close of every socket (no close frame), like a crash or a dropped link. */
  terminateAll(): void {
    for (const c of [...this.open]) c.ws.terminate();
  }
}

/** Binary frame: u32 BE event type + payload (`server.py: encode_bytes`). */
export function binaryFrame(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(type);
  return Buffer.concat([head, payload]);
}

export function previewType1(jpeg: Buffer): Buffer {
  const fmt = Buffer.alloc(4);
  fmt.writeUInt32BE(1);
  return binaryFrame(1, Buffer.concat([fmt, jpeg]));
}

export function previewType4(meta: PyDict, jpeg: Buffer): Buffer {
  const json = Buffer.from(dumps(meta), "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return binaryFrame(4, Buffer.concat([len, json, jpeg]));
}

export function textFrame(nodeId: string, text: string): Buffer {
  const id = Buffer.from(nodeId, "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(id.length);
  return binaryFrame(3, Buffer.concat([len, id, Buffer.from(text, "utf8")]));
}
