import type { Config, Env } from "../env";
import type { Db } from "../db/client";
import type { AuthMode } from "../auth/mode";
import type { Principal } from "../auth/principal";
import type { ApiError } from "../errors";
import type { RateLimitResult } from "../rate-limit/limiter";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    db: Db;
    /** Set by authenticate(): whether credentials are required at all. */
    authMode: AuthMode;
    /** Set by authenticate(): who presented a valid credential (open mode: the anonymous admin), if anyone. */
    caller: Principal | undefined;
    /** Set by authenticate(): why a presented credential was refused. requireRole() throws it. */
    authError: ApiError | undefined;
    /** Set by requireRole(): the caller, once it is known to be allowed here. */
    principal: Principal;
    /** Set by rateLimit(): this request's count, so a router mounted twice counts it once. */
    rateLimit: RateLimitResult | undefined;
  };
};
