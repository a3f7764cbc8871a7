import { describe, expect, it } from "vitest";
import { call, tinyGraph } from "../helpers/gateway";
import { admin, createKey, insertJob } from "./helpers";
import { TINY_PNG_BASE64 } from "./route-table";

const loadGraph = (name: string) => ({
  "1": { class_type: "LoadImage", inputs: { image: name } },
  "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "own" } },
});

describe("uploads, deletes and capabilities are owner-scoped", () => {
  it("lets only the uploader (or an admin) use an upload", async () => {
    const alice = await createKey({ role: "user" });
    const bob = await createKey({ role: "user" });
    const up = await call("POST", "/uploads", { name: "a.png", image: TINY_PNG_BASE64 }, alice.headers);
    expect(up.status, up.text).toBe(201);
    const body = { workflow: loadGraph("a.png"), images: [{ name: "a.png", upload: up.json.id }] };
    const theirs = await call("POST", "/jobs", body, bob.headers);
    expect(theirs).toMatchObject({ status: 400, json: { details: { issues: [{ path: "images.0.upload", message: `upload "${up.json.id}" does not exist` }] } } });
    for (const who of [alice.headers, admin]) {
      const r = await call("POST", "/jobs", body, who);
      expect(r.status, r.text).toBe(202);
      await call("POST", `/jobs/${r.json.id}/cancel`, undefined, who);
    }
  });

  it("shows and deletes an upload for its owner (or an admin) only; to anyone else it does not exist", async () => {
    const alice = await createKey({ role: "user" });
    const bob = await createKey({ role: "user" });
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const up = await call("POST", "/uploads", { name: "a.png", image: TINY_PNG_BASE64 }, alice.headers);
      expect(up.status, up.text).toBe(201);
      ids.push(up.json.id as string);
    }
    const [mine, another] = ids;
    expect((await call("GET", `/uploads/${mine}`, undefined, bob.headers)).status).toBe(404);
    expect((await call("DELETE", `/uploads/${mine}`, undefined, bob.headers)).status).toBe(404);
    for (const who of [alice.headers, admin]) {
      const r = await call("GET", `/uploads/${mine}`, undefined, who);
      expect(r.json).toEqual({ id: mine, name: "a.png", contentType: "image/png", bytes: expect.any(Number), createdAt: expect.any(String) });
    }
    expect((await call("DELETE", `/uploads/${mine}`, undefined, alice.headers)).status).toBe(204);
    expect((await call("GET", `/uploads/${mine}`, undefined, alice.headers)).status).toBe(404);
    expect((await call("DELETE", `/uploads/${another}`, undefined, admin)).status).toBe(204);
  });

  it("lets only the owner (or an admin) delete a finished job; to anyone else it does not exist", async () => {
    const alice = await createKey({ role: "user" });
    const bob = await createKey({ role: "user" });
    const mine = await insertJob(alice.owner);
    expect((await call("DELETE", `/jobs/${mine}`, undefined, bob.headers)).status).toBe(404);
    expect((await call("DELETE", `/jobs/${mine}`, undefined, alice.headers)).status).toBe(204);
    const another = await insertJob(alice.owner);
    expect((await call("DELETE", `/jobs/${another}`, undefined, admin)).status).toBe(204);
  });

  it("shows which host has which models to admins only", async () => {
    const user = await createKey({ role: "user" });
    const u = await call("GET", "/capabilities", undefined, user.headers);
    expect(u.status).toBe(200);
    expect(u.json).not.toHaveProperty("hosts");
    expect(u.json).toHaveProperty("models");
    const a = await call("GET", "/capabilities", undefined, admin);
    expect(a.json).toHaveProperty("hosts");
  });

  it("never returns a job's Comfy.org key, not even to an admin", async () => {
    const user = await createKey({ role: "user" });
    const key = `comfyui-${crypto.randomUUID()}`;
    const r = await call("POST", "/jobs", { workflow: tinyGraph(Math.floor(Math.random() * 1e6)), comfyOrgApiKey: key }, user.headers);
    expect(r.status).toBe(202);
    for (const who of [user.headers, admin]) {
      expect((await call("GET", `/jobs/${r.json.id}`, undefined, who)).text).not.toContain(key);
      expect((await call("GET", "/jobs", undefined, who)).text).not.toContain(key);
    }
    await call("POST", `/jobs/${r.json.id}/cancel`, undefined, user.headers);
  });
});
