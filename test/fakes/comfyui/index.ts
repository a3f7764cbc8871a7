// Launcher and control client for tests: the fake runs as its own process (like a real ComfyUI
// host) so crashes, restarts and connection resets are real, and it cannot share state with
// the code under test.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import type { FakeConfig } from "./config.ts";
import type { FaultState } from "./faults.ts";
import type { Stats } from "./stats.ts";

export type { FakeConfig, FaultState, Stats };

export const SERVER_PATH = fileURLToPath(new URL("./server.ts", import.meta.url));

export interface StartFakeComfyOptions extends Partial<FakeConfig> {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Folder for input/output/temp; default a fresh temp dir removed by close(). */
  dataDir?: string;
  /** Node ≥ 22.6 binary (type stripping); default process.execPath or the project's `node` package. */
  nodePath?: string;
  startTimeoutMs?: number;
  /** Where the child's stderr goes (default "inherit"). */
  stderr?: "inherit" | "ignore" | "pipe";
}

/** Fault patch accepted by POST /__fake/faults: stored faults plus one-shot actions. */
export type FaultPatch = Partial<Omit<FaultState, "oom" | "execError" | "hang">> & {
  oom?: number | boolean;
  execError?: number | boolean;
  hang?: number | boolean;
  crash?: boolean;
  restart?: boolean;
  restartDownMs?: number;
};

export interface FakeStats extends Stats {
  sockets: number;
  registeredClients: string[];
  queueRemaining: number;
}

export interface FakeState {
  counter: number;
  running: string | null;
  pending: string[];
  history: string[];
  interrupted: boolean;
  dataDir: string;
}

export type WsInjection =
  | { type: string; data: unknown; sid?: string }
  | { raw: string; sid?: string }
  | { text3: { node_id: string; text: string }; sid?: string }
  | { binaryBase64: string; sid?: string };

/** Typed client for the /__fake/ control API. */
export class FakeComfyClient {
  readonly baseUrl: string;
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
  }

  private async call<T>(method: string, p: string, body?: unknown): Promise<T> {
    const res = await fetch(this.baseUrl + p, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`fake-comfyui ${method} ${p} → ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  setFaults(patch: FaultPatch): Promise<FaultState> {
    return this.call("POST", "/__fake/faults", patch);
  }
  getFaults(): Promise<FaultState> {
    return this.call("GET", "/__fake/faults");
  }
  clearFaults(): Promise<FaultState> {
    return this.call("DELETE", "/__fake/faults");
  }
  setConfig(patch: Partial<FakeConfig>): Promise<FakeConfig> {
    return this.call("POST", "/__fake/config", patch);
  }
  getConfig(): Promise<FakeConfig> {
    return this.call("GET", "/__fake/config");
  }
  stats(): Promise<FakeStats> {
    return this.call("GET", "/__fake/stats");
  }
  state(): Promise<FakeState> {
    return this.call("GET", "/__fake/state");
  }
  /** Fresh-process state: empty queue/history/files/stats/faults, counter 0 (config kept). */
  reset(): Promise<{ ok: true }> {
    return this.call("POST", "/__fake/reset");
  }
  /** Simulated ComfyUI restart: sockets dropped, queue/history/temp wiped, counter 0; files kept. */
  restart(): Promise<{ ok: true }> {
    return this.call("POST", "/__fake/restart");
  }
  sendWs(msg: WsInjection): Promise<{ ok: true }> {
    return this.call("POST", "/__fake/ws/send", msg);
  }
  async fileBytes(type: "input" | "output" | "temp", rel: string): Promise<Buffer> {
    const res = await fetch(`${this.baseUrl}/__fake/files/${type}/${rel.split("/").map(encodeURIComponent).join("/")}`);
    if (!res.ok) throw new Error(`fake-comfyui file ${type}/${rel} → ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
  fileSha256(type: "input" | "output" | "temp", rel: string): Promise<{ sha256: string; size: number }> {
    return this.call("GET", `/__fake/files/${type}/${rel.split("/").map(encodeURIComponent).join("/")}?sha256=1`);
  }
  async putFile(type: "input" | "output" | "temp", rel: string, data: Uint8Array): Promise<{ sha256: string; size: number }> {
    const res = await fetch(`${this.baseUrl}/__fake/files/${type}/${rel.split("/").map(encodeURIComponent).join("/")}`, { method: "PUT", body: data });
    if (!res.ok) throw new Error(`fake-comfyui put ${type}/${rel} → ${res.status}`);
    return (await res.json()) as { sha256: string; size: number };
  }
}

export interface FakeComfyHandle {
  url: string;
  wsUrl: string;
  port: number;
  dataDir: string;
  readonly pid: number;
  client: FakeComfyClient;
  /** Resolves when the current child exits (crash fault → code 1). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Start a new process on the same port and data dir (after a crash or kill). */
  respawn(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) c.kill("SIGKILL");
  });
}

function defaultNode(): string {
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj > 22 || (maj === 22 && min >= 6)) return process.execPath;
  // Running under an older node (e.g. a tool's own runtime): use the project's `node` package.
  for (let dir = path.dirname(SERVER_PATH); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", "node", "bin", "node");
    if (fs.existsSync(candidate)) return candidate;
  }
  return process.execPath;
}

const CONFIG_KEYS = ["versionProfile", "stepMs", "nodeDelayMs", "previewMethod", "models", "bug16010", "cache", "maxUploadSizeMb", "disableMetadata", "originCheck", "comfyuiVersion", "ramTotal", "vramTotal", "maxHistory"] as const;

export async function startFakeComfy(opts: StartFakeComfyOptions = {}): Promise<FakeComfyHandle> {
  installExitHook();
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "fake-comfyui-"));
  const config: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) if (opts[k] !== undefined) config[k] = opts[k];
  const nodePath = opts.nodePath ?? defaultNode();
  let port = opts.port ?? 0;
  let child!: ChildProcess;
  let exited!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  const launch = () =>
    new Promise<number>((resolve, reject) => {
      const args = ["--experimental-strip-types", "--disable-warning=ExperimentalWarning", SERVER_PATH, "--port", String(port), "--data-dir", dataDir, "--exit-with-parent", ...(ownDir ? ["--remove-data-dir-with-parent"] : []), "--config-json", JSON.stringify(config)];
      child = spawn(nodePath, args, { stdio: ["pipe", "pipe", opts.stderr ?? "inherit"] });
      live.add(child);
      const c = child;
      exited = new Promise((r) => c.once("exit", (code, signal) => (live.delete(c), r({ code, signal }))));
      const timer = setTimeout(() => {
        c.kill("SIGKILL");
        reject(new Error("fake-comfyui did not start in time"));
      }, opts.startTimeoutMs ?? 15000);
      const rl = readline.createInterface({ input: c.stdout! });
      rl.on("line", (line) => {
        const m = /^FAKE_COMFYUI_LISTENING (.*)$/.exec(line);
        if (!m) return;
        clearTimeout(timer);
        resolve((JSON.parse(m[1]) as { port: number }).port);
      });
      c.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`fake-comfyui exited with ${code} before listening`));
      });
      c.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });

  port = await launch();
  const url = `http://127.0.0.1:${port}`;
  const handle: FakeComfyHandle = {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    port,
    dataDir,
    get pid() {
      return child.pid ?? -1;
    },
    client: new FakeComfyClient(url),
    get exited() {
      return exited;
    },
    async respawn() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      await launch();
    },
    kill(signal = "SIGKILL") {
      child.kill(signal);
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(t);
      }
      if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}
