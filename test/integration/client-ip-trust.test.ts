import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientIpForLimits } from "../../src/api/middleware/rate-limit";
import { createApp } from "../../src/app";

/** The app with a per-IP limit of 2 (open mode meters by IP once RATE_LIMIT_MAX is set). */
async function health(ip: string, trust: string | undefined) {
  const vars = { ...env, RATE_LIMIT_MAX: "2", TRUST_CF_CONNECTING_IP: trust } as unknown as typeof env;
  const ctx = createExecutionContext();
  const res = await createApp().request("http://gw.test/health", { headers: { "cf-connecting-ip": ip } }, vars, ctx);
  await waitOnExecutionContext(ctx);
  return res.status;
}

const ips = (n: number) => Array.from({ length: n }, () => `198.51.100.${Math.floor(Math.random() * 250)}-${crypto.randomUUID().slice(0, 6)}`);

describe("clientIpForLimits (pure)", () => {
  it("uses the header when trusted, and one shared bucket when not", () => {
    expect(clientIpForLimits("203.0.113.7", true)).toBe("203.0.113.7");
    expect(clientIpForLimits("203.0.113.7", false)).toBe(clientIpForLimits("198.51.100.1", false));
    expect(clientIpForLimits(undefined, true)).toBe(clientIpForLimits(undefined, false));
  });
});

describe("CF-Connecting-IP with TRUST_CF_CONNECTING_IP=false (wrangler dev)", () => {
  it("puts every anonymous caller in one bucket whatever header it sends", async () => {
    const statuses = [];
    for (const ip of ips(4)) statuses.push(await health(ip, "false"));
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it("keeps one bucket per header value when trusted (Cloudflare's edge sets it)", async () => {
    const statuses = [];
    for (const ip of ips(4)) statuses.push(await health(ip, undefined));
    expect(statuses).toEqual([200, 200, 200, 200]);
  });
});
