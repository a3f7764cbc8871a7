import { describe, expect, it } from "vitest";
import { presignR2 } from "../../src/storage/signed-url";
import { amzDateMs, expectedSignature } from "../helpers/sigv4";

const creds = { accountId: "0123456789abcdef0123456789abcdef", accessKeyId: "AKIDEXAMPLE0123", secretAccessKey: "secret/with+chars=EXAMPLEKEY", bucket: "comfy-edge-outputs" };
const key = "outputs/11111111-1111-4111-8111-111111111111/my image (2).png";
const now = Date.UTC(2026, 11, 5, 14, 3, 9, 456);

describe("the SigV4 checker these tests rely on", () => {
  it("reproduces AWS's published presigned-URL example", async () => {
    // docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
    const url = new URL(
      "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host",
    );
    expect(await expectedSignature(url, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3")).toBe("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  });
});

describe("R2 presigned download links", () => {
  it("point at the bucket's object on the account's R2 endpoint, signed for GET with the configured key", async () => {
    const link = await presignR2(creds, key, 900, now);
    const u = new URL(link.url);
    expect(u.protocol).toBe("https:");
    expect(u.host).toBe(`${creds.accountId}.r2.cloudflarestorage.com`);
    expect(decodeURIComponent(u.pathname)).toBe(`/${creds.bucket}/${key}`);
    expect([...u.searchParams.keys()].sort()).toEqual(["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature", "X-Amz-SignedHeaders"]);
    expect(u.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(u.searchParams.get("X-Amz-Credential")).toBe(`${creds.accessKeyId}/20261205/auto/s3/aws4_request`);
    expect(u.searchParams.get("X-Amz-Date")).toBe("20261205T140309Z");
    expect(u.searchParams.get("X-Amz-SignedHeaders")).toBe("host");
    expect(u.searchParams.get("X-Amz-Expires")).toBe("900");
    expect(u.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(u.searchParams.get("X-Amz-Signature")).toBe(await expectedSignature(u, creds.secretAccessKey, "auto", "s3"));
    expect(link.expiresAtMs).toBe(now + 900_000);
  });

  it("signs nothing another secret, key or expiry would verify", async () => {
    const u = new URL((await presignR2(creds, key, 900, now)).url);
    const sig = u.searchParams.get("X-Amz-Signature");
    expect(await expectedSignature(u, "another-secret", "auto", "s3")).not.toBe(sig);
    const otherKey = new URL(u);
    otherKey.pathname = otherKey.pathname.replace("my%20image", "your%20image");
    expect(await expectedSignature(otherKey, creds.secretAccessKey, "auto", "s3")).not.toBe(sig);
    const longer = new URL(u);
    longer.searchParams.set("X-Amz-Expires", "604800");
    expect(await expectedSignature(longer, creds.secretAccessKey, "auto", "s3")).not.toBe(sig);
  });

  it("expires after the configured TTL, counted from the signing time", async () => {
    const link = await presignR2(creds, key, 3600, now);
    const u = new URL(link.url);
    const signedAt = amzDateMs(u.searchParams.get("X-Amz-Date")!);
    expect(signedAt + Number(u.searchParams.get("X-Amz-Expires")) * 1000).toBe(Math.floor(now / 1000) * 1000 + 3_600_000);
    expect(Math.abs(link.expiresAtMs - (signedAt + 3_600_000))).toBeLessThan(1000);
  });
});
