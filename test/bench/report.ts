/**
 * Small statistics and table helpers shared by the benchmark modules
 * (run.ts for the core, umh.ts for the umh plugin).
 *
 * @module
 */

/** Median of `xs` (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (`p` in 0..100) of `xs`; `xs` need not be sorted. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

/** `x` rounded to `digits` decimals. */
export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
/** KiB to MiB, one decimal. */
export const mib = (kib: number): number => round(kib / 1024, 1);
/** {@link mib} of a reading that may be missing (the process is gone): NaN then. */
export const mibOf = (kib: number | undefined): number => (kib === undefined ? Number.NaN : mib(kib));
/** Items per second for `n` items in `ms` milliseconds. */
export const perSec = (n: number, ms: number): number => Math.round((n * 1000) / ms);

/** A rate as `123k <unit>/s`. */
export function fmtRate(x: number | undefined, unit = "lines"): string {
  return x === undefined ? "n/a" : `${Math.round(x / 1000).toLocaleString("en-US")}k ${unit}/s`;
}

/** One table row: measurement, value, target, verdict (`ok` / `MISS` / empty when there is no target). */
export function row(metric: string, value: string, target: string, ok: boolean | null): string[] {
  return [metric, value, target, ok === null ? "" : ok ? "ok" : "MISS"];
}

/** Print `rows` (the first is the header) as an aligned table on stdout. */
export function printTable(rows: readonly string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]): string => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  console.log(line(rows[0]!));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
}

/** Latency figures, in ms. */
export interface LatencyStats {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly minMs: number;
  readonly meanMs: number;
}

/** Summarise latency samples (ms), rounded to `digits` decimals. */
export function latencyStats(samples: readonly number[], digits: number): LatencyStats {
  if (samples.length === 0) throw new Error("no samples");
  return {
    samples: samples.length,
    p50Ms: round(percentile(samples, 50), digits),
    p90Ms: round(percentile(samples, 90), digits),
    p99Ms: round(percentile(samples, 99), digits),
    maxMs: round(Math.max(...samples), digits),
    minMs: round(Math.min(...samples), digits),
    meanMs: round(samples.reduce((a, c) => a + c, 0) / samples.length, digits),
  };
}
