import { describe, expect, it } from "vitest";
import { keyDigest, matchConfiguredKey, newKeySecret, parseApiKeys, STORED_KEY_PREFIX, type ConfiguredDigest } from "../../src/auth/api-keys";
import { configKeyOwner } from "../../src/auth/owner";
import { canSee, hasRole, ownerScope } from "../../src/auth/roles";
import { timingSafeEqualStr } from "../../src/lib/bytes";

describe("timingSafeEqualStr", () => {
  it.each([
    ["abc", "abc", true],
    ["abc", "abd", false],
    ["abc", "ab", false],
    ["ab", "abc", false],
    ["", "", true],
    ["", "a", false],
    ["é", "e", false],
    ["a".repeat(64), "a".repeat(64), true],
  ])("%j vs %j → %s", (a, b, want) => {
    expect(timingSafeEqualStr(a, b)).toBe(want);
  });
});

describe("parseApiKeys", () => {
  it.each([
    { raw: undefined, want: [] },
    { raw: "", want: [] },
    { raw: "k1:admin,k2:user", want: [{ key: "k1", role: "admin" }, { key: "k2", role: "user" }] },
    { raw: " k1:admin , k2 ", want: [{ key: "k1", role: "admin" }, { key: "k2", role: "user" }] },
    { raw: "with:colon:admin", want: [{ key: "with:colon", role: "admin" }] },
    { raw: "k1:Admin,k2:USER", want: [{ key: "k1", role: "admin" }, { key: "k2", role: "user" }] },
    { raw: "k:root", want: [{ key: "k:root", role: "user" }] },
    { raw: ":admin,,", want: [{ key: ":admin", role: "user" }] },
  ])("$raw", ({ raw, want }) => {
    expect(parseApiKeys(raw)).toEqual(want);
  });
});

describe("matching a presented key", () => {
  const keys: ConfiguredDigest[] = ["a", "b", "c"].map((d) => ({ digest: d.repeat(64), role: "user", id: configKeyOwner(d.repeat(64)) }));

  it("goes through the constant-time compare, against every configured key even after a match", () => {
    const calls: string[] = [];
    const spy = (x: string, y: string) => {
      calls.push(y);
      return timingSafeEqualStr(x, y);
    };
    expect(matchConfiguredKey("a".repeat(64), keys, spy)?.digest).toBe("a".repeat(64));
    expect(calls).toEqual(keys.map((k) => k.digest));
    calls.length = 0;
    expect(matchConfiguredKey("z".repeat(64), keys, spy)).toBeNull();
    expect(calls).toHaveLength(3);
  });

  it("uses timingSafeEqualStr when no compare is given", () => {
    expect(matchConfiguredKey("b".repeat(64), keys)?.id).toBe(configKeyOwner("b".repeat(64)));
  });

  it("derives the owner id from the key's digest, never the key", async () => {
    const id = configKeyOwner(await keyDigest("my-secret-key"));
    expect(id).toMatch(/^cfg:[0-9a-f]{16}$/);
    expect(id).not.toContain("my-secret");
  });
});

describe("newKeySecret", () => {
  it("is 256 random bits behind a recognisable prefix, and shows only a short prefix", () => {
    const a = newKeySecret();
    const b = newKeySecret();
    expect(a.secret).toMatch(new RegExp(`^${STORED_KEY_PREFIX}[A-Za-z0-9_-]{43}$`));
    expect(a.secret).not.toBe(b.secret);
    expect(a.secret.startsWith(a.prefix)).toBe(true);
    expect(a.prefix.length).toBe(STORED_KEY_PREFIX.length + 8);
  });
});

describe("roles", () => {
  const user = { id: "u1", role: "user" as const };
  const admin = { id: "a1", role: "admin" as const };
  it.each([
    [user, "user", true],
    [user, "admin", false],
    [admin, "user", true],
    [admin, "admin", true],
  ] as const)("%j has role %s: %s", (who, role, want) => {
    expect(hasRole(who, role)).toBe(want);
  });
  it.each([
    [user, "u1", true],
    [user, "u2", false],
    [admin, "u2", true],
  ] as const)("%j sees what %s owns: %s", (who, owner, want) => {
    expect(canSee(who, owner)).toBe(want);
  });
  it("limits a user's lists to its own, an admin's to nobody's in particular", () => {
    expect(ownerScope(user)).toBe("u1");
    expect(ownerScope(admin)).toBeUndefined();
  });
});
