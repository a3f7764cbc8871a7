// The Worker `npm run bench` runs: the gateway itself, with its D1 binding wrapped so that every
// round trip is counted (and, in the far-from-D1 scenario, delayed by BENCH_D1_DELAY_MS), for the
// Worker and its Durable Objects alike. GET /__bench/d1 reads the count; /__bench/trace/:host/:job
// reads a job's per-step times from its host's object. Not part of the product.
import gateway, { HostDO as GatewayHostDO, JobWatchDO, OwnerFeedDO, RateLimiterDO } from "../src/index";
import type { Env } from "../src/env";

let roundTrips = 0;
const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

function wrapStatement(s: D1PreparedStatement, delayMs: number): D1PreparedStatement {
  return new Proxy(s, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== "function") return v;
      if (prop === "bind") return (...args: unknown[]) => wrapStatement((v as (...a: unknown[]) => D1PreparedStatement).apply(target, args), delayMs);
      if (prop === "first" || prop === "all" || prop === "run" || prop === "raw") {
        return async (...args: unknown[]) => {
          roundTrips++;
          await sleep(delayMs);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

const unwrap = new WeakMap<object, D1PreparedStatement>();
function wrapD1(db: D1Database, delayMs: number): D1Database {
  return new Proxy(db, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "prepare") {
        return (q: string) => {
          const real = target.prepare(q);
          const wrapped = wrapStatement(real, delayMs);
          unwrap.set(wrapped, real);
          return wrapped;
        };
      }
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          roundTrips++;
          await sleep(delayMs);
          // The real batch wants the real statements (bound ones are re-created by bind, so rebuild through the proxies' targets).
          return target.batch(statements.map((s) => realOf(s)));
        };
      }
      if (prop === "exec" || prop === "dump") {
        return async (...args: unknown[]) => {
          roundTrips++;
          await sleep(delayMs);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
function realOf(s: D1PreparedStatement): D1PreparedStatement {
  return unwrap.get(s) ?? (s as unknown as { __target?: D1PreparedStatement }).__target ?? s;
}

// One wrapped env per real binding: the gateway caches per D1 object (auth mode, signing key), and a
// fresh wrapper per request would turn those caches into a D1 read each time.
const wrapped = new WeakMap<D1Database, D1Database>();
const envs = new WeakMap<Env, Env>();
const wrapEnv = (env: Env): Env => {
  let out = envs.get(env);
  if (out) return out;
  let DB = wrapped.get(env.DB);
  if (!DB) wrapped.set(env.DB, (DB = wrapD1(env.DB, Number((env as unknown as { BENCH_D1_DELAY_MS?: string }).BENCH_D1_DELAY_MS ?? 0))));
  envs.set(env, (out = { ...env, DB }));
  return out;
};

export class HostDO extends GatewayHostDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, wrapEnv(env));
  }
}
export { RateLimiterDO, JobWatchDO, OwnerFeedDO };

export default {
  async fetch(req: Request, env: Env, ctx: ExecutionContext) {
    const url = new URL(req.url);
    if (url.pathname === "/__bench/d1") return Response.json({ roundTrips });
    const trace = /^\/__bench\/trace\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (trace) return Response.json(await env.HOSTS.get(env.HOSTS.idFromName(trace[1]!)).trace(trace[2]!));
    return gateway.fetch(req, wrapEnv(env), ctx);
  },
  queue: (batch: MessageBatch<unknown>, env: Env) => gateway.queue(batch, wrapEnv(env)),
  scheduled: (c: ScheduledController, env: Env, ctx: ExecutionContext) => gateway.scheduled(c, wrapEnv(env), ctx),
} satisfies ExportedHandler<Env>;
