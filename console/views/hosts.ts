// Hosts (admins only): register one, drain, resume, remove; state, slots, last error, last seen and
// models, re-read live.

import { api, describe, type Capabilities, type Host } from "../api";
import { ago, fill, h, notice } from "../dom";
import { every, watchList, type Stop } from "../live";
import type { Ctx } from "../main";

const MODELS_POLL_MS = 15_000;

/** "Name: value" lines → a headers object (tunnel credentials such as CF-Access-Client-Id). */
function parseHeaders(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (!line.trim()) continue;
    if (i <= 0) throw new Error(`A header line must look like "Name: value", not "${line}"`);
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}

function addForm(status: HTMLElement, refresh: () => void) {
  const name = h("input", { name: "name", required: true, maxlength: 64, placeholder: "gpu-a" });
  const url = h("input", { name: "url", type: "url", required: true, placeholder: "https://gpu-a.example.com" });
  const slots = h("input", { name: "slots", type: "number", min: 1, max: 64, value: 2 });
  const headers = h("textarea", { name: "headers", rows: 2, placeholder: "CF-Access-Client-Id: …\nCF-Access-Client-Secret: …" });
  const form = h(
    "form",
    { id: "add-host", class: "card row" },
    h("label", {}, "Name ", name),
    h("label", {}, "URL ", url),
    h("label", {}, "Slots ", slots),
    h("label", {}, "Tunnel headers ", headers),
    h("button", { type: "submit" }, "Add host"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void (async () => {
      try {
        const host = await api<Host>("POST", "/hosts", { name: name.value.trim(), url: url.value.trim(), slots: Number(slots.value), headers: parseHeaders(headers.value) });
        notice(status, `Added ${host.name}`);
        form.reset();
        refresh();
      } catch (err) {
        notice(status, describe(err), "error");
      }
    })();
  });
  return form;
}

function modelList(models: Record<string, string[]> | null | undefined) {
  if (!models) return "—";
  const parts = Object.entries(models).filter(([, files]) => files.length);
  if (!parts.length) return "none";
  return h("ul", { class: "models" }, ...parts.map(([folder, files]) => h("li", {}, h("b", {}, folder), ` ${files.join(", ")}`)));
}

export function mountHosts(root: HTMLElement, _ctx: Ctx): Stop {
  const status = h("div", { id: "hosts-status" });
  const body = h("tbody");
  let models = new Map<string, Record<string, string[]> | null>();
  let hosts: Host[] = [];

  const action = (label: string, method: string, path: string, confirmText?: string) => {
    const b = h("button", { type: "button", "data-action": label.toLowerCase() }, label);
    b.addEventListener("click", () => {
      if (confirmText && !confirm(confirmText)) return;
      void api(method, path)
        .then(() => (notice(status, `${label}: done`), load()))
        .catch((err: unknown) => notice(status, describe(err), "error"));
    });
    return b;
  };
  const render = () => {
    fill(
      body,
      ...hosts.map((host) => {
        const id = encodeURIComponent(host.id);
        return h(
          "tr",
          { "data-host": host.name },
          h("td", { class: "name" }, host.name, h("div", { class: "dim" }, host.url), host.hasHeaders ? h("div", { class: "dim" }, "tunnel headers set") : null),
          h("td", {}, h("span", { class: `state state-${host.state}`, "data-state": host.state }, host.state)),
          h("td", { class: "slots" }, `${host.slotsInUse} / ${host.slots}`),
          h("td", { class: "error" }, host.lastError ?? "—"),
          h("td", {}, ago(host.lastSeenAt)),
          h("td", {}, modelList(models.get(host.name))),
          h(
            "td",
            { class: "actions" },
            host.state === "draining" ? action("Resume", "POST", `/hosts/${id}/resume`) : action("Drain", "POST", `/hosts/${id}/drain`),
            action("Remove", "DELETE", `/hosts/${id}`, `Remove host ${host.name}?`),
          ),
        );
      }),
    );
    if (!hosts.length) fill(body, h("tr", {}, h("td", { colspan: 7, class: "dim" }, "No hosts yet: add one above.")));
  };
  const load = async () => {
    hosts = (await api<{ items: Host[] }>("GET", "/hosts")).items;
    render();
  };

  fill(
    root,
    h("h2", {}, "Hosts"),
    addForm(status, () => void load()),
    status,
    h("table", { id: "hosts" }, h("thead", {}, h("tr", {}, ...["Host", "State", "Slots in use", "Last error", "Last seen", "Models", ""].map((t) => h("th", {}, t)))), body),
  );
  let asking: Promise<void> | undefined;
  const loadModels = () =>
    (asking ??= api<Capabilities>("GET", "/capabilities")
      .then((caps) => {
        models = new Map((caps.hosts ?? []).map((x) => [x.host, x.models]));
        render();
      })
      .finally(() => (asking = undefined)));
  const stops = [
    watchList(() => api<{ items: Host[] }>("GET", "/hosts"), (list) => {
      hosts = list.items;
      render();
      // A host new to this page gets its models asked for now rather than at the next slow beat.
      if (hosts.some((x) => !models.has(x.name))) void loadModels().catch(() => undefined);
    }, (e) => notice(status, describe(e), "error")),
    every(MODELS_POLL_MS, loadModels),
  ];
  return () => stops.forEach((s) => s());
}
