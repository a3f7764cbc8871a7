import { describe, expect, it } from "vitest";
import { DEV_STATE_FILE, findGateway, keyFromDevVars, oneLine, unreachableMessage } from "../../scripts/lib/gateway";

/** How `npm run try` finds the gateway `npm run dev` started, and what it says when nothing answers. */
const alive = () => true;
const dead = () => false;
const state = { url: "http://127.0.0.1:8811", pid: 4242 };

describe("findGateway", () => {
  it.each([
    { name: "GATEWAY_URL wins over everything", env: { GATEWAY_URL: "https://gw.example.com/", PORT: "9000" }, state, alive, want: { url: "https://gw.example.com", from: "GATEWAY_URL" } },
    { name: "PORT wins over the dev state file", env: { PORT: "9000" }, state, alive, want: { url: "http://127.0.0.1:9000", from: "PORT" } },
    { name: "the port `npm run dev` chose, from its state file", env: {}, state, alive, want: { url: "http://127.0.0.1:8811", from: DEV_STATE_FILE } },
    { name: "a state file left by a dev that is gone is ignored", env: {}, state, alive: dead, want: { url: "http://127.0.0.1:8787", from: "default" } },
    { name: "no state file: the default port", env: {}, state: undefined, alive, want: { url: "http://127.0.0.1:8787", from: "default" } },
    { name: "an empty GATEWAY_URL or PORT counts as unset", env: { GATEWAY_URL: "", PORT: " " }, state: undefined, alive, want: { url: "http://127.0.0.1:8787", from: "default" } },
  ])("$name", ({ env, state, alive, want }) => {
    expect(findGateway(env, state, alive)).toEqual(want);
  });

  it("refuses a GATEWAY_URL that is not an http(s) URL, or a PORT that is not a port, with one line", () => {
    expect(() => findGateway({ GATEWAY_URL: "localhost:8787" }, undefined, alive)).toThrow(/^GATEWAY_URL must be an http\(s\) URL/);
    expect(() => findGateway({ PORT: "eighty" }, undefined, alive)).toThrow(/^PORT must be a port number/);
  });
});

describe("unreachableMessage", () => {
  it("names the URL, where it came from, and what to do, in one line", () => {
    const m = unreachableMessage({ url: "http://127.0.0.1:8787", from: "default" });
    expect(m).toBe("No gateway answers at http://127.0.0.1:8787 (the default port). Start one with `npm run dev`, or set GATEWAY_URL (or PORT) to where it runs.");
    expect(unreachableMessage({ url: "http://127.0.0.1:9000", from: "PORT" })).toContain("(from PORT)");
    expect(m).not.toContain("\n");
  });
});

describe("keyFromDevVars", () => {
  const vars = 'LOG_LEVEL=debug\nAPI_KEYS="user-key-1:user, admin-key-1:admin,admin-key-2:admin"\n';
  it.each([
    { name: "the first admin key", role: "admin" as const, text: vars, want: "admin-key-1" },
    { name: "any key for a user call: the first", role: "any" as const, text: vars, want: "user-key-1" },
    { name: "a key without a role counts as a user key", role: "any" as const, text: "API_KEYS=plain-key", want: "plain-key" },
    { name: "no admin key", role: "admin" as const, text: "API_KEYS=u:user", want: undefined },
    { name: "no API_KEYS", role: "any" as const, text: "LOG_LEVEL=debug", want: undefined },
  ])("$name", ({ role, text, want }) => {
    expect(keyFromDevVars(text, role)).toBe(want);
  });
});

describe("oneLine", () => {
  it("turns a refused connection into its code, never a stack trace", () => {
    const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8787"), { code: "ECONNREFUSED" }) });
    expect(oneLine(refused)).toBe("fetch failed (ECONNREFUSED)");
    expect(oneLine(new Error("job ended failed"))).toBe("job ended failed");
  });
});
