import { describe, expect, it } from "vitest";
import { configKeyOwner, jwtOwner, legacyJwtOwner, OPEN_OWNER, storedKeyOwner } from "../../src/auth/owner";

/**
 * Owner ids carry their source, and a JWT's part is built so that no `iss`/`sub` pair, whatever
 * characters it holds, spells another pair's id or an id of another source.
 */
describe("owner ids", () => {
  const digest = "0123456789abcdef".repeat(4);
  const keyId = "5b0e7c1e-8f0a-4d3c-9a55-2f1d3b4c5d6e";

  it("name their source", () => {
    expect(OPEN_OWNER).toBe("open:anonymous");
    expect(configKeyOwner(digest)).toBe("cfg:0123456789abcdef");
    expect(storedKeyOwner(keyId)).toBe(`key:${keyId}`);
    expect(jwtOwner("https://idp.example", "alice")).toBe("jwt:https%3A//idp.example:alice");
    expect(jwtOwner(undefined, "alice")).toBe("jwt:-:alice");
  });

  const others = [OPEN_OWNER, configKeyOwner(digest), storedKeyOwner(keyId), "anonymous", `key_${digest.slice(0, 16)}`, keyId];
  const subs = ["anonymous", "open:anonymous", `key_${digest.slice(0, 16)}`, `cfg:${digest.slice(0, 16)}`, `key:${keyId}`, keyId, "a:b", ":", "", "jwt:-:alice", "%3A", "-"];
  const issuers = [undefined, "", "-", "?", "a", "a:b", "a%3Ab", "a%b", "https://idp.example", "jwt:x", "%2D", "%3F"];

  it("a JWT never spells an owner of another source, nor the old ids, whatever its iss and sub", () => {
    for (const iss of issuers) for (const sub of subs) {
      const id = jwtOwner(iss, sub);
      expect(id.startsWith("jwt:"), `${iss} ${sub}`).toBe(true);
      expect(others, `${iss} ${sub}`).not.toContain(id);
    }
  });

  it("different (iss, sub) pairs never share an id, and none is a row the migration left without an issuer", () => {
    const seen = new Map<string, string>();
    for (const iss of issuers) for (const sub of [...subs, "b", "b:c", "a:b:c", "c"]) {
      const id = jwtOwner(iss, sub);
      const pair = JSON.stringify([iss ?? null, sub]);
      expect(seen.get(id) ?? pair, id).toBe(pair);
      seen.set(id, pair);
      expect(id, pair).not.toBe(legacyJwtOwner(sub));
    }
    expect(jwtOwner("a", "b:c")).not.toBe(jwtOwner("a:b", "c"));
    expect(jwtOwner(undefined, "x")).not.toBe(jwtOwner("-", "x"));
  });
});
