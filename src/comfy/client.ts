import type { Graph } from "./graph";

export type HostConn = { url: string; headers: Record<string, string> };

export class ComfyUnreachable extends Error {
  override name = "ComfyUnreachable";
}

export type SubmitResult =
  | { ok: true; promptId: string; number: number; nodeErrors: Record<string, unknown> }
  | { ok: false; status: number; body: unknown };

export type HistoryFile = { filename: string; subfolder: string; type: string };
export type HistoryEntry = {
  outputs?: Record<string, Record<string, unknown>>;
  status?: { status_str?: string; completed?: boolean; messages?: [string, Record<string, unknown>][] };
};

const base = (h: HostConn) => h.url.replace(/\/+$/, "");

/**
 * ComfyUI's HTTP routes, as its server.py answers them. Every call carries the host's headers
 * (tunnel service tokens) and a timeout; nothing forwards a caller's Origin header.
 */
export class ComfyClient {
  constructor(
    private readonly host: HostConn,
    private readonly timeoutMs = 15_000,
  ) {}

  async #fetch(path: string, init: RequestInit = {}, timeoutMs = this.timeoutMs): Promise<Response> {
    try {
      return await fetch(`${base(this.host)}${path}`, {
        ...init,
        headers: { ...this.host.headers, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "manual",
      });
    } catch (e) {
      throw new ComfyUnreachable(`${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  async #json<T>(path: string, init?: RequestInit): Promise<T> {
    const res = await this.#fetch(path, init);
    if (res.status >= 500 || res.status === 404 || res.status === 403 || res.status === 401) {
      await res.body?.cancel();
      throw new ComfyUnreachable(`${path}: HTTP ${res.status}`);
    }
    try {
      return (await res.json()) as T;
    } catch (e) {
      throw new ComfyUnreachable(`${path}: not JSON`, { cause: e });
    }
  }

  async submit(graph: Graph, clientId: string, promptId: string, extraData: Record<string, unknown> = {}): Promise<SubmitResult> {
    const res = await this.#fetch("/prompt", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: graph, client_id: clientId, prompt_id: promptId, extra_data: extraData }),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* a plain-text 500 from aiohttp stays text */
    }
    if (res.status === 200 && body && typeof body === "object" && "prompt_id" in body) {
      const b = body as { prompt_id: string; number: number; node_errors?: Record<string, unknown> };
      return { ok: true, promptId: b.prompt_id, number: b.number, nodeErrors: b.node_errors ?? {} };
    }
    // Only ComfyUI's own verdicts are final: its 400 envelope, or 413 for a body over --max-upload-size.
    // Anything else (a proxy's redirect to an Access login, a 429, an HTML page, a 5xx) is the path
    // to the host failing, and the attempt may be tried again.
    const isComfyVerdict = res.status === 400 && !!body && typeof body === "object" && ("error" in body || "node_errors" in body);
    if (isComfyVerdict || res.status === 413) return { ok: false, status: res.status, body };
    const hint = res.status >= 300 && res.status < 400 ? " (a redirect: check the host's Cloudflare Access headers)" : "";
    throw new ComfyUnreachable(`/prompt: HTTP ${res.status}${hint}`);
  }

  /** `null` while the prompt has not finished (or ComfyUI never saw it); history is written only at the end. */
  async history(promptId: string): Promise<HistoryEntry | null> {
    const body = await this.#json<Record<string, HistoryEntry>>(`/history/${encodeURIComponent(promptId)}`);
    return body[promptId] ?? null;
  }

  async queue(): Promise<{ running: string[]; pending: string[] }> {
    const body = await this.#json<{ queue_running?: unknown[][]; queue_pending?: unknown[][] }>("/queue");
    const ids = (items: unknown[][] | undefined) => (items ?? []).map((i) => String(i[1]));
    return { running: ids(body.queue_running), pending: ids(body.queue_pending) };
  }

  async deletePending(promptIds: string[]): Promise<void> {
    const res = await this.#fetch("/queue", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ delete: promptIds }) });
    await res.body?.cancel();
  }

  /** Targeted interrupt: ComfyUI stops this prompt only if it is the one running. */
  async interrupt(promptId: string): Promise<void> {
    const res = await this.#fetch("/interrupt", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt_id: promptId }) });
    await res.body?.cancel();
  }

  async systemStats(timeoutMs = 5_000): Promise<Record<string, unknown>> {
    const res = await this.#fetch("/system_stats", {}, timeoutMs);
    if (!res.ok) {
      await res.body?.cancel();
      throw new ComfyUnreachable(`/system_stats: HTTP ${res.status}`);
    }
    return (await res.json()) as Record<string, unknown>;
  }

  /**
   * POST /upload/image (multipart, type `input`, no overwrite). ComfyUI may store it under another
   * name (`x (1).png` on a clash), so the caller must use the returned name.
   */
  async uploadImage(name: string, file: Blob, timeoutMs = 120_000): Promise<{ name: string; subfolder: string; type: string }> {
    const form = new FormData();
    form.append("image", file, name);
    form.append("type", "input");
    const res = await this.#fetch("/upload/image", { method: "POST", body: form }, timeoutMs);
    if (res.status >= 500 || res.status === 401 || res.status === 403 || res.status === 404) {
      await res.body?.cancel();
      throw new ComfyUnreachable(`/upload/image: HTTP ${res.status}`);
    }
    const text = await res.text();
    let body: { name?: unknown; subfolder?: unknown; type?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      /* handled below */
    }
    if (res.status !== 200 || typeof body.name !== "string") throw new Error(`/upload/image refused ${name}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return { name: body.name, subfolder: typeof body.subfolder === "string" ? body.subfolder : "", type: typeof body.type === "string" ? body.type : "input" };
  }

  /** The model folder names (`GET /models`); null when the host predates that route. */
  async modelFolders(timeoutMs = 5_000): Promise<string[] | null> {
    return this.#names("/models", timeoutMs);
  }

  /** The file names of one model folder (`/models/checkpoints`…); null when the host has no such folder. */
  async models(folder: string, timeoutMs = 5_000): Promise<string[] | null> {
    return this.#names(`/models/${encodeURIComponent(folder)}`, timeoutMs);
  }

  /** A JSON list of names; null for 404. */
  async #names(path: string, timeoutMs: number): Promise<string[] | null> {
    const res = await this.#fetch(path, {}, timeoutMs);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ComfyUnreachable(`${path}: HTTP ${res.status}`);
    }
    const body = (await res.json()) as unknown;
    return Array.isArray(body) ? body.filter((x): x is string => typeof x === "string") : [];
  }

