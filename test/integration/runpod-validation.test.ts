import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, tinyGraph } from "../helpers/gateway";

/** The RunPod facade refuses a bad request at once, in our envelope, with worker-comfyui's message where it has one. */
const RUN = "/runpod/v2/validation-ep/run";
const jobsAt = async (endpointId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE endpoint_id = ?").bind(endpointId).first<{ n: number }>())!.n;

describe("POST /runpod/v2/:endpointId/run validation", () => {
  it.each([
    { what: "no input", body: { webhook: "https://hooks.example.com/x" }, message: "Please provide input" },
    { what: "input that is a string but not JSON", body: { input: "{not json" }, message: "Invalid JSON format in input" },
    { what: "input without a workflow", body: { input: { images: [] } }, message: "Missing 'workflow' parameter" },
    { what: "images that are not a list", body: { input: { workflow: tinyGraph(), images: "a.png" } }, message: "'images' must be a list of objects with 'name' and 'image' keys" },
    { what: "an image without its bytes", body: { input: { workflow: tinyGraph(), images: [{ name: "a.png" }] } }, message: "'images' must be a list of objects with 'name' and 'image' keys" },
    { what: "an empty workflow", body: { input: { workflow: {} } }, message: "Invalid request body: input.workflow: workflow must have at least one node" },
    { what: "a node without class_type", body: { input: { workflow: { "1": { inputs: {} } } } }, message: /^Invalid request body: input\.workflow\.1\.class_type: / },
    { what: "an image whose bytes are no image", body: { input: { workflow: tinyGraph(), images: [{ name: "x.png", image: "AAAA" }] } }, message: "Invalid request body: input.images.0.image: is not an image, video or audio file" },
    { what: "a webhook that is not a string", body: { input: { workflow: tinyGraph() }, webhook: 7 }, message: /^Invalid request body: webhook: / },
    { what: "a body that is a list", body: [], message: /^Invalid request body: send a JSON object/ },
  ])("refuses $what: 400 VALIDATION_FAILED", async ({ body, message }) => {
    const r = await call("POST", RUN, body);
    expect(r.status, r.text).toBe(400);
    expect(r.json).toMatchObject({ error: "VALIDATION_FAILED", requestId: expect.any(String) });
    if (typeof message === "string") expect(r.json.message).toBe(message);
    else expect(r.json.message).toMatch(message);
  });

  it("refuses a webhook our callback rules refuse, before writing anything", async () => {
    const r = await call("POST", "/runpod/v2/hook-ep/run", { input: { workflow: tinyGraph() }, webhook: "ftp://hooks.example.com/x" });
    expect(r.status, r.text).toBe(400);
    expect(await jobsAt("hook-ep")).toBe(0);
  });

  it("answers malformed JSON and a non-JSON body in the envelope, never a 500", async () => {
    expect(await call("POST", RUN, "{nope")).toMatchObject({ status: 400, json: { error: "VALIDATION_FAILED", message: "Request body is not valid JSON" } });
    expect(await call("POST", RUN, "input=1", { "content-type": "text/plain" })).toMatchObject({ status: 415, json: { error: "UNSUPPORTED_MEDIA_TYPE" } });
  });

  it("writes no job for a refused request", async () => {
    await call("POST", "/runpod/v2/empty-ep/run", { input: {} });
    expect(await jobsAt("empty-ep")).toBe(0);
  });
});

describe("the other RunPod routes refuse bad input", () => {
  it.each([
    ["an endpoint id with spaces", "GET", "/runpod/v2/bad%20id/health", 404],
    ["an endpoint id too long", "GET", `/runpod/v2/${"e".repeat(65)}/health`, 404],
    ["a job id that is not a UUID", "GET", "/runpod/v2/ep/status/not-a-job", 404],
    ["an unknown job", "GET", "/runpod/v2/ep/status/00000000-0000-4000-8000-000000000000", 404],
    ["an unknown job to cancel", "POST", "/runpod/v2/ep/cancel/00000000-0000-4000-8000-000000000000", 404],
    ["a negative wait", "GET", "/runpod/v2/ep/status-sync/00000000-0000-4000-8000-000000000000?wait=-1", 400],
    ["a wait that is not a number", "POST", "/runpod/v2/ep/runsync?wait=soon", 400],
    ["a wait over 300000 ms", "GET", "/runpod/v2/ep/stream/00000000-0000-4000-8000-000000000000?wait=300001", 400],
  ] as const)("%s: %s %s → %i", async (_what, method, path, status) => {
    const r = await call(method, path, method === "POST" ? { input: { workflow: tinyGraph() } } : undefined);
    expect(r.status, r.text).toBe(status);
    expect(r.json).toMatchObject({ error: status === 404 ? "NOT_FOUND" : "VALIDATION_FAILED" });
  });
});
