/**
 * The Prometheus text exposition format (version 0.0.4), pure: metric families in, text out.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */
export type Sample = { labels?: Record<string, string>; value: number; suffix?: "_bucket" | "_sum" | "_count" };
export type MetricFamily = { name: string; help: string; type: "gauge" | "counter" | "histogram"; samples: Sample[] };

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const escapeLabel = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function number(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function labels(l: Record<string, string> | undefined): string {
  const entries = Object.entries(l ?? {});
  if (!entries.length) return "";
  for (const [k] of entries) if (!LABEL_NAME.test(k)) throw new Error(`Invalid Prometheus label name "${k}"`);
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

/** Names are checked (a bad one is a bug here, not bad input); label values are escaped. */
export function formatPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new Error(`Invalid Prometheus metric name "${f.name}"`);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${s.suffix ?? ""}${labels(s.labels)} ${number(s.value)}`);
  }
  return lines.map((l) => `${l}\n`).join("");
}

/** A histogram's samples from cumulative counts per upper bound (`cumulative[i]` = observations ≤ `bounds[i]`). */
export function histogramSamples(h: { bounds: readonly number[]; cumulative: readonly number[]; count: number; sum: number }): Sample[] {
  return [
    ...h.bounds.map((b, i) => ({ suffix: "_bucket" as const, labels: { le: number(b) }, value: h.cumulative[i] ?? 0 })),
    { suffix: "_bucket", labels: { le: "+Inf" }, value: h.count },
    { suffix: "_sum", value: h.sum },
    { suffix: "_count", value: h.count },
  ];
}
