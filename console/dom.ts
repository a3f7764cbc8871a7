// The only way the console puts anything on the page. Children that are strings become text nodes,
// attributes are set one by one with setAttribute, and nothing here parses HTML: a host name, prompt
// or metadata value like `<img src=x onerror=…>` is shown as those characters and never runs.

export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | null | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    // A textarea's default is its text (so form.reset() restores it); an input's is its value attribute.
    else if (name === "value" && el instanceof HTMLTextAreaElement) el.textContent = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]) {
  el.replaceChildren();
  append(el, ...children);
}

/** Only http(s) links become `src`/`href`: no `javascript:` or `data:` from data. */
export function safeUrl(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const u = new URL(raw, location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : "—");
export const ago = (iso: string | null | undefined) => {
  if (!iso) return "never";
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : when(iso);
};

/** A status line under a form: errors show their `code` and message as text. */
export function notice(el: Element, text: string, kind: "ok" | "error" = "ok") {
  fill(el, h("span", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text));
}
