// Sample statistics for subjects that take samples rather than HTTP load: nearest-rank percentiles and a summary.

/** Nearest-rank percentile of ascending `sorted` (p50 of an even count is the lower middle). NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface SampleSummary {
  n: number;
  p50: number;
  p90: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): SampleSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}
