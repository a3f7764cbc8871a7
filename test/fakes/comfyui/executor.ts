// The prompt worker (`main.py: prompt_worker` + `PromptExecutor.execute_async`): one prompt at a
// time, the event order of protocol §3.5, ComfyUI's routing of each event (§3.3), the classic
// output cache, interrupts observed only at node starts and progress steps, and injected faults.
import { PyFloat, od, isDict } from "./json.ts";
import type { PyDict, PyValue } from "./json.ts";
import { NODE_CLASSES, NodeError, nodeTraceback } from "./nodes.ts";
import type { Env, NodeClass, Obj, RunCtx } from "./nodes.ts";
import { executionOrder, linkOf, signatures } from "./graph.ts";
import type { PromptQueue, QueueItem } from "./queue.ts";
import { previewType1, previewType4 } from "./ws.ts";
import type { SocketHub } from "./ws.ts";
import type { FaultState } from "./faults.ts";
import { OOM_TIP } from "./faults.ts";
import type { Stats } from "./stats.ts";
import { PyError } from "./files.ts";
import { tinyJpeg } from "./png.ts";

class Interrupted extends Error {}
/** The process "restarted" under the running prompt: stop without emitting anything. */
class Aborted extends Error {}

interface CacheEntry {
  outputs: unknown[];
  ui: PyDict | null;
}

interface NodeProgress {
  value: number | PyFloat;
  max: number | PyFloat;
  state: "running" | "finished";
}

type FaultKind = "oom" | "execError" | "hang" | null;

export interface ExecutorDeps {
  env: Env;
  queue: PromptQueue;
  hub: SocketHub;
  faults: FaultState;
  stats: Stats;
}

const OOM_TB_TAIL = [
  '  File "/srv/comfyui/nodes.py", line 1525, in sample\n    return common_ksampler(model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image, denoise=denoise)\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n',
  '  File "/srv/comfyui/comfy/model_management.py", line 1102, in cast_to\n    r = torch.empty_like(weight, dtype=dtype, device=device)\n        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n',
];

export class Executor {
  private readonly d: ExecutorDeps;
  /** `nodes.interrupt_processing()`: a global flag, reset when the next prompt starts. */
  interrupted = false;
  private generation = 0;
  private cache = new Map<string, CacheEntry>();
  private lastEndedAt: number | null = null;
  /** Client owning the running prompt and its last `executing` node (for the reconnect frame). */
  clientId: string | null = null;
  lastNodeId: string | null = null;
  running: QueueItem | null = null;
  private halted = false;
  private idleFlagsTimer: NodeJS.Timeout | null = null;

  constructor(deps: ExecutorDeps) {
    this.d = deps;
  }

  start(): void {
    void this.loop();
  }

  /** Crash fault: stop everything, the process is about to exit. */
  halt(): void {
    this.halted = true;
    this.generation++;
  }

  /** Restart fault: forget the running prompt and all cached outputs, emit nothing. */
  abort(): void {
    this.generation++;
    this.interrupted = false;
    this.cache.clear();
    this.clientId = null;
    this.lastNodeId = null;
    this.running = null;
    this.lastEndedAt = null;
  }

  interrupt(): void {
    this.interrupted = true;
  }

  /** `POST /free`: applied between prompts, or right away when idle. */
  requestFree(unloadModels: boolean, freeMemory: boolean): void {
    const q = this.d.queue;
    if (unloadModels) q.flags.unload_models = true;
    if (freeMemory) q.flags.free_memory = true;
    if (!this.running && !this.idleFlagsTimer) {
      this.idleFlagsTimer = setTimeout(() => {
        this.idleFlagsTimer = null;
        if (!this.running) this.applyFlags();
      }, 0);
    }
  }

  private applyFlags(): void {
    const q = this.d.queue;
    if (q.flags.free_memory) this.cache.clear();
    q.flags = {};
  }

  private async loop(): Promise<void> {
    while (!this.halted) {
      const item = await this.d.queue.next();
      if (this.halted) return;
      if (this.d.queue.running !== item) continue;
      try {
        await this.run(item, this.generation);
      } catch (e) {
        if (!(e instanceof Aborted)) console.error("[fake-comfyui] executor bug:", e);
      }
    }
  }

  private send(type: string, data: PyValue, sid: string | null): void {
    this.d.hub.sendJson(type, data, sid);
  }

