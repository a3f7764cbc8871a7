import { describe, expect, it } from "vitest";
import { formatPrometheus, histogramSamples, type MetricFamily } from "../../src/metrics/exposition";

describe("formatPrometheus (text exposition format 0.0.4)", () => {
  it("writes HELP and TYPE once per family, then one line per sample, and ends with a newline", () => {
    const families: MetricFamily[] = [
      { name: "comfy_edge_jobs", help: "Jobs by status.", type: "gauge", samples: [{ labels: { status: "queued" }, value: 3 }, { labels: { status: "running" }, value: 1 }] },
      { name: "comfy_edge_rate_limit_refusals_total", help: "Refusals.", type: "counter", samples: [{ value: 12 }] },
    ];
    expect(formatPrometheus(families)).toBe(
      [
        "# HELP comfy_edge_jobs Jobs by status.",
        "# TYPE comfy_edge_jobs gauge",
        'comfy_edge_jobs{status="queued"} 3',
        'comfy_edge_jobs{status="running"} 1',
        "# HELP comfy_edge_rate_limit_refusals_total Refusals.",
        "# TYPE comfy_edge_rate_limit_refusals_total counter",
        "comfy_edge_rate_limit_refusals_total 12",
        "",
      ].join("\n"),
    );
  });

  it("escapes label values (backslash, quote, newline) and HELP text (backslash, newline)", () => {
    const out = formatPrometheus([{ name: "m", help: "a\\b\nc", type: "gauge", samples: [{ labels: { host: 'gpu "a"\\1\n' }, value: 1 }] }]);
    expect(out).toContain("# HELP m a\\\\b\\nc\n");
    expect(out).toContain('m{host="gpu \\"a\\"\\\\1\\n"} 1\n');
  });

  it.each([
    { value: 0.25, want: "0.25" },
    { value: 1e21, want: "1e+21" },
    { value: Number.POSITIVE_INFINITY, want: "+Inf" },
    { value: Number.NEGATIVE_INFINITY, want: "-Inf" },
    { value: Number.NaN, want: "NaN" },
  ])("writes $value as $want", ({ value, want }) => {
    expect(formatPrometheus([{ name: "m", help: "h", type: "gauge", samples: [{ value }] }])).toContain(`\nm ${want}\n`);
  });

  it("refuses a metric or label name Prometheus would reject", () => {
    expect(() => formatPrometheus([{ name: "bad-name", help: "h", type: "gauge", samples: [] }])).toThrow(/metric name/);
    expect(() => formatPrometheus([{ name: "m", help: "h", type: "gauge", samples: [{ labels: { "le-x": "1" }, value: 1 }] }])).toThrow(/label name/);
  });

  it("writes a family with no samples as its HELP and TYPE only", () => {
    expect(formatPrometheus([{ name: "m", help: "h", type: "gauge", samples: [] }])).toBe("# HELP m h\n# TYPE m gauge\n");
  });
});

describe("histogramSamples", () => {
  it("turns cumulative counts per upper bound into _bucket (with +Inf), _sum and _count samples", () => {
    const samples = histogramSamples({ bounds: [1, 5], cumulative: [2, 4], count: 5, sum: 17.5 });
    expect(formatPrometheus([{ name: "comfy_edge_job_queue_seconds", help: "h", type: "histogram", samples }])).toBe(
      [
        "# HELP comfy_edge_job_queue_seconds h",
        "# TYPE comfy_edge_job_queue_seconds histogram",
        'comfy_edge_job_queue_seconds_bucket{le="1"} 2',
        'comfy_edge_job_queue_seconds_bucket{le="5"} 4',
        'comfy_edge_job_queue_seconds_bucket{le="+Inf"} 5',
        "comfy_edge_job_queue_seconds_sum 17.5",
        "comfy_edge_job_queue_seconds_count 5",
        "",
      ].join("\n"),
    );
  });
});
