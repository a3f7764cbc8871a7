// Everything one fake instance holds, passed to routes, control API and executor.
import type { FakeConfig } from "./config.ts";
import type { FaultState } from "./faults.ts";
import type { Stats } from "./stats.ts";
import type { Storage } from "./files.ts";
import type { PromptQueue } from "./queue.ts";
import type { SocketHub } from "./ws.ts";
import type { Executor } from "./executor.ts";
import type { Env } from "./nodes.ts";

export interface AppState {
  config: FakeConfig;
  faults: FaultState;
  stats: Stats;
  storage: Storage;
  queue: PromptQueue;
  hub: SocketHub;
  executor: Executor;
  env: Env;
  /** `PromptServer.number`: priority counter, 0 at every (re)start. */
  counter: number;
  startedAt: number;
  /** Simulated restart in progress: refuse like a dead process until this time. */
  downUntil: number;
  restart(): void;
  reset(): void;
}
