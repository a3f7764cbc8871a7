import { describe, expect, it } from "vitest";
import { checkOutboundUrl, parseIpv6 } from "../../../src/lib/ssrf";

const closed = { allowPrivate: false };
const dev = { allowPrivate: true };

describe("checkOutboundUrl refuses every spelling of a private, loopback, link-local or metadata address", () => {
  it.each([
    // loopback, in every IPv4 spelling the URL parser (and so fetch) accepts
    "https://127.0.0.1/",
    "https://127.0.0.1./",
    "https://127.255.255.254/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0x7F.0x0.0x0.0x1/",
    "https://0177.0.0.1/",
    "https://0177.0000.0000.0001/",
    "https://127.1/",
    "https://0x7f.1/",
    "https://%31%32%37.0.0.1/",
    "https://１２７.０.０.１/",
    // IPv6 loopback and IPv4 inside IPv6
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[0:0:0:0:0:ffff:7f00:1]/",
    "https://[::127.0.0.1]/",
    "https://[64:ff9b::7f00:1]/",
    "https://[2002:7f00:1::]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[::ffff:10.0.0.1]/",
    // names that mean this machine or its network
    "https://localhost/",
    "https://LOCALHOST/",
    "https://localhost./",
    "https://localhost:8443/hook",
    "https://api.localhost/",
    "https://intranet/",
    "https://printer.local/",
    "https://db.internal/",
    "https://router.home.arpa/",
    "https://127.0.0.1.nip.io/",
    "https://app.localtest.me/",
    // this network, cloud metadata
    "https://0.0.0.0/",
    "https://0/",
    "https://169.254.169.254/latest/meta-data/",
    "https://2852039166/",
    "https://0251.0376.0251.0376/",
    "https://169.254.43518/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://metadata.google.internal./",
    "https://100.100.100.200/",
    "https://192.0.0.192/",
    "https://[fd00:ec2::254]/",
    // private ranges, at their edges
    "https://10.0.0.1/",
    "https://10.255.255.255/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.168.0.1/",
    "https://192.168.255.255/",
    "https://100.64.0.1/",
    "https://100.127.255.255/",
    "https://[fc00::1]/",
    "https://[fdff:ffff::1]/",
    "https://[fe80::1]/",
    "https://[febf:ffff::1]/",
    // multicast, broadcast, reserved, documentation
    "https://224.0.0.1/",
    "https://239.255.255.250/",
    "https://255.255.255.255/",
    "https://240.0.0.1/",
    "https://192.0.2.10/",
    "https://198.18.0.1/",
    "https://[ff02::1]/",
    "https://[2001:db8::1]/",
    "https://[2001::1]/",
  ])("%s", (url) => {
    const v = checkOutboundUrl(url, closed);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(/^host ".+" is (a private, loopback, link-local or reserved address|a local)/);
  });
});

describe("checkOutboundUrl lets public https hosts through", () => {
  it.each([
    "https://example.com/hook",
    "https://hooks.example.com:8443/x?y=1#z",
    "https://8.8.8.8/",
    "https://1.1.1.1/",
    "https://172.15.255.255/",
    "https://172.32.0.1/",
    "https://100.63.255.255/",
    "https://100.128.0.1/",
    "https://192.169.0.1/",
    "https://169.255.0.1/",
    "https://[2606:4700:4700::1111]/",
    "https://[::ffff:8.8.8.8]/",
    "https://xn--bcher-kva.de/",
  ])("%s", (url) => {
    expect(checkOutboundUrl(url, closed)).toMatchObject({ ok: true });
  });
});

describe("checkOutboundUrl other refusals", () => {
  it.each([
    { url: "http://example.com/hook", reason: "must use https" },
    { url: "ftp://example.com/", reason: "must use https" },
    { url: "javascript:alert(1)", reason: "must use https" },
    { url: "not a url", reason: "must be an absolute URL such as https://example.com/hook" },
    { url: "/relative/path", reason: "must be an absolute URL such as https://example.com/hook" },
    { url: "https://user:secret@example.com/", reason: "must not contain a username or password" },
    { url: "https://user@example.com/", reason: "must not contain a username or password" },
  ])("$url: $reason", ({ url, reason }) => {
    expect(checkOutboundUrl(url, closed)).toEqual({ ok: false, reason });
  });
});

describe("ALLOW_PRIVATE_URLS (development only)", () => {
  it.each(["http://127.0.0.1:8080/hook", "https://localhost/", "http://[::1]:9000/", "http://10.0.0.5/"])("lets %s through", (url) => {
    expect(checkOutboundUrl(url, dev)).toMatchObject({ ok: true });
  });

  it.each([
    { url: "ftp://127.0.0.1/", reason: "must use http or https" },
    { url: "http://a:b@127.0.0.1/", reason: "must not contain a username or password" },
  ])("still refuses $url", ({ url, reason }) => {
    expect(checkOutboundUrl(url, dev)).toEqual({ ok: false, reason });
  });
});

describe("parseIpv6", () => {
  it.each([
    { s: "::1", want: [0, 0, 0, 0, 0, 0, 0, 1] },
    { s: "::", want: [0, 0, 0, 0, 0, 0, 0, 0] },
    { s: "::ffff:127.0.0.1", want: [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1] },
    { s: "1:2:3:4:5:6:1.2.3.4", want: [1, 2, 3, 4, 5, 6, 0x102, 0x304] },
    { s: "fe80::1:2", want: [0xfe80, 0, 0, 0, 0, 0, 1, 2] },
    { s: "1::2::3", want: null },
    { s: "1:2:3:4:5:6:7", want: null },
    { s: "fe80::1%eth0", want: null },
    { s: "12345::", want: null },
  ])("$s", ({ s, want }) => {
    expect(parseIpv6(s)).toEqual(want);
  });
});
