import { describe, expect, it } from "vitest";
import { call, tinyGraph } from "../helpers/gateway";

// Requests from ComfyUI Gateway's own document (../shared/seeds/comfyui-gateway-troubleshooting.txt)
// that its users send unchanged. Open mode: the caller is admin. The 403 for a user key is in
// test/auth/routes.security.test.ts (the route table's POST /workflows row).
describe("ComfyUI Gateway's requests", () => {
  it("POST /workflows creates a workflow from a body carrying its id (201), and refuses the same id again (409)", async () => {
    const id = `seed-${crypto.randomUUID().slice(0, 8)}`;
    const created = await call("POST", "/workflows", { id, name: "Seed", graph: tinyGraph(), inputs: { color: { type: "int", target: "1.inputs.color", default: 3 } } });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/workflows/${id}`);
    expect(created.json).toMatchObject({ id, name: "Seed", version: 1 });
    const again = await call("POST", "/workflows", { id, name: "Seed again", graph: tinyGraph() });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: "CONFLICT", message: expect.stringContaining(`PUT /workflows/${id}`) });
    // Nothing of the refused create was written: still version 1 with its first name.
    expect((await call("GET", `/workflows/${id}`)).json).toMatchObject({ name: "Seed", version: 1 });
    // And a job runs it by id, as the document's curl examples do.
    const job = await call("POST", "/jobs", { workflowId: id, inputs: { color: 5 } });
    expect(job.status).toBe(202);
  });

  it("POST /workflows validates like PUT: 400 naming the field", async () => {
    const r = await call("POST", "/workflows", { name: "no id", graph: tinyGraph() });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", message: expect.stringContaining("id") });
  });

  it("GET /jobs?status=queued and ?status=running answer { items, count }", async () => {
    for (const status of ["queued", "running"]) {
      const r = await call("GET", `/jobs?status=${status}`);
      expect(r.status).toBe(200);
      expect(typeof r.json.count).toBe("number");
      expect(r.json.items.every((j: { status: string }) => j.status === status)).toBe(true);
    }
  });

  it("GET /health answers ok and comfyui.reachable", async () => {
    const r = await call("GET", "/health");
    expect(r.status).toBe(200);
    expect(typeof r.json.ok).toBe("boolean");
    expect(typeof r.json.comfyui.reachable).toBe("boolean");
  });
});
