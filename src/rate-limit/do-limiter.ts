import type { RateLimiterDO } from "./rate-limiter-do";
import type { RateLimiter } from "./limiter";

/** The deployment's limiter: one RateLimiterDO per bucket, named by the bucket. */
export function durableObjectLimiter(ns: DurableObjectNamespace<RateLimiterDO>): RateLimiter {
  return {
    limit: async (bucket, rule) => ns.get(ns.idFromName(bucket)).hit(rule),
  };
}
