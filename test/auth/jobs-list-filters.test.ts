import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/gateway";
import { ADMIN_KEY, OTHER_USER_KEY, USER_KEY } from "./closed-config";
import { apiKey, configKeyOwner, insertJob } from "./helpers";

/** GET /jobs ?owner= and ?workflowId= (the console's job filters), and the job's `inputs`. */
const alice = apiKey(USER_KEY);
const root = apiKey(ADMIN_KEY);
let aliceOwner: string;
let bobOwner: string;
let aliceSd15: string;
let aliceGraph: string;
let bobSd15: string;

const ids = (r: { json: { items: { id: string }[] } }) => r.json.items.map((j) => j.id).sort();

beforeAll(async () => {
  aliceOwner = await configKeyOwner(USER_KEY);
  bobOwner = await configKeyOwner(OTHER_USER_KEY);
  const r = await call("POST", "/jobs", { workflowId: "sd15", inputs: { prompt: "a fox <b>", seed: 7 } }, alice);
  expect(r.status, r.text).toBe(202);
  aliceSd15 = r.json.id;
  aliceGraph = await insertJob(aliceOwner);
  bobSd15 = await insertJob(bobOwner);
  await env.DB.prepare("UPDATE jobs SET workflow_id = 'sd15', workflow_version = 1 WHERE id = ?").bind(bobSd15).run();
});

describe("GET /jobs filters", () => {
  it("?workflowId= lists only that stored workflow's jobs", async () => {
    expect(ids(await call("GET", "/jobs?workflowId=sd15&limit=100", undefined, root))).toEqual([aliceSd15, bobSd15].sort());
    expect(ids(await call("GET", "/jobs?workflowId=sd15", undefined, alice))).toEqual([aliceSd15]);
    expect(ids(await call("GET", "/jobs?workflowId=flux", undefined, root))).toEqual([]);
  });

  it("?owner= narrows an admin's list to one owner, and never widens a user's", async () => {
    expect(ids(await call("GET", `/jobs?owner=${encodeURIComponent(bobOwner)}&limit=100`, undefined, root))).toEqual([bobSd15]);
    const aliceAll = ids(await call("GET", `/jobs?owner=${encodeURIComponent(aliceOwner)}&limit=100`, undefined, root));
    expect(aliceAll).toEqual(expect.arrayContaining([aliceSd15, aliceGraph]));
    expect(aliceAll).not.toContain(bobSd15);
    // A user asking for someone else's jobs gets none of them (its own scope still applies).
    expect(ids(await call("GET", `/jobs?owner=${encodeURIComponent(bobOwner)}`, undefined, alice))).toEqual([]);
  });

  it("refuses an empty or oversized filter: 400", async () => {
    expect((await call("GET", "/jobs?workflowId=", undefined, root)).status).toBe(400);
    expect((await call("GET", `/jobs?owner=${"x".repeat(2049)}`, undefined, root)).status).toBe(400);
  });
});

describe("the job's inputs", () => {
  it("are the named inputs as submitted; null for a raw graph", async () => {
    expect((await call("GET", `/jobs/${aliceSd15}`, undefined, alice)).json.inputs).toEqual({ prompt: "a fox <b>", seed: 7 });
    expect((await call("GET", `/jobs/${aliceGraph}`, undefined, alice)).json.inputs).toBeNull();
  });
});
