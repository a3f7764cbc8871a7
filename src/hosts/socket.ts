import type { ComfyClient } from "../comfy/client";
import { errorFields, log } from "../lib/log";

/**
 * Backoff between socket reconnects: the base delay doubling with each failure, for at most
 * `attempts` doublings and never past a minute. Prompts are followed by polling meanwhile.
 */
export function reconnectDelayMs(failures: number, baseS: number, attempts: number): number {
  return Math.min(60_000, baseS * 1000 * 2 ** Math.min(Math.max(failures - 1, 0), attempts));
}

/**
 * The one WebSocket a HostDO keeps to its ComfyUI host. Every connection gets a fresh clientId
 * (ComfyUI issue #16010: reusing one can deafen the new socket), the old socket is closed first,
 * and failed connects back off.
 */
export class HostSocket {
  #ws: WebSocket | undefined;
  #clientId: string | undefined;
  #connecting: Promise<void> | undefined;
  #failures = 0;
  #nextAttemptAtMs = 0;
  readonly #onFrame: (data: string | ArrayBuffer) => void;
  readonly #backoff: { baseS: number; attempts: number };

  constructor(onFrame: (data: string | ArrayBuffer) => void, backoff: { baseS: number; attempts: number }) {
    this.#onFrame = onFrame;
    this.#backoff = backoff;
  }

  /** The clientId prompts must carry to get their events; undefined while no socket is open. */
  get clientId(): string | undefined {
    return this.#clientId;
  }

  async ensure(hostName: string, client: ComfyClient): Promise<void> {
    if (this.#ws && this.#ws.readyState === WebSocket.OPEN) return;
    if (Date.now() < this.#nextAttemptAtMs) return;
    this.#connecting ??= this.#connect(hostName, client).finally(() => (this.#connecting = undefined));
    await this.#connecting;
  }

  close(reason: string) {
    try {
      this.#ws?.close(1000, reason);
    } catch {
      /* already closed */
    }
    this.#ws = undefined;
    this.#clientId = undefined;
  }

  async #connect(hostName: string, client: ComfyClient) {
    this.close("reconnecting");
    const clientId = `ce-${hostName}-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
    try {
      const ws = await client.openSocket(clientId);
      ws.addEventListener("message", (ev) => this.#onFrame(ev.data as string | ArrayBuffer));
      const drop = (ev: Event) => {
        if (this.#ws !== ws) return;
        const closed = ev as Partial<CloseEvent>;
        log.info("host.socket_dropped", { host: hostName, clientId, code: closed.code ?? null, reason: closed.reason || ev.type });
        this.#ws = undefined;
        // New prompts must not go out under a client id no socket listens on.
        this.#clientId = undefined;
      };
      ws.addEventListener("close", drop);
      ws.addEventListener("error", drop);
      this.#ws = ws;
      this.#clientId = clientId;
      log.info("host.socket_connected", { host: hostName, clientId, afterFailures: this.#failures });
      this.#failures = 0;
      this.#nextAttemptAtMs = 0;
    } catch (e) {
      this.#failures++;
      this.#nextAttemptAtMs = Date.now() + reconnectDelayMs(this.#failures, this.#backoff.baseS, this.#backoff.attempts);
      log.warn("host.socket_failed", { host: hostName, failures: this.#failures, ...errorFields(e) });
    }
  }
}