  private async run(item: QueueItem, gen: number): Promise<void> {
    const { env, hub, faults, stats } = this.d;
    const check = () => {
      if (gen !== this.generation) throw new Aborted();
    };
    const sleep = async (ms: number) => {
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      check();
    };
    const startedAt = Date.now();
    if (this.lastEndedAt !== null && item.enqueuedAt <= this.lastEndedAt) stats.idleGapsMs.push(startedAt - this.lastEndedAt);
    this.running = item;
    this.interrupted = false;
    const promptId = item.promptId;
    const prompt = item.prompt;
    // A non-string client_id (e.g. 5) is "set" for ComfyUI but matches no socket.
    const rawClient = item.extraData.get("client_id");
    const clientId = typeof rawClient === "string" ? rawClient : rawClient === undefined || rawClient === null ? null : "\u0000unmatched";
    this.clientId = clientId;
    this.lastNodeId = null;
    const messages: [string, PyDict][] = [];
    const addMessage = (type: string, data: PyDict, broadcast: boolean) => {
      data.set("timestamp", Date.now());
      messages.push([type, data]);
      if (clientId !== null || broadcast) this.send(type, data, clientId);
      else hub.notify(type);
    };

    // Cache keys for this prompt; classic caching keeps only the previous prompt's nodes.
    const sigs = env.config.cache ? signatures(prompt, env) : new Map<string, string>();
    if (!env.config.cache) this.cache.clear();
    const cachedAtStart = new Set<string>();
    for (const id of prompt.keys()) if (sigs.has(id) && this.cache.has(sigs.get(id)!)) cachedAtStart.add(id);

    addMessage("execution_start", od(["prompt_id", promptId]), false);
    addMessage("execution_cached", od(["nodes", [...cachedAtStart]], ["prompt_id", promptId]), false);

    const order = executionOrder(prompt, item.outputs, (id) => cachedAtStart.has(id));
    const firstRun = order.filter((id) => !cachedAtStart.has(id));
    const target = firstRun.find((id) => NODE_CLASSES.get(classOf(prompt, id))?.heavy) ?? firstRun[0] ?? null;
    let fault: FaultKind = null;
    if (target !== null) {
      if (faults.oom > 0) (faults.oom--, (fault = "oom"));
      else if (faults.execError > 0) (faults.execError--, (fault = "execError"));
      else if (faults.hang > 0) (faults.hang--, (fault = "hang"));
    }

    const results = new Map<string, unknown[]>();
    for (const id of cachedAtStart) results.set(id, this.cache.get(sigs.get(id)!)!.outputs);
    const progress = new Map<string, NodeProgress>();
    const uiOutputs: PyDict = new Map();
    const meta: PyDict = new Map();
    const executed: string[] = [];
    const previews = this.previewsEnabled(item.extraData);

    const progressJson = () => {
      const nodes: PyDict = new Map();
      for (const [id, p] of progress) {
        nodes.set(id, od(["value", p.value], ["max", p.max], ["state", p.state], ["node_id", id], ["prompt_id", promptId], ["display_node_id", id], ["parent_node_id", null], ["real_node_id", id]));
      }
      return od(["prompt_id", promptId], ["nodes", nodes]);
    };
    const sendProgressState = () => this.send("progress_state", progressJson(), clientId);
    const finish = (id: string) => {
      const p = progress.get(id);
      if (p) (p.value = p.max), (p.state = "finished");
      else progress.set(id, { value: 1, max: 1, state: "finished" });
      sendProgressState();
    };

    let success = true;
    let currentNode: string | null = null;
    let currentInputs: PyDict = new Map();
    try {
      for (const id of order) {
        currentNode = id;
        currentInputs = new Map();
        const cls = NODE_CLASSES.get(classOf(prompt, id))!;
        const node = prompt.get(id) as PyDict;
        if (cachedAtStart.has(id)) {
          const hit = this.cache.get(sigs.get(id)!)!;
          results.set(id, hit.outputs);
          if (clientId !== null) this.send("executed", od(["node", id], ["display_node", id], ["output", hit.ui], ["prompt_id", promptId]), clientId);
          else hub.notify("executed");
          if (hit.ui) {
            uiOutputs.set(id, hit.ui);
            meta.set(id, metaOf(id));
          }
          finish(id);
          continue;
        }
        progress.set(id, { value: new PyFloat(0), max: new PyFloat(1), state: "running" });
        sendProgressState();
        if (clientId !== null) this.send("executing", od(["node", id], ["display_node", id], ["prompt_id", promptId]), clientId);
        else hub.notify("executing");
        this.lastNodeId = id;
        await sleep(env.config.nodeDelayMs);

        // get_input_data: literals as stored (already coerced by validation), links resolved.
        const inputs = node.get("inputs") as PyDict;
        const declared = cls.inputs(env);
        const names = new Set([...declared.required, ...(declared.optional ?? [])].map(([k]) => k));
        const args: Record<string, unknown> = {};
        for (const [k, v] of inputs) {
          if (!names.has(k)) continue;
          const l = linkOf(v);
          if (l) {
            const val = results.get(l[0])?.[l[1]];
            args[k] = val;
            currentInputs.set(k, [(val as Obj | undefined)?.repr ?? "None"]);
          } else {
            args[k] = v;
            currentInputs.set(k, [v]);
          }
        }
        if (this.interrupted) throw new Interrupted();

        if (id === target && fault === "oom") {
          throw new NodeError("torch.OutOfMemoryError", `${faults.oomMessage}\n${OOM_TIP}`, nodeTraceback(cls, OOM_TB_TAIL));
        }
        if (id === target && fault === "execError") {
          throw new NodeError(faults.execErrorType, faults.execErrorMessage, nodeTraceback(cls));
        }
        if (id === target && fault === "hang") {
          for (;;) {
            await sleep(10);
            if (this.interrupted) throw new Interrupted();
          }
        }

        const ctx: RunCtx = {
          env,
          promptId,
          nodeId: id,
          prompt,
          extraData: item.extraData,
          sleep,
          step: async (value, max, waitMs) => {
            await sleep(waitMs + faults.slowMs);
            if (this.interrupted) throw new Interrupted();
            progress.set(id, { value, max, state: "running" });
            sendProgressState();
            const jpeg = previews && cls.name === "KSampler" ? tinyJpeg(40 + Math.round((200 * value) / Math.max(1, max))) : null;
            const target4 = jpeg && clientId !== null ? hub.registered.get(clientId) : undefined;
            if (jpeg && target4 && hub.supportsMetadata(target4)) {
              hub.sendBinary(target4, previewType4(od(["node_id", id], ["prompt_id", promptId], ["display_node_id", id], ["parent_node_id", null], ["real_node_id", id], ["image_type", "image/jpeg"]), jpeg));
            }
            this.send("progress", od(["value", value], ["max", max], ["prompt_id", promptId], ["node", id]), clientId);
            if (jpeg) {
              if (clientId === null) for (const c of hub.registered.values()) hub.sendBinary(c, previewType1(jpeg));
              else if (target4 && !hub.supportsMetadata(target4)) hub.sendBinary(target4, previewType1(jpeg));
            }
          },
        };
        const out = await cls.run(ctx, args);
        check();
        results.set(id, out.outputs);
        const ui = out.ui ?? null;
        if (sigs.has(id)) this.cache.set(sigs.get(id)!, { outputs: out.outputs, ui });
        if (ui) {
          uiOutputs.set(id, ui);
          meta.set(id, metaOf(id));
          if (clientId !== null) this.send("executed", od(["node", id], ["display_node", id], ["output", ui], ["prompt_id", promptId]), clientId);
          else hub.notify("executed");
        }
        finish(id);
        executed.push(id);
      }
    } catch (e) {
      if (e instanceof Aborted) {
        stats.executed.push({ prompt_id: promptId, client_id: clientId, startedAt, endedAt: Date.now(), status: "aborted" });
        throw e;
      }
      success = false;
      const id = currentNode!;
      const nodeType = classOf(prompt, id);
      if (e instanceof Interrupted) {
        addMessage("execution_interrupted", od(["prompt_id", promptId], ["node_id", id], ["node_type", nodeType], ["executed", [...executed]]), true);
      } else {
        const pyType = e instanceof PyError ? e.pyType : "Exception";
        const msg = e instanceof Error ? e.message : String(e);
        const tb = e instanceof NodeError && e.traceback ? e.traceback : nodeTraceback(NODE_CLASSES.get(nodeType)!);
        addMessage(
          "execution_error",
          od(
            ["prompt_id", promptId],
            ["node_id", id],
            ["node_type", nodeType],
            ["executed", [...executed]],
            ["exception_message", msg.endsWith(OOM_TIP) ? msg : `${msg}\n`],
            ["exception_type", pyType],
            ["traceback", tb],
            ["current_inputs", currentInputs],
            ["current_outputs", [...prompt.keys()].reverse()],
          ),
          false,
        );
      }
    }
    if (success) addMessage("execution_success", od(["prompt_id", promptId]), false);

    // Classic cache: entries for nodes absent from this prompt are dropped.
    if (env.config.cache) {
      const keep = new Set(sigs.values());
      for (const k of [...this.cache.keys()]) if (!keep.has(k)) this.cache.delete(k);
    }

    if (faults.historyDelayMs > 0) await sleep(faults.historyDelayMs);
    check();
    const last = messages[messages.length - 1][0];
    this.d.queue.done(item, {
      outputs: uiOutputs,
      status: { status_str: success ? "success" : "error", completed: success, messages },
      meta,
    });
    if (clientId !== null) this.send("executing", od(["node", null], ["prompt_id", promptId]), clientId);
    else hub.notify("executing");
    const endedAt = Date.now();
    stats.executed.push({ prompt_id: promptId, client_id: clientId, startedAt, endedAt, status: success ? "success" : last === "execution_interrupted" ? "interrupted" : "error" });
    this.lastEndedAt = endedAt;
    this.running = null;
    this.clientId = null;
    this.lastNodeId = null;
    this.applyFlags();
  }

  private previewsEnabled(extra: PyDict): boolean {
    const cfg = this.d.env.config;
    if (cfg.versionProfile === "2026") {
      const m = extra.get("preview_method");
      if (m === "none") return false;
      if (m === "auto" || m === "latent2rgb" || m === "taesd") return true;
    }
    return cfg.previewMethod !== "none";
  }
}

function classOf(prompt: PyDict, id: string): string {
  const n = prompt.get(id);
  return isDict(n) ? String(n.get("class_type")) : "";
}

function metaOf(id: string): PyDict {
  return od(["node_id", id], ["display_node", id], ["parent_node", null], ["real_node_id", id]);
}
