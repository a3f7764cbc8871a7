/**
 * WEBHOOK_ALLOWED_DOMAINS: which hosts a callbackUrl may name. A comma list of exact hosts and
 * `*.example.com` wildcards (any subdomain, at any depth, but not example.com itself: list both to
 * allow both); `*` allows every host. Unset means no list: every public host is allowed. A list
 * whose entries are all unusable allows nothing, so a typo fails closed.
 */
export type AllowedDomains = { any: true } | { any: false; exact: ReadonlySet<string>; suffixes: readonly string[] };

export function parseAllowedDomains(raw: string | undefined): AllowedDomains {
  if (raw === undefined || raw.trim() === "") return { any: true };
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of raw.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (entry === "*") return { any: true };
    const wildcard = entry.startsWith("*.");
    const name = normalizeHost(wildcard ? entry.slice(2) : entry);
    if (!name) continue;
    if (wildcard) suffixes.push(`.${name}`);
    else exact.add(name);
  }
  return { any: false, exact, suffixes };
}

/** `hostname` as the URL parser spells it (lowercase, punycode); a trailing dot changes nothing. */
export function isAllowedHost(hostname: string, allowed: AllowedDomains): boolean {
  if (allowed.any) return true;
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  return allowed.exact.has(host) || allowed.suffixes.some((s) => host.endsWith(s) && host.length > s.length);
}

/** An entry spelled the way URLs will spell the host (so "Bücher.de" matches "xn--bcher-kva.de"), or null. */
function normalizeHost(entry: string): string | null {
  const bare = entry.replace(/\.+$/, "");
  if (!bare || /[/?#@\s*]/.test(bare)) return null;
  try {
    const host = new URL(`https://${bare}/`).hostname.replace(/\.+$/, "");
    return host || null;
  } catch {
    return null;
  }
}
