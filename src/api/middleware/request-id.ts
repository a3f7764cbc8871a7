import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";

export const requestId = ({ headerName = "X-Request-Id" } = {}): MiddlewareHandler<AppEnv> =>
  async function requestId(c, next) {
    let id = c.req.header(headerName);
    if (!id || id.length > 128 || /[^\w\-=.]/.test(id)) id = crypto.randomUUID();
    c.set("requestId", id);
    c.header(headerName, id);
    await next();
  };
