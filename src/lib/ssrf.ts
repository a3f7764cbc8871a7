/**
 * Whether the gateway may send a request to a URL: https only, and never to a private, loopback,
 * link-local, metadata or otherwise non-public address.
 *
 * The URL is judged as the runtime's own WHATWG parser spells it, which is the spelling fetch()
 * connects to: the parser has already turned decimal, hex, octal and short IPv4 forms
 * ("2130706433", "0x7f000001", "0177.0.0.1", "127.1"), percent-escapes and full-width digits into
 * a dotted quad, and IPv4-mapped IPv6 into compressed hex ("[::ffff:7f00:1]"). So every spelling
 * of an address meets the same range check.
 *
 * Names are judged as names: workerd cannot resolve DNS, so a public name whose DNS answer is a
 * private address is not caught here. In production the request leaves from Cloudflare's network,
 * which has no route into the deployment's private networks; this check is the gateway's own layer.
 */
export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

export type SsrfOptions = {
  /** Development only (ALLOW_PRIVATE_URLS): lets http and private or loopback receivers through. */
  allowPrivate: boolean;
};

export function checkOutboundUrl(raw: string, opts: SsrfOptions): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "must be an absolute URL such as https://example.com/hook" };
  }
  if (url.protocol !== "https:" && !(opts.allowPrivate && url.protocol === "http:")) {
    return { ok: false, reason: opts.allowPrivate ? "must use http or https" : "must use https" };
  }
  // fetch() refuses URLs with credentials anyway; saying so here gives a clear message at submission.
  if (url.username || url.password) return { ok: false, reason: "must not contain a username or password" };
  if (opts.allowPrivate) return { ok: true, url };
  const why = nonPublicHost(url.hostname);
  return why ? { ok: false, reason: `host "${url.hostname}" is ${why}` } : { ok: true, url };
}

/** Why a hostname (as the URL parser spells it) is not a public internet host, or null when it is. */
export function nonPublicHost(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host.startsWith("[")) {
    const groups = parseIpv6(host.slice(1, -1));
    if (!groups) return "not a valid IPv6 address";
    return ipv6Blocked(groups) ? "a private, loopback, link-local or reserved address" : null;
  }
  const v4 = parseIpv4(host);
  if (v4 !== null) return ipv4Blocked(v4) ? "a private, loopback, link-local or reserved address" : null;
  if (!host.includes(".")) return "a local name (a single label resolves inside the network, not on the internet)";
  const tld = LOCAL_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
  if (tld) return `a local or internal name (".${tld}")`;
  return null;
}

/** Suffixes that never name a public host: special-use names, private-use TLDs, and public names that resolve to loopback. */
const LOCAL_SUFFIXES = [
  "localhost", "local", "localdomain", "internal", "intranet", "lan", "home", "corp", "private", "home.arpa",
  "in-addr.arpa", "ip6.arpa", "invalid", "test", "example", "onion",
  // Public wildcard DNS that answers with loopback or with whatever address is spelled into the name.
  "localtest.me", "lvh.me", "nip.io", "sslip.io", "xip.io", "traefik.me",
];

// ---------------------------------------------------------------------------------------------
// IPv4

/** A dotted quad as a 32-bit number; anything else (the parser leaves only dotted quads) is null. */
export function parseIpv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

const cidr4 = (a: number, b: number, c: number, d: number, bits: number) => ({ base: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, bits });

/** IANA special-purpose IPv4 ranges that are not globally reachable, plus multicast and reserved space. */
const BLOCKED_V4 = [
  cidr4(0, 0, 0, 0, 8), // "this network", 0.0.0.0
  cidr4(10, 0, 0, 0, 8),
  cidr4(100, 64, 0, 0, 10), // carrier-grade NAT (and Alibaba's metadata at 100.100.100.200)
  cidr4(127, 0, 0, 0, 8),
  cidr4(169, 254, 0, 0, 16), // link-local, cloud metadata at 169.254.169.254
  cidr4(172, 16, 0, 0, 12),
  cidr4(192, 0, 0, 0, 24), // IETF protocol assignments (Oracle's metadata at 192.0.0.192)
  cidr4(192, 0, 2, 0, 24),
  cidr4(192, 88, 99, 0, 24),
  cidr4(192, 168, 0, 0, 16),
  cidr4(198, 18, 0, 0, 15),
  cidr4(198, 51, 100, 0, 24),
  cidr4(203, 0, 113, 0, 24),
  cidr4(224, 0, 0, 0, 4), // multicast
  cidr4(240, 0, 0, 0, 4), // reserved, and 255.255.255.255
];

export function ipv4Blocked(ip: number): boolean {
  return BLOCKED_V4.some(({ base, bits }) => (bits === 0 ? true : ip >>> (32 - bits) === base >>> (32 - bits)));
}

// ---------------------------------------------------------------------------------------------
// IPv6

/** Eight 16-bit groups, or null. Accepts `::` compression and a trailing dotted IPv4. */
export function parseIpv6(s: string): number[] | null {
  if (s.includes("%")) return null; // zone ids never belong in a URL we call
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  const last = s.slice(lastColon + 1);
  if (last.includes(".")) {
    const v4 = parseIpv4(last);
    if (v4 === null) return null;
    tail = [v4 >>> 16, v4 & 0xffff];
    s = s.slice(0, lastColon + 1); // "::ffff:" or "::" or "1:2:3:4:5:6:"
    if (!s.endsWith("::")) s = s.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const read = (part: string) => (part === "" ? [] : part.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const head = read(halves[0]!);
  const rest = halves.length === 2 ? read(halves[1]!) : [];
  const known = [...head, ...rest, ...tail];
  if (known.some(Number.isNaN)) return null;
  if (halves.length === 1) return known.length === 8 ? known : null;
  if (known.length > 7) return null;
  return [...head, ...new Array<number>(8 - known.length).fill(0), ...rest, ...tail];
}

const embeddedV4 = (hi: number, lo: number) => ((hi << 16) | lo) >>> 0;

export function ipv6Blocked(g: number[]): boolean {
  const [a, b, c, d, e, f, h, i] = g as [number, number, number, number, number, number, number, number];
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0) {
    if (f === 0) return true; // ::/96: unspecified, loopback ::1, IPv4-compatible (deprecated)
    if (f === 0xffff) return ipv4Blocked(embeddedV4(h, i)); // ::ffff:a.b.c.d, IPv4-mapped
  }
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0xffff && f === 0) return ipv4Blocked(embeddedV4(h, i)); // IPv4-translated
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return ipv4Blocked(embeddedV4(h, i)); // NAT64
  if (a === 0x64 && b === 0xff9b && c === 1) return true; // local-use NAT64
  if (a === 0x100 && b === 0 && c === 0 && d === 0) return true; // discard-only
  if (a === 0x2001 && b < 0x200) return true; // IETF protocol assignments, incl. Teredo 2001::/32
  if (a === 0x2001 && b === 0xdb8) return true; // documentation
  if (a === 0x2002) return ipv4Blocked(embeddedV4(b, c)); // 6to4 carries an IPv4 address
  if ((a & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local (AWS metadata at fd00:ec2::254)
  if ((a & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((a & 0xffc0) === 0xfec0) return true; // fec0::/10 site-local (deprecated)
  if ((a & 0xff00) === 0xff00) return true; // multicast
  return false;
}
