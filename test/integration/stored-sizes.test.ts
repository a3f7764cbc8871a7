import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { STORED_LIMITS, storedSizeIssue } from "../../src/jobs/stored-sizes";
import { call, tinyGraph } from "../helpers/gateway";

const count = async (table: string) => (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

/** tinyGraph with a padded input whose serialized graph is exactly `size` bytes. */
function graphOf(size: number) {
  const g = (pad: string) => ({ ...tinyGraph(), "3": { class_type: "PrimitiveString", inputs: { value: pad } } });
  return g("x".repeat(size - bytes(g(""))));
}

describe("storedSizeIssue (pure)", () => {
  it("accepts a field at its limit and names the limit one byte past it", () => {
    expect(storedSizeIssue("graph", "x".repeat(STORED_LIMITS.graph))).toBeNull();
    const over = storedSizeIssue("graph", "x".repeat(STORED_LIMITS.graph + 1));
    expect(over?.message).toMatch(/1048576|1 MiB/);
  });

  it("counts UTF-8 bytes, not UTF-16 code units", () => {
    const euros = "€".repeat(Math.floor(STORED_LIMITS.graph / 3) + 1);
    expect(storedSizeIssue("graph", euros)).not.toBeNull();
  });
});

describe("POST /jobs fields bounded below what D1 can store", () => {
  it("accepts a graph of exactly 1 MiB and refuses one byte more with 413, writing nothing", async () => {
    const at = await call("POST", "/jobs", { workflow: graphOf(STORED_LIMITS.graph) });
    expect(at.status).toBe(202);
    const before = await count("jobs");
    const over = await call("POST", "/jobs", { workflow: graphOf(STORED_LIMITS.graph + 1) });
    expect(over.status).toBe(413);
    expect(over.json).toMatchObject({ error: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/workflow.*1048576/) });
    expect(await count("jobs")).toBe(before);
  });

  it("refuses a ~9 MiB graph (under MAX_BODY_BYTES) with 413, not a D1 500", async () => {
    const r = await call("POST", "/jobs", { workflow: graphOf(9 * 1024 * 1024) });
    expect(r.status).toBe(413);
    expect(r.json.error).toBe("PAYLOAD_TOO_LARGE");
  });

  it("bounds a stored workflow's inputs at 256 KiB, and the filled graph at 1 MiB", async () => {
    const id = `wf-${crypto.randomUUID().slice(0, 8)}`;
    const graph = { ...tinyGraph(), "3": { class_type: "PrimitiveString", inputs: { value: "" } } };
    expect((await call("PUT", `/workflows/${id}`, { id, name: "big", graph, inputs: { a: { target: "3.inputs.value" }, b: { target: "3.inputs.value" }, c: { target: "3.inputs.value" } } })).status).toBeLessThan(300);
    // Strings are at most 100 000 characters each; three of them fill the inputs past 256 KiB.
    const s = "x".repeat(100_000);
    const before = await count("jobs");
    const fine = await call("POST", "/jobs", { workflowId: id, inputs: { a: s, b: s } });
    expect(fine.status).toBe(202);
    const over = await call("POST", "/jobs", { workflowId: id, inputs: { a: s, b: s, c: s } });
    expect(over.status).toBe(413);
    expect(over.json.message).toMatch(/inputs.*262144/);
    expect(await count("jobs")).toBe(before + 1);
  });
});

describe("PUT /workflows/:id fields bounded below what D1 can store", () => {
  it("accepts a graph of exactly 1 MiB and refuses one byte more with 413, writing no version", async () => {
    const id = `wf-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call("PUT", `/workflows/${id}`, { id, name: "at", graph: graphOf(STORED_LIMITS.graph) })).status).toBeLessThan(300);
    const versions = await count("workflow_versions");
    const over = await call("PUT", `/workflows/${id}`, { id, name: "over", graph: graphOf(STORED_LIMITS.graph + 1) });
    expect(over.status).toBe(413);
    expect(over.json).toMatchObject({ error: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/graph.*1048576/) });
    expect(await count("workflow_versions")).toBe(versions);
    expect((await call("GET", `/workflows/${id}`)).json).toMatchObject({ name: "at", version: 1 });
  });

  it("refuses input definitions over 256 KiB with 413", async () => {
    const id = `wf-${crypto.randomUUID().slice(0, 8)}`;
    const inputs: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) inputs[`i${i}`] = { target: "1.inputs.color", enum: Array.from({ length: 100 }, (_, j) => `value-${j}`) };
    expect(bytes(inputs)).toBeGreaterThan(STORED_LIMITS.inputs);
    const r = await call("PUT", `/workflows/${id}`, { id, name: "many", graph: tinyGraph(), inputs });
    expect(r.status).toBe(413);
    expect(r.json.message).toMatch(/inputs.*262144/);
    expect((await call("GET", `/workflows/${id}`)).status).toBe(404);
  });
});
