import { tinyGraph } from "../helpers/gateway";

/**
 * Every route of the API and who may call it. `anon`/`user`/`admin` are the statuses each caller
 * gets with the fixture request below: 401 and 403 are the refusals under test; anything else
 * (200, 400, 404 for an unknown id) proves the request got past the access checks to the handler.
 * A route added to openapi.ts without a row here fails routes.security.test.ts.
 */
export type Fixture = { ownJobId: string; ownQueuedJobId: string; workflowId: string; ownDeliveryId: string };
export type Access = "public" | "probe" | "user" | "admin";
export type RouteRow = {
  name: string;
  /** The path as openapi.ts spells it; `*` for routes openapi.ts does not list. */
  template: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: (f: Fixture) => string;
  body?: () => unknown;
  access: Access;
  user: number | number[];
  admin: number | number[];
};

const NO_HOST = "no-such-host";
const NO_UUID = "00000000-0000-4000-8000-000000000000";
const RUNPOD_ENDPOINT = "route-table-ep";
/** A 1×1 PNG. */
export const TINY_PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/**
 * The Comfy Router facade, under /router (as openapi.ts lists it) and at Router's own paths. The
 * fixture's job was not made through the facade, so the public preview answers 404 for it.
 */
function routerRows(base: "/router" | ""): RouteRow[] {
  const template = (p: string) => (base ? `${base}${p}` : "*");
  return [
    { name: `POST ${base}/workflow`, template: template("/workflow"), method: "POST", path: () => `${base}/workflow`, body: () => ({ type: "SD15", params: { prompt: "route table", seed: Math.floor(Math.random() * 1e6) } }), access: "user", user: 200, admin: 200 },
    { name: `GET ${base}/workflow/:id`, template: template("/workflow/{id}"), method: "GET", path: (f) => `${base}/workflow/${f.ownJobId}`, access: "user", user: 200, admin: 200 },
    { name: `POST ${base}/workflow/:id/cancel`, template: template("/workflow/{id}/cancel"), method: "POST", path: (f) => `${base}/workflow/${f.ownQueuedJobId}/cancel`, access: "user", user: 200, admin: 200 },
    { name: `GET ${base}/preview/:id`, template: template("/preview/{id}"), method: "GET", path: (f) => `${base}/preview/${f.ownJobId}`, access: "public", user: 404, admin: 404 },
    { name: `GET ${base}/doc`, template: template("/doc"), method: "GET", path: () => `${base}/doc`, access: "public", user: 200, admin: 200 },
    { name: `GET ${base}/health_check`, template: template("/health_check"), method: "GET", path: () => `${base}/health_check`, access: "public", user: 200, admin: 200 },
  ];
}