  /** The file as a stream; the caller pipes it to R2 without holding it whole. */
  async view(file: HistoryFile, timeoutMs = 300_000): Promise<Response> {
    const q = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder ?? "", type: file.type ?? "output" });
    const res = await this.#fetch(`/view?${q}`, {}, timeoutMs);
    if (!res.ok) {
      await res.body?.cancel();
      throw new ComfyUnreachable(`/view ${file.filename}: HTTP ${res.status}`);
    }
    return res;
  }

  /** Opens /ws with a fresh clientId per connection (ComfyUI issue #16010: reusing one can deafen the new socket). */
  async openSocket(clientId: string, handshakeMs = this.timeoutMs): Promise<WebSocket> {
    // The timeout bounds the handshake only. A signal that fires later would close the upgraded
    // socket with it (it did: every socket died 15 s after it opened, deafening running prompts).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`handshake took over ${handshakeMs} ms`)), handshakeMs);
    let res: Response;
    try {
      res = await fetch(`${base(this.host)}/ws?clientId=${encodeURIComponent(clientId)}`, { headers: { ...this.host.headers, upgrade: "websocket" }, signal: abort.signal, redirect: "manual" });
    } catch (e) {
      throw new ComfyUnreachable(`/ws: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
    const ws = res.webSocket;
    if (!ws) {
      await res.body?.cancel();
      throw new ComfyUnreachable(`/ws: HTTP ${res.status}, no WebSocket`);
    }
    ws.accept();
    ws.binaryType = "arraybuffer";
    ws.send(JSON.stringify({ type: "feature_flags", data: { supports_preview_metadata: true } }));
    return ws;
  }
}
