// The /admin console in a real browser (headless Debian Chromium, playwright-core), against a real
// `wrangler dev` gateway and fake ComfyUI processes (test/browser/harness.ts). Each main view is
// saved as a screenshot under test-output/browser/.
import path from "node:path";
import type { BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ADMIN_KEY, SHOTS, startWorld, USER_KEY, type World } from "./harness";

const HOSTILE = "<img src=x onerror=window.__pwned=1>";
/** A 1×1 PNG. */
const TINY_PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
let world: World;
let context: BrowserContext;
/** Every request the pages made, to check the key never travels in a URL. */
const requests: Request[] = [];
const cspViolations: string[] = [];
/** Uncaught errors in the console's script. */
const pageErrors: string[] = [];

beforeAll(async () => {
  world = await startWorld();
  context = await world.browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.on("request", (r) => requests.push(r));
});
afterAll(async () => {
  await context?.close().catch(() => undefined);
  await world?.close();
});

async function open(key: string, hash = ""): Promise<Page> {
  const page = await context.newPage();
  page.on("console", (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("dialog", (d) => void d.accept());
  await page.goto(`${world.gateway}/admin${hash}`);
  await page.fill("#api-key", key);
  await page.click("#signin button[type=submit]");
  await page.waitForSelector("#role");
  return page;
}
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const pwned = (page: Page) => page.evaluate(() => (globalThis as { __pwned?: number }).__pwned);

describe("the /admin console", () => {
  test("is served with a strict Content-Security-Policy and holds no secret", async () => {
    const res = await fetch(`${world.gateway}/admin`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    expect(html).not.toContain(ADMIN_KEY);
    const js = await (await fetch(`${world.gateway}/admin/console.js`)).text();
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });

  test("refuses a wrong key, signs in with the key kept in sessionStorage and sent only as a header", async () => {
    const page = await context.newPage();
    await page.goto(`${world.gateway}/admin`);
    await shot(page, "0-sign-in");
    await page.fill("#api-key", "not-a-key");
    await page.click("#signin button[type=submit]");
    await expect.poll(() => page.textContent("#signin-status")).toContain("AUTH_FAILED");
    await page.fill("#api-key", ADMIN_KEY);
    await page.click("#signin button[type=submit]");
    await page.waitForSelector("#role");
    expect(await page.textContent("#role")).toBe("admin");
    expect(await page.evaluate(() => sessionStorage.getItem("comfy-edge.apiKey"))).toBe(ADMIN_KEY);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.waitForSelector("#hosts");
    const api = requests.filter((r) => new URL(r.url()).pathname === "/hosts");
    expect(api.length).toBeGreaterThan(0);
    expect(api.some((r) => r.headers()["x-api-key"] === ADMIN_KEY)).toBe(true);
    expect(requests.filter((r) => r.url().includes(ADMIN_KEY))).toEqual([]);
    await page.close();
  });

  test("a user sees the jobs and the try form, not the host admin", async () => {
    const page = await open(USER_KEY);
    expect(await page.textContent("#role")).toBe("user");
    await page.waitForSelector("#jobs");
    expect(await page.$$eval("#nav a", (as) => as.map((a) => a.textContent))).toEqual(["Jobs", "Try a workflow"]);
    expect(await page.$("#job-filters input[name=owner]")).toBeNull();
    await page.goto(`${world.gateway}/admin#hosts`);
    await page.waitForSelector("#jobs");
    // Signing out forgets the key and stays signed out.
    await page.click("#sign-out");
    await page.waitForSelector("#signin");
    await page.waitForTimeout(300);
    expect(await page.$("#signin")).not.toBeNull();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.close();
  });

  test("adds a host and sees it online with its models", async () => {
    // Previews on: the sampler sends preview frames, which reach the page over the job's event stream.
    const fakeUrl = await world.fake(["--step-ms", "120", "--preview-method", "latent2rgb"]);
    const page = await open(ADMIN_KEY, "#hosts");
    await page.fill("#add-host input[name=name]", "gpu-a");
    await page.fill("#add-host input[name=url]", fakeUrl);
    await page.fill("#add-host input[name=slots]", "2");
    await page.fill("#add-host textarea[name=headers]", "X-Tunnel-Token: t0ps3cret");
    await page.click("#add-host button[type=submit]");
    const row = page.locator('tr[data-host="gpu-a"]');
    await expect.poll(() => row.locator("[data-state]").getAttribute("data-state"), { timeout: 15_000 }).toBe("online");
    expect(await row.textContent()).toContain("tunnel headers set");
    expect(await page.content()).not.toContain("t0ps3cret");
    await expect.poll(() => row.textContent(), { timeout: 20_000, interval: 1000 }).toContain("sd15.safetensors");
    await shot(page, "1-hosts");
    await page.close();
  });

  test("try a workflow: the form follows the input schema, the progress bar advances and the image appears", async () => {
    const page = await open(ADMIN_KEY, "#try");
    await page.selectOption("#workflow", "sd15");
    // Typed fields from the schema: bounds on numbers, enums as selects.
    expect(await page.getAttribute("#in-width", "max")).toBe("2048");
    expect(await page.getAttribute("#in-steps", "min")).toBe("1");
    expect(await page.$$eval("#in-sampler_name option", (o) => o.length)).toBeGreaterThan(3);
    // The checkpoint field suggests the fleet's checkpoints (GET /capabilities models).
    expect(await page.getAttribute("#in-checkpoint", "list")).toBe("models-checkpoints");
    expect(await page.$$eval("#models-checkpoints option", (o) => o.map((x) => x.getAttribute("value")))).toContain("sd15.safetensors");
    await page.fill("#in-prompt", `a lighthouse ${HOSTILE}`);
    await page.fill("#in-steps", "40");
    await page.fill("#in-seed", "101");
    await page.fill("#in-width", "256");
    await page.fill("#in-height", "256");
    await page.fill("#metadata-input", JSON.stringify({ note: HOSTILE }));
    await page.click("#try-form button[type=submit]");
    await page.waitForSelector("#try-job progress");
    const seen: number[] = [];
    await expect
      .poll(
        async () => {
          const v = Number(await page.getAttribute("#try-job progress", "data-percent"));
          if (!seen.includes(v)) seen.push(v);
          return seen.filter((p) => p > 0 && p < 100).length;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(2);
    // Followed over its event stream (opened with the signed watch link, no key in the URL), which
    // brings the sampler's live preview.
    await page.locator("#try-job img.preview").first().waitFor({ timeout: 30_000 });
    expect(requests.some((r) => /\/jobs\/[0-9a-f-]+\/events\?exp=\d+&sig=/.test(r.url()))).toBe(true);
    await shot(page, "2-try-running");
    const img = page.locator("#try-job img.thumb:not(.preview)").first();
    await img.waitFor({ timeout: 30_000 });
    await expect.poll(() => img.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).naturalWidth), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.textContent("#try-job [data-status]")).toBe("succeeded");
    // Hostile values are shown as the characters they are, and nothing ran.
    expect(await page.textContent("#try-job #metadata")).toContain(HOSTILE);
    expect(await page.textContent("#try-job #inputs")).toContain(HOSTILE);
    expect(await page.$$eval("#try-job img", (imgs) => imgs.every((i) => i.classList.contains("thumb")))).toBe(true);
    expect(await pwned(page)).toBeUndefined();
    await shot(page, "3-try-done");
    // The job page and the list show the same job.
    await page.click("#try-job a[href^='#job/']");
    await page.waitForSelector("#deliveries");
    const thumb = page.locator("#view-job img.thumb").first();
    await expect.poll(() => thumb.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    expect(await page.textContent("#view-job #metadata")).toContain(HOSTILE);
    expect(await pwned(page)).toBeUndefined();
    await shot(page, "4-job");
    await page.close();
  });

  test("cancels a running job from its page", async () => {
    const job = await world.admin<{ id: string }>("POST", "/jobs", { workflowId: "sd15", inputs: { prompt: "slow", steps: 150, seed: 202, width: 256, height: 256 }, metadata: { hostile: HOSTILE } });
    const page = await open(ADMIN_KEY, "#jobs");
    const row = page.locator(`tr[data-job="${job.id}"]`);
    await expect.poll(() => row.locator("progress").getAttribute("data-percent"), { timeout: 20_000, interval: 200 }).not.toBe("0");
    await shot(page, "5-jobs");
    await row.locator("a").click();
    await page.click("#cancel-job");
    await expect.poll(() => page.getAttribute("#view-job [data-status]", "data-status"), { timeout: 20_000 }).toBe("canceled");
    expect(await page.textContent("#view-job #metadata")).toContain(HOSTILE);
    expect(await pwned(page)).toBeUndefined();
    await page.close();
  });

  test("try a workflow with an image input: the file is uploaded and the job runs on it", async () => {
    const page = await open(ADMIN_KEY, "#try");
    await page.selectOption("#workflow", "sd15_img2img");
    expect(await page.getAttribute("#in-image", "type")).toBe("file");
    expect(await page.getAttribute("#in-denoise", "max")).toBe("1");
    await page.fill("#in-prompt", "an oil painting");
    await page.fill("#in-seed", "303");
    await page.fill("#in-steps", "5");
    await page.setInputFiles("#in-image", { name: "dot.png", mimeType: "image/png", buffer: Buffer.from(TINY_PNG_BASE64, "base64") });
    await page.click("#try-form button[type=submit]");
    await expect.poll(() => page.getAttribute("#try-job [data-status]", "data-status"), { timeout: 30_000 }).toBe("succeeded");
    expect(await page.textContent("#try-job #inputs")).toContain("dot.png");
    await page.locator("#try-job img.thumb:not(.preview)").first().waitFor();
    await page.close();
  });

  test("shows a job's webhook deliveries and redelivers a failed one", async () => {
    const receiver = await world.receiver();
    await fetch(`${receiver}/__receiver/script`, { method: "POST", body: JSON.stringify({ path: "/hook", responses: [{ status: 400, body: "no" }] }) });
    const job = await world.admin<{ id: string }>("POST", "/jobs", { workflowId: "sd15", inputs: { prompt: "hooked", steps: 3, seed: 404, width: 256, height: 256 }, callbackUrl: `${receiver}/hook` });
    const page = await open(ADMIN_KEY, `#job/${job.id}`);
    const first = page.locator("#deliveries tbody tr", { hasText: `${job.id}:succeeded` }).first();
    await expect.poll(() => first.textContent(), { timeout: 30_000 }).toContain("failed");
    expect(await first.textContent()).toContain("HTTP 400");
    await first.locator("button", { hasText: "Redeliver" }).click();
    await expect.poll(() => page.textContent("#job-status")).toContain("Redelivery");
    await expect.poll(() => page.locator("#deliveries tbody tr").count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => page.locator("#deliveries tbody tr", { hasText: "~" }).textContent(), { timeout: 30_000 }).toContain("succeeded");
    // The job's own webhook field follows the redelivery.
    await expect.poll(() => page.textContent("#view-job dl.facts"), { timeout: 10_000 }).toMatch(/succeeded \(.*~/);
    await shot(page, "7-job-deliveries");
    await page.close();
  });

  test("filters jobs by status, workflow and owner; shows usage per key", async () => {
    await world.admin("POST", "/keys", { name: `render farm ${HOSTILE}`, role: "user" });
    const page = await open(ADMIN_KEY, "#jobs");
    const farm = page.locator("#usage-table tr", { hasText: "render farm" });
    expect(await farm.textContent()).toContain(HOSTILE);
    expect(await page.locator("#usage-table tr", { hasText: "you" }).locator("td").nth(1).textContent()).not.toBe("0");
    await farm.locator("a").click();
    await expect.poll(() => page.textContent("#jobs tbody")).toContain("No jobs match");
    await page.fill("#job-filters input[name=owner]", "");
    await page.click("#job-filters button[type=submit]");
    // Every succeeded image job's row shows its image, loaded through its signed link.
    await expect.poll(() => page.locator("#jobs tbody img.mini").count()).toBe(3);
    await expect
      .poll(() => page.$$eval("#jobs tbody img.mini", (imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth)), { timeout: 10_000 })
      .not.toContain(0);
    await expect.poll(() => page.textContent("#usage-table")).not.toContain("filtered owner");
    await shot(page, "5b-jobs-usage");
    await page.selectOption("#job-filters select[name=status]", "canceled");
    await expect.poll(() => page.$$eval("#jobs [data-status]", (s) => [...new Set(s.map((x) => x.getAttribute("data-status")))])).toEqual(["canceled"]);
    await page.selectOption("#job-filters select[name=status]", "");
    await page.selectOption("#job-filters select[name=workflowId]", "flux");
    await expect.poll(() => page.textContent("#jobs tbody")).toContain("No jobs match");
    await page.close();
  });

  test("drains a host and resumes it", async () => {
    const page = await open(ADMIN_KEY, "#hosts");
    const row = page.locator('tr[data-host="gpu-a"]');
    await row.locator('button[data-action="drain"]').click();
    await expect.poll(() => row.locator("[data-state]").getAttribute("data-state"), { timeout: 10_000 }).toBe("draining");
    await shot(page, "6-hosts-draining");
    await row.locator('button[data-action="resume"]').click();
    await expect.poll(() => row.locator("[data-state]").getAttribute("data-state"), { timeout: 10_000 }).toBe("online");
    await page.close();
  });

  test("hostile values in a failed job's error and in a host's URL are rendered as text and nothing runs", async () => {
    // Host names are limited to [A-Za-z0-9._:-] by the API; a host's URL and a failed job's error
    // (ComfyUI's message naming the node type) are free text that reaches the page.
    const job = await world.admin<{ id: string }>("POST", "/jobs", {
      workflow: { "1": { class_type: HOSTILE, inputs: {} }, "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "x" } } },
      metadata: { [HOSTILE]: HOSTILE },
    });
    const page = await open(ADMIN_KEY, `#job/${job.id}`);
    await expect.poll(() => page.getAttribute("#view-job [data-status]", "data-status"), { timeout: 30_000 }).toBe("failed");
    const error = page.locator("#view-job .card.error").first();
    expect(await error.locator("code.code").textContent()).toMatch(/^[A-Z_]+$/);
    expect(await page.textContent("#view-job")).toContain(HOSTILE);
    expect(await page.textContent("#view-job #metadata")).toContain(`${HOSTILE}${HOSTILE}`);
    await shot(page, "8-job-failed-hostile");
    // Registered after the job ended, so no job is placed on this unreachable host.
    await world.admin("POST", "/hosts", { name: "evil", url: `http://127.0.0.1:9/${HOSTILE}`, slots: 1 });
    await page.goto(`${world.gateway}/admin#hosts`);
    await page.locator('tr[data-host="evil"]').waitFor();
    expect(await page.$$eval("img", (i) => i.length)).toBe(0);
    expect(await pwned(page)).toBeUndefined();
    await world.admin("DELETE", "/hosts/evil");
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  test("/docs renders the API reference of the gateway's own /openapi.json, with no third-party script and no CSP violation", async () => {
    const page = await context.newPage();
    const violations: string[] = [];
    const errors: string[] = [];
    page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    const loaded: string[] = [];
    page.on("request", (r) => loaded.push(r.url()));
    await page.goto(`${world.gateway}/docs`);
    // Scalar renders each operation by its summary, read from /openapi.json.
    await page.getByText("Submit a job (raw graph or stored workflow)", { exact: false }).first().waitFor({ timeout: 30_000 });
    expect(await page.textContent("body")).toContain("Comfy Edge");
    expect(loaded.filter((u) => !u.startsWith(world.gateway) && !u.startsWith("data:"))).toEqual([]);
    expect(loaded).toContain(`${world.gateway}/openapi.json`);
    await page.screenshot({ path: path.join(SHOTS, "9-api-docs.png") });
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