export const ROUTES: RouteRow[] = [
  { name: "GET /openapi.json", template: "*", method: "GET", path: () => "/openapi.json", access: "public", user: 200, admin: 200 },
  { name: "GET /docs", template: "*", method: "GET", path: () => "/docs", access: "public", user: 200, admin: 200 },
  { name: "GET /files/… (unsigned)", template: "*", method: "GET", path: () => `/files/outputs/${NO_UUID}/x.png`, access: "public", user: 403, admin: 403 },
  { name: "GET /admin (console page)", template: "*", method: "GET", path: () => "/admin", access: "public", user: 200, admin: 200 },
  { name: "GET /health", template: "/health", method: "GET", path: () => "/health", access: "probe", user: 200, admin: 200 },
  { name: "POST /jobs", template: "/jobs", method: "POST", path: () => "/jobs", body: () => ({ workflow: tinyGraph(Math.floor(Math.random() * 1e6)) }), access: "user", user: 202, admin: 202 },
  { name: "GET /jobs", template: "/jobs", method: "GET", path: () => "/jobs", access: "user", user: 200, admin: 200 },
  { name: "GET /jobs/:id", template: "/jobs/{id}", method: "GET", path: (f) => `/jobs/${f.ownJobId}`, access: "user", user: 200, admin: 200 },
  { name: "POST /jobs/:id/cancel", template: "/jobs/{id}/cancel", method: "POST", path: (f) => `/jobs/${f.ownQueuedJobId}/cancel`, access: "user", user: 200, admin: 200 },
  { name: "DELETE /jobs/:id", template: "/jobs/{id}", method: "DELETE", path: () => `/jobs/${NO_UUID}`, access: "user", user: 404, admin: 404 },
  { name: "POST /uploads", template: "/uploads", method: "POST", path: () => "/uploads", body: () => ({ name: "dot.png", image: TINY_PNG_BASE64 }), access: "user", user: 201, admin: 201 },
  { name: "GET /uploads/:id", template: "/uploads/{id}", method: "GET", path: () => `/uploads/${NO_UUID}`, access: "user", user: 404, admin: 404 },
  { name: "DELETE /uploads/:id", template: "/uploads/{id}", method: "DELETE", path: () => `/uploads/${NO_UUID}`, access: "user", user: 404, admin: 404 },
  { name: "GET /capabilities", template: "/capabilities", method: "GET", path: () => "/capabilities", access: "user", user: 200, admin: 200 },
  { name: "GET /jobs/:id/outputs/:name", template: "/jobs/{id}/outputs/{name}", method: "GET", path: (f) => `/jobs/${f.ownJobId}/outputs/caption.txt`, access: "user", user: 200, admin: 200 },
  // A finished job's stream is its terminal event, then the end: the read completes.
  { name: "GET /jobs/:id/events", template: "/jobs/{id}/events", method: "GET", path: (f) => `/jobs/${f.ownJobId}/events`, access: "user", user: 200, admin: 200 },
  { name: "GET /jobs/:id/preview", template: "/jobs/{id}/preview", method: "GET", path: (f) => `/jobs/${f.ownJobId}/preview`, access: "user", user: 404, admin: 404 },
  // The shortest stream there is: it ends by itself after a second.
  { name: "GET /events", template: "/events", method: "GET", path: () => "/events?timeout=1", access: "user", user: 200, admin: 200 },
  { name: "GET /webhooks/deliveries", template: "/webhooks/deliveries", method: "GET", path: () => "/webhooks/deliveries", access: "user", user: 200, admin: 200 },
  { name: "GET /webhooks/deliveries/:id", template: "/webhooks/deliveries/{id}", method: "GET", path: (f) => `/webhooks/deliveries/${f.ownDeliveryId}`, access: "user", user: 200, admin: 200 },
  { name: "POST /webhooks/deliveries/:id/redeliver", template: "/webhooks/deliveries/{id}/redeliver", method: "POST", path: (f) => `/webhooks/deliveries/${f.ownDeliveryId}/redeliver`, access: "user", user: 202, admin: 202 },
  { name: "GET /workflows", template: "/workflows", method: "GET", path: () => "/workflows", access: "user", user: 200, admin: 200 },
  { name: "GET /workflows/:id", template: "/workflows/{id}", method: "GET", path: (f) => `/workflows/${f.workflowId}`, access: "user", user: 200, admin: 200 },
  {
    name: "PUT /workflows/:id", template: "/workflows/{id}", method: "PUT", path: (f) => `/workflows/${f.workflowId}`,
    body: () => ({ id: "placeholder", name: "n", graph: tinyGraph() }), access: "admin", user: 403, admin: [200, 201],
  },
  {
    // A fresh id per call: the admin's create is 201, a second one would be 409.
    name: "POST /workflows", template: "/workflows", method: "POST", path: () => "/workflows",
    body: () => ({ id: `wf-${crypto.randomUUID().slice(0, 8)}`, name: "n", graph: tinyGraph() }), access: "admin", user: 403, admin: 201,
  },
  { name: "DELETE /workflows/:id", template: "/workflows/{id}", method: "DELETE", path: () => "/workflows/no-such-workflow", access: "admin", user: 403, admin: 404 },
  { name: "POST /hosts", template: "/hosts", method: "POST", path: () => "/hosts", body: () => ({}), access: "admin", user: 403, admin: 400 },
  { name: "GET /hosts", template: "/hosts", method: "GET", path: () => "/hosts", access: "admin", user: 403, admin: 200 },
  { name: "GET /hosts/:id", template: "/hosts/{id}", method: "GET", path: () => `/hosts/${NO_HOST}`, access: "admin", user: 403, admin: 404 },
  { name: "POST /hosts/:id/drain", template: "/hosts/{id}/drain", method: "POST", path: () => `/hosts/${NO_HOST}/drain`, access: "admin", user: 403, admin: 404 },
  { name: "POST /hosts/:id/resume", template: "/hosts/{id}/resume", method: "POST", path: () => `/hosts/${NO_HOST}/resume`, access: "admin", user: 403, admin: 404 },
  { name: "DELETE /hosts/:id", template: "/hosts/{id}", method: "DELETE", path: () => `/hosts/${NO_HOST}`, access: "admin", user: 403, admin: 404 },
  { name: "POST /keys", template: "/keys", method: "POST", path: () => "/keys", body: () => ({ name: "from the route table" }), access: "admin", user: 403, admin: 201 },
  { name: "GET /keys", template: "/keys", method: "GET", path: () => "/keys", access: "admin", user: 403, admin: 200 },
  { name: "DELETE /keys/:id", template: "/keys/{id}", method: "DELETE", path: () => `/keys/${NO_UUID}`, access: "admin", user: 403, admin: 404 },
  { name: "GET /metrics", template: "/metrics", method: "GET", path: () => "/metrics", access: "admin", user: 403, admin: 200 },
  // The RunPod facade: RunPod's paths, our auth. Its run/runsync jobs stay queued here (no hosts); purge-queue, after them, cancels them.
  { name: "POST /runpod/…/run", template: "/runpod/v2/{endpointId}/run", method: "POST", path: () => `/runpod/v2/${RUNPOD_ENDPOINT}/run`, body: () => ({ input: { workflow: tinyGraph(Math.floor(Math.random() * 1e6)) } }), access: "user", user: 200, admin: 200 },
  { name: "POST /runpod/…/runsync", template: "/runpod/v2/{endpointId}/runsync", method: "POST", path: () => `/runpod/v2/${RUNPOD_ENDPOINT}/runsync?wait=0`, body: () => ({ input: { workflow: tinyGraph(Math.floor(Math.random() * 1e6)) } }), access: "user", user: 200, admin: 200 },
  { name: "GET /runpod/…/status/:id", template: "/runpod/v2/{endpointId}/status/{id}", method: "GET", path: (f) => `/runpod/v2/${RUNPOD_ENDPOINT}/status/${f.ownJobId}`, access: "user", user: 200, admin: 200 },
  { name: "GET /runpod/…/status-sync/:id", template: "/runpod/v2/{endpointId}/status-sync/{id}", method: "GET", path: (f) => `/runpod/v2/${RUNPOD_ENDPOINT}/status-sync/${f.ownJobId}?wait=0`, access: "user", user: 200, admin: 200 },
  { name: "GET /runpod/…/stream/:id", template: "/runpod/v2/{endpointId}/stream/{id}", method: "GET", path: (f) => `/runpod/v2/${RUNPOD_ENDPOINT}/stream/${f.ownJobId}?wait=0`, access: "user", user: 200, admin: 200 },
  { name: "POST /runpod/…/cancel/:id", template: "/runpod/v2/{endpointId}/cancel/{id}", method: "POST", path: (f) => `/runpod/v2/${RUNPOD_ENDPOINT}/cancel/${f.ownJobId}`, access: "user", user: 200, admin: 200 },
  { name: "GET /runpod/…/health", template: "/runpod/v2/{endpointId}/health", method: "GET", path: () => `/runpod/v2/${RUNPOD_ENDPOINT}/health`, access: "user", user: 200, admin: 200 },
  { name: "POST /runpod/…/purge-queue", template: "/runpod/v2/{endpointId}/purge-queue", method: "POST", path: () => `/runpod/v2/${RUNPOD_ENDPOINT}/purge-queue`, access: "user", user: 200, admin: 200 },
  ...routerRows("/router"),
  ...routerRows(""),
  { name: "GET /usage", template: "/usage", method: "GET", path: () => "/usage", access: "user", user: 200, admin: 200 },
];

/** The body a row sends; PUT /workflows needs the id from the path. */
export function bodyFor(row: RouteRow, f: Fixture) {
  const b = row.body?.();
  if (row.method === "PUT" && b && typeof b === "object") return { ...b, id: f.workflowId };
  return b;
}
