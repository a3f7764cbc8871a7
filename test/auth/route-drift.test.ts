import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { openApiDocument } from "../../src/api/openapi";
import { ROUTES } from "./route-table";

/**
 * The routes the app really serves, against the OpenAPI document and the security route table: a
 * route added without its documentation, or documented without existing, fails here (the route
 * table's own test then covers who may call it).
 */
const served = () => {
  const seen = new Set<string>();
  for (const r of createApp().routes) {
    if (r.method === "ALL") continue; // middleware
    const path = r.path.replace(/^\/v1(?=\/)/, "").replace(/:(\w+)/g, "{$1}");
    seen.add(`${r.method} ${path}`);
  }
  return seen;
};

describe("routes, their documentation and their access rules agree", () => {
  const doc = openApiDocument("http://gw.test");
  const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
  // A `*` row is named by its method and path (`GET /preview/:id`, `GET /admin (console page)`).
  const undocumented = new Set(ROUTES.filter((r) => r.template === "*").map((r) => r.name.replace(/ \(.*\)$/, "").replace(/:(\w+)/g, "{$1}")));

  it("reads the app's own routing table", () => {
    const all = served();
    expect(all).toContain("POST /jobs");
    expect(all).toContain("GET /jobs/{id}/outputs/{name}");
    expect(all.size).toBeGreaterThanOrEqual(documented.size);
  });

  it("documents every route the app serves (or lists it in the route table as undocumented on purpose)", () => {
    // A `*` row names a route by its path; `GET /files/…` stands for the signed download routes.
    const missing = [...served()].filter((r) => !documented.has(r) && !undocumented.has(r) && !(r.startsWith("GET /files/") || r.startsWith("HEAD /files/")));
    expect(missing).toEqual([]);
  });

  it("serves every documented route", () => {
    const all = served();
    expect([...documented].filter((r) => !all.has(r))).toEqual([]);
  });

  it("has a route-table row for every documented route", () => {
    const rows = new Set(ROUTES.map((r) => `${r.method} ${r.template}`));
    expect([...documented].filter((r) => !rows.has(r))).toEqual([]);
  });
});
