import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/api/openapi";

type Operation = { operationId?: string; responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, unknown> }> };
const operations = () => {
  const doc = openApiDocument("https://gw.example.com");
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods as Record<string, Operation>).map(([method, op]) => ({ path, method, op })));
};

describe("/openapi.json", () => {
  it("gives every operation an operationId, unique across the document, that a client generator can use as a method name", () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(20);
    for (const { path, method, op } of ops) expect(op.operationId, `${method.toUpperCase()} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("documents the output download as a 302 with its Location, and a text output's 200", () => {
    const op = operations().find((o) => o.path === "/jobs/{id}/outputs/{name}" && o.method === "get")!.op;
    expect(op.responses["302"]).toMatchObject({ description: expect.stringMatching(/signed/), headers: { Location: { schema: { type: "string", format: "uri" } } } });
    expect(op.responses["200"]).toMatchObject({ content: { "text/plain": expect.anything() } });
  });
});
