import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { WindowState } from "../../src/rate-limit/limiter";
import { waitFor } from "../helpers/gateway";

const stubFor = () => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`test-${crypto.randomUUID()}`));
const rule = { max: 10, windowMs: 60_000 };
const refusalsTotal = async () =>
  (await env.DB.prepare("SELECT value FROM counters WHERE name = 'rate_limit_refusals'").first<{ value: number }>())?.value ?? 0;
/** Ends the object's current window now, as if its time had run out, and drops its memory. */
async function endWindow(stub: ReturnType<typeof stubFor>) {
  await runInDurableObject(stub, (_i, state) => {
    const w = state.storage.kv.get<WindowState>("window")!;
    state.storage.kv.put("window", { ...w, resetAtMs: Date.now() - 1 });
  });
  await evictDurableObject(stub);
}

describe("RateLimiterDO", () => {
  it("lets exactly max of max + 5 concurrent hits through", async () => {
    const stub = stubFor();
    const results = await Promise.all(Array.from({ length: rule.max + 5 }, () => stub.hit(rule)));
    expect(results.filter((r) => r.allowed)).toHaveLength(rule.max);
    expect(results.filter((r) => r.allowed).map((r) => r.remaining).sort((a, b) => a - b)).toEqual([...Array(rule.max).keys()]);
  });

  it("keeps its count across an eviction", async () => {
    const stub = stubFor();
    for (let i = 0; i < 3; i++) await stub.hit(rule);
    await evictDurableObject(stub);
    expect((await stub.hit(rule)).remaining).toBe(rule.max - 4);
  });

  it("arms an alarm at the window's reset, which keeps the count if it fires early", async () => {
    const stub = stubFor();
    const first = await stub.hit(rule);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(first.resetAtMs);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.hit(rule)).remaining).toBe(rule.max - 2);
  });

  it("deletes its storage when the window is over, and starts afresh", async () => {
    const stub = stubFor();
    for (let i = 0; i < 5; i++) await stub.hit(rule);
    await endWindow(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_i, state) => [...state.storage.kv.list()].length)).toBe(0);
    expect((await stub.hit(rule)).remaining).toBe(rule.max - 1);
  });

  it("counts its refusals and adds them to the deployment's total (D1 counters) when its window ends", async () => {
    const stub = stubFor();
    for (let i = 0; i < rule.max + 3; i++) await stub.hit(rule);
    const before = await refusalsTotal();
    await endWindow(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await refusalsTotal()).toBe(before + 3);
    expect(await runInDurableObject(stub, (_i, state) => [...state.storage.kv.list()].length)).toBe(0);
    // Flushed once: another alarm adds nothing.
    await stub.hit(rule);
    await runDurableObjectAlarm(stub);
    expect(await refusalsTotal()).toBe(before + 3);
  });

  it("flushes them when its next window starts too, so a bucket that never goes idle is still counted", async () => {
    const stub = stubFor();
    for (let i = 0; i < rule.max + 2; i++) await stub.hit(rule);
    const before = await refusalsTotal();
    await endWindow(stub);
    expect((await stub.hit(rule)).allowed).toBe(true);
    await waitFor(async () => (await refusalsTotal()) === before + 2, { timeoutMs: 5_000, everyMs: 20 });
    expect(await runInDurableObject(stub, (_i, state) => state.storage.kv.get("refused"))).toBeUndefined();
  });
});
