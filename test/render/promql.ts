// Reading metric names out of PromQL, and the names the app really exports (its own registry).
import { createMetrics } from "../../app/src/lib/metrics.ts";

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset"]);

/** Metric names an expression reads: identifiers outside label matchers, ranges and grouping, not functions. */
export function metricNames(expr: string): string[] {
  const cleaned = expr
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, "");
  const out: string[] = [];
  for (const m of cleaned.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = cleaned.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(m[0])) continue;
    out.push(m[0]);
  }
  return out;
}

/** Every series name the app exports (histograms add _bucket/_sum/_count), plus Prometheus' own `up`. */
export async function appSeriesNames(): Promise<Set<string>> {
  const m = createMetrics({ cell_id: "x", device: "x", role: "cell" });
  const out = new Set<string>(["up"]);
  for (const metric of await m.registry.getMetricsAsJSON()) {
    out.add(metric.name);
    if (String(metric.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) out.add(metric.name + s);
  }
  return out;
}
