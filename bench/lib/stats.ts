// Small helpers for the figures: percentiles and a plain-text table.

export interface Figure {
  figure: string;
  value: string;
  target?: string;
  note?: string;
}

/** The p-th percentile (0-100) of `values`, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: number[]): number => percentile(values, 50);

/** The item whose `value` is the median one (the lower of the middle two for an even count). */
export function medianBy<T>(items: T[], value: (item: T) => number): T {
  const sorted = [...items].sort((x, y) => value(x) - value(y));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export function printTable(title: string, figures: Figure[]): void {
  const rows = [["figure", "measured", "target", "note"], ...figures.map((f) => [f.figure, f.value, f.target ?? "", f.note ?? ""])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(`\n${title}\n${line(rows[0]!)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${rows.slice(1).map(line).join("\n")}`);
}
