import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { parseWebhookSecret, signatureHeaders, standardSignature, xSignature } from "../../../src/webhooks/sign";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PREVIOUS = "whsec_cHJldmlvdXMtc2VjcmV0LWZvci1yb3RhdGlvbi0wMQ==";
const key = (s: string) => {
  const p = parseWebhookSecret(s);
  if (!p.ok) throw new Error("bad test secret");
  return p.key;
};

describe("parseWebhookSecret", () => {
  it.each([
    { raw: undefined, want: { ok: false, reason: "unset" } },
    { raw: "", want: { ok: false, reason: "unset" } },
    { raw: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", want: { ok: false, reason: "malformed" } },
    { raw: "whsec_", want: { ok: false, reason: "malformed" } },
    { raw: "whsec_not base64!", want: { ok: false, reason: "malformed" } },
    { raw: "whsec_c2hvcnQ=", want: { ok: false, reason: "malformed" } },
    { raw: SECRET, want: { ok: true } },
  ])("$raw", ({ raw, want }) => {
    expect(parseWebhookSecret(raw)).toMatchObject(want);
  });

  it("keeps the secret string for X-Signature and its decoded bytes for Standard Webhooks", () => {
    const k = key(SECRET);
    expect(k.secret).toBe(SECRET);
    expect(k.key).toHaveLength(24);
  });
});

describe("X-Signature", () => {
  it("is sha256= and the lowercase hex HMAC-SHA256 of the raw body, keyed with the secret string", async () => {
    // RFC 4231-style known answer: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
    expect(await xSignature("key", "The quick brown fox jumps over the lazy dog")).toBe("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  });
});

describe("Standard Webhooks signature", () => {
  const body = JSON.stringify({ event: "succeeded", id: "3b4f", note: "ünïcode ✓" });
  const now = Math.floor(Date.now() / 1000);

  it("matches what the standardwebhooks library computes", async () => {
    const ours = await standardSignature(key(SECRET).key, "msg_1", now, body);
    expect(ours).toBe(new Webhook(SECRET).sign("msg_1", new Date(now * 1000), body));
  });

  it("verifies with the standardwebhooks library, with either secret during a rotation", async () => {
    const headers = await signatureHeaders({ current: key(SECRET), previous: key(PREVIOUS), msgId: "msg_2", timestampS: now, body });
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(PREVIOUS).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook("whsec_" + btoa("some-other-secret-entirely")).verify(body, headers)).toThrow(/No matching signature/);
  });

  it("fails verification when the body, the id or the timestamp changes", async () => {
    const headers = await signatureHeaders({ current: key(SECRET), previous: null, msgId: "msg_3", timestampS: now, body });
    const wh = new Webhook(SECRET);
    expect(() => wh.verify(`${body} `, headers)).toThrow();
    expect(() => wh.verify(body, { ...headers, "webhook-id": "msg_4" })).toThrow();
    expect(() => wh.verify(body, { ...headers, "webhook-timestamp": String(now - 1) })).toThrow();
    expect(() => wh.verify(body, { ...headers, "webhook-timestamp": String(now - 3600) })).toThrow(/too old/);
  });

  it("signs X-Signature with the current secret only", async () => {
    const headers = await signatureHeaders({ current: key(SECRET), previous: key(PREVIOUS), msgId: "msg_5", timestampS: now, body });
    expect(headers["x-signature"]).toBe(await xSignature(SECRET, body));
  });

  it("sends id and timestamp but no signature without a secret", async () => {
    expect(await signatureHeaders({ current: null, previous: null, msgId: "msg_6", timestampS: now, body })).toEqual({ "webhook-id": "msg_6", "webhook-timestamp": String(now) });
  });
});
