// The console's shell: sign-in, the tabs, and which view is mounted (from the URL's #hash). The
// API key lives in sessionStorage only and goes out as the X-API-Key header (console/api.ts).

import { api, ApiFailure, describe, session, type Capabilities, type Health, type Usage } from "./api";
import { fill, h, notice } from "./dom";
import type { Stop } from "./live";
import { every } from "./live";
import { mountHosts } from "./views/hosts";
import { mountJob } from "./views/job";
import { mountJobs } from "./views/jobs";
import { mountTry } from "./views/try";

export type Ctx = { role: "admin" | "user"; owner: string; caps: Capabilities; go: (hash: string) => void };

const $ = (id: string) => document.getElementById(id)!;
let stopView: Stop | undefined;
let stopHeader: Stop | undefined;

function signInForm(message?: string) {
  const status = h("p", { id: "signin-status" });
  const key = h("input", { id: "api-key", type: "password", name: "key", autocomplete: "off", placeholder: "API key (empty in open mode)" });
  const form = h(
    "form",
    { id: "signin", class: "card narrow" },
    h("h2", {}, "Sign in"),
    h("label", {}, "API key ", key),
    h("button", { type: "submit" }, "Sign in"),
    status,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    session.set(key.value.trim());
    void start().catch((err: unknown) => {
      session.clear();
      notice(status, describe(err), "error");
    });
  });
  fill($("nav"));
  fill($("who"));
  fill($("view"), form);
  if (message) notice(status, message, "error");
  key.focus();
}

/** Who the key is: GET /usage names its owner, GET /hosts tells an admin (200) from a user (403). */
async function whoAmI(): Promise<{ role: "admin" | "user"; owner: string }> {
  const usage = await api<Usage>("GET", "/usage");
  try {
    await api("GET", "/hosts");
    return { role: "admin", owner: usage.owner };
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 403) return { role: "user", owner: usage.owner };
    throw e;
  }
}

async function start() {
  const me = await whoAmI();
  const caps = await api<Capabilities>("GET", "/capabilities");
  const ctx: Ctx = { ...me, caps, go: (hash) => (location.hash === hash ? route(ctx) : (location.hash = hash)) };
  const tabs: [string, string][] = [...(me.role === "admin" ? ([["#hosts", "Hosts"]] as [string, string][]) : []), ["#jobs", "Jobs"], ["#try", "Try a workflow"]];
  const signOut = h("button", { type: "button", id: "sign-out", class: "link" }, "Sign out");
  signOut.addEventListener("click", () => {
    session.clear();
    sessionStorage.clear();
    window.onhashchange = null;
    stopView?.();
    stopHeader?.();
    history.replaceState(null, "", location.pathname);
    signInForm();
  });
  fill($("nav"), ...tabs.map(([href, label]) => h("a", { href, "data-tab": href.slice(1) }, label)), signOut);
  const depth = h("span", { id: "queue-depth" });
  fill($("who"), h("span", { id: "role" }, me.role), " ", h("code", { id: "owner" }, me.owner), " · ", depth);
  stopHeader?.();
  stopHeader = every(5000, async () => {
    const health = await api<Health>("GET", "/health");
    fill(depth, health.jobs ? `queue ${health.jobs.queued} · running ${health.jobs.running}` : "");
  });
  window.onhashchange = () => route(ctx);
  if (!location.hash || (location.hash === "#hosts" && me.role !== "admin")) location.hash = me.role === "admin" ? "#hosts" : "#jobs";
  else route(ctx);
}

function route(ctx: Ctx) {
  stopView?.();
  const [name, arg] = location.hash.slice(1).split("/");
  for (const a of $("nav").querySelectorAll("a")) a.classList.toggle("active", a.dataset.tab === (name === "job" ? "jobs" : name));
  const root = h("div", { class: "view", id: `view-${name}` });
  fill($("view"), root);
  if (name === "hosts" && ctx.role === "admin") stopView = mountHosts(root, ctx);
  else if (name === "job" && arg) stopView = mountJob(root, ctx, decodeURIComponent(arg));
  else if (name === "try") stopView = mountTry(root, ctx);
  else stopView = mountJobs(root, ctx);
}

if (session.key === null) signInForm();
else
  start().catch((e: unknown) => {
    session.clear();
    signInForm(describe(e));
  });
