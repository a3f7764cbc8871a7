/**
 * GET /doc for Comfy Router users: where Comfy Router served its OpenAPI viewer, a page saying
 * how its calls work here, with the machine-readable document one link away (/openapi.json lists
 * these routes too). Static and script-free, so it needs no CSP exceptions and no credentials.
 */
export const ROUTER_DOC_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Comfy Edge — for Comfy Router clients</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}code,pre{background:#f4f4f4;border-radius:4px}pre{padding:.75rem;overflow:auto}td,th{padding:.25rem .5rem;text-align:left;vertical-align:top}</style>
</head><body>
<h1>Comfy Edge for Comfy Router clients</h1>
<p>Point your client at this gateway: <code>https://&lt;gateway&gt;/router</code> (or the bare root; both serve the same routes).
Everything else of Comfy Edge's own API is in <a href="/openapi.json">/openapi.json</a>.</p>
<h2>Authentication</h2>
<p>HTTP Basic, as Comfy Router had it, with a Comfy Edge API key as the username <em>or</em> the password
(<code>curl -u ce_…: …</code>, or <code>("admin", "ce_…")</code>). <code>X-API-Key</code> and <code>Authorization: Bearer</code> work too.
<code>/preview/{id}</code>, <code>/doc</code> and <code>/health_check</code> need none.</p>
<h2>Routes</h2>
<table>
<tr><th>POST /workflow</th><td>Run the built-in SD15, SDXL or Flux workflow: <code>{ "type": "SD15" | "SDXL" | "Flux", "params": { … } }</code>. Answers <code>{ "id" }</code> at once.</td></tr>
<tr><th>GET /workflow/{id}</th><td><code>{ "status": "pending" | "running" | "done" | "error", "data": … }</code>; progress is <code>data.progress</code> (0–1) while running, the images' bytes are <code>data</code> when done. The full job is in <code>job</code>.</td></tr>
<tr><th>GET /preview/{id}</th><td>The task's image (public: the task id is the capability). 404 while there is none.</td></tr>
<tr><th>GET /health_check</th><td><code>ok</code></td></tr>
</table>
<h2>Parameters</h2>
<pre>{ "type": "SDXL", "params": {
  "prompt": "a lighthouse at dusk", "negative_prompt": "blurry",
  "width": 1024, "height": 1024, "batch_size": 1,
  "steps": 25, "cfg_scale": 7, "seed": 42, "sampler": "dpmpp_2m", "scheduler": "karras",
  "checkpoint": { "type": "build_in", "name": "sdxl_base.safetensors" },
  "loras": [], "controlnets": [] } }</pre>
<p>Every parameter but <code>prompt</code> may be left out (the workflow's defaults apply).
<code>input_image</code> (<code>{ "type": "url", "content": "https://…" }</code> or <code>{ "type": "base64", "content": … }</code>) runs SD 1.5 image-to-image with <code>denoise</code>.
Model URLs (<code>"type": "custom"</code>), LoRAs, ControlNets and masks are refused with 400: install models on the hosts.
Models the workflow has no input for are listed in the answer's <code>ignored</code>.
Errors use Comfy Edge's body: <code>{ "error", "message", "details" }</code>; too many pending tasks is 429.</p>
</body></html>
`;
