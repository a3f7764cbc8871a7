import type { Env } from "../env";

/** A host's Durable Object (HostDO), named by the host's id. */
export const hostObject = (env: Env, hostId: string) => env.HOSTS.get(env.HOSTS.idFromName(hostId));
