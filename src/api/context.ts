import type { Config, Env } from "../env";
import type { Db } from "../db/client";
import type { Principal } from "../auth/principal";

export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string; config: Config; db: Db; principal: Principal };
};
