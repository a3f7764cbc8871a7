import { beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/api/openapi";
import { call, tinyGraph } from "../helpers/gateway";
import { ADMIN_KEY, USER_KEY } from "./closed-config";
import { apiKey, bearer, configKeyOwner, createKey, expectAuthFailed, insertDelivery, insertJob, jwtSubOwner, mintJwt, textOutput, type Headers } from "./helpers";
import { bodyFor, ROUTES, type Fixture, type RouteRow } from "./route-table";

/**
 * Security tests written once and run against every route (Unkey's runCommonRouteTests): who gets
 * in, who gets 401 and who gets 403, under / and /v1, for each kind of credential.
 */
type Caller = { user: Headers; admin: Headers; userOwner: string };
const KINDS: Record<string, () => Promise<Caller>> = {
  "config keys": async () => ({ user: apiKey(USER_KEY), admin: apiKey(ADMIN_KEY), userOwner: await configKeyOwner(USER_KEY) }),
  "stored keys": async () => {
    const user = await createKey({ role: "user" });
    const adm = await createKey({ role: "admin" });
    return { user: user.headers, admin: adm.headers, userOwner: user.owner };
  },
  "JWT bearer tokens": async () => {
    const sub = `jwt-user-${crypto.randomUUID()}`;
    return { user: bearer(await mintJwt({ sub })), admin: bearer(await mintJwt({ role: "admin" })), userOwner: jwtSubOwner(sub) };
  },
};

async function fixtureFor(c: Caller): Promise<Fixture> {
  const queued = await call("POST", "/jobs", { workflow: tinyGraph(Math.floor(Math.random() * 1e6)) }, c.user);
  expect(queued.status, queued.text).toBe(202);
  const workflowId = `wf-${crypto.randomUUID().slice(0, 8)}`;
  const wf = await call("PUT", `/workflows/${workflowId}`, { id: workflowId, name: "fixture", graph: tinyGraph() }, c.admin);
  expect(wf.status, wf.text).toBe(201);
  const ownJobId = await insertJob(c.userOwner, { outputs: [textOutput()] });
  return { ownJobId, ownQueuedJobId: queued.json.id, workflowId, ownDeliveryId: await insertDelivery(c.userOwner, ownJobId) };
}

const expectStatus = (got: number, want: number | number[], text: string) => expect([want].flat(), text).toContain(got);
const send = (row: RouteRow, prefix: string, f: Fixture, headers: Headers = {}) => call(row.method, prefix + row.path(f), bodyFor(row, f), headers);

function runCommonRouteTests(row: RouteRow, prefix: string, fixture: () => Fixture) {
  if (row.access === "public") {
    it("needs no credential, and a bad one changes nothing", async () => {
      const anon = await send(row, prefix, fixture());
      const bad = await send(row, prefix, fixture(), apiKey("wrong"));
      expect(anon.status).toBe(row.user);
      expect(bad.status).toBe(row.user);
    });
    return;
  }
  if (row.access === "probe") {
    it("answers a probe without a credential with only { ok, auth }", async () => {
      const r = await send(row, prefix, fixture());
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ ok: true, auth: "required" });
    });
  } else {
    it("refuses a request without a credential: 401 AUTH_FAILED", async () => {
      expectAuthFailed(await send(row, prefix, fixture()), "Authentication required. Provide X-API-Key header or Authorization: Bearer token.");
    });
  }
  it.each([
    { what: "an unknown API key", headers: apiKey("sk-not-a-key"), message: "Invalid API key" },
    { what: "an unknown stored-key-shaped API key", headers: apiKey(`ce_${"A".repeat(43)}`), message: "Invalid API key" },
    { what: "an API key as a bearer token", headers: bearer("sk-not-a-key"), message: "Invalid API key" },
    { what: "a malformed JWT", headers: bearer("a.b.c"), message: "Invalid JWT token" },
  ])("refuses $what: 401", async ({ headers, message }) => {
    expectAuthFailed(await send(row, prefix, fixture(), headers), message);
  });
  it("refuses an expired JWT: 401 JWT token has expired", async () => {
    expectAuthFailed(await send(row, prefix, fixture(), bearer(await mintJwt({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 }))), "JWT token has expired");
  });
}

const covered = new Set(ROUTES.map((r) => `${r.method} ${r.template}`));

describe("the route table", () => {
  it("covers every route in the OpenAPI document", () => {
    const documented = Object.entries(openApiDocument("http://gw.test").paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.filter((r) => !covered.has(r))).toEqual([]);
  });
});

describe.each(["", "/v1"])("every route under '%s'", (prefix) => {
  let anonFixture: Fixture;
  beforeAll(async () => {
    anonFixture = await fixtureFor(await KINDS["config keys"]!());
  });

  describe.each(ROUTES)("$name", (row) => {
    runCommonRouteTests(row, prefix, () => anonFixture);
  });

  describe.each(Object.keys(KINDS))("with %s", (kind) => {
    let caller: Caller;
    let f: Fixture;
    beforeAll(async () => {
      caller = await KINDS[kind]!();
      f = await fixtureFor(caller);
    });

    it.each(ROUTES)("$name: user gets $user, admin gets $admin", async (row) => {
      const asUser = await send(row, prefix, f, caller.user);
      expectStatus(asUser.status, row.user, `user: ${asUser.text}`);
      if (asUser.status === 403 && row.access === "admin") expect(asUser.json).toMatchObject({ error: "FORBIDDEN", message: "Admin role required for this operation" });
      const asAdmin = await send(row, prefix, f, caller.admin);
      expectStatus(asAdmin.status, row.admin, `admin: ${asAdmin.text}`);
    });
  });
});
