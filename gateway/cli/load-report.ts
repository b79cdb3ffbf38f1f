/** What `fngate load` prints: the live progress line, the final report, and its latency histogram. */
import type { Histogram } from 'hdr-histogram-js';
import { paint } from './color.ts';

export interface LoadReport {
  function: string;
  url: string;
  connections: number;
  durationS: number;
  requests: number;
  rps: number;
  /** Milliseconds. */
  latency: { p50: number; p90: number; p99: number; max: number };
  /** Status code → responses. */
  statusCodes: Record<string, number>;
  /** Connection errors and timeouts (no status code). */
  errors: number;
  coldStarts: number;
  coldStartShare: number;
  instances: { before: number; max: number; after: number };
  /** The load generator's CPU use in cores (1 = one core busy): near 1, the generator itself is the limit. */
  generatorCpu: number;
  /** Latency buckets, for the histogram. */
  histogram: HistogramBucket[];
}

export interface HistogramBucket {
  /** Upper bound of the bucket in ms. */
  upToMs: number;
  count: number;
}

const BAR_WIDTH = 40;
/** Upper bound of the first histogram bucket; each next bucket doubles it (log scale: tails stay visible). */
const FIRST_BUCKET_MS = 0.25;

/** Latency counts in doubling buckets, filled as responses arrive. */
export class LatencyBuckets {
  readonly #counts: number[] = [];

  record(latencyMs: number): void {
    const index = latencyMs <= FIRST_BUCKET_MS ? 0 : Math.ceil(Math.log2(latencyMs / FIRST_BUCKET_MS));
    while (this.#counts.length <= index) this.#counts.push(0);
    this.#counts[index]!++;
  }

  /** The buckets from the first to the last that holds a response. */
  buckets(): HistogramBucket[] {
    const first = this.#counts.findIndex((count) => count > 0);
    if (first < 0) return [];
    return this.#counts.slice(first).map((count, i) => ({ upToMs: FIRST_BUCKET_MS * 2 ** (first + i), count }));
  }
}

/** One line, rewritten each second on a terminal. */
export function formatProgress(lastSecond: number, histogram: Histogram, errors: number): string {
  const p50 = histogram.getValueAtPercentile(50) / 1000;
  const p99 = histogram.getValueAtPercentile(99) / 1000;
  return `${lastSecond} req/s  p50 ${ms(p50)}  p99 ${ms(p99)}  errors ${errors}  total ${histogram.totalCount}`;
}

export function formatReport(report: LoadReport): string {
  const lines: string[] = [];
  lines.push(paint('bold', `fngate load ${report.function}`) + ` — ${report.connections} connections, ${report.durationS.toFixed(1)} s, ${report.url}`);
  lines.push('');
  lines.push(`  requests   ${report.requests}  (${report.rps.toFixed(0)} req/s)`);
  lines.push(`  latency    p50 ${ms(report.latency.p50)}  p90 ${ms(report.latency.p90)}  p99 ${ms(report.latency.p99)}  max ${ms(report.latency.max)}`);
  const codes = Object.entries(report.statusCodes)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([code, count]) => paint(Number(code) < 300 ? 'green' : 'red', `${code}: ${count}`));
  lines.push(`  status     ${codes.join('  ') || '(none)'}${report.errors > 0 ? paint('red', `  errors: ${report.errors}`) : ''}`);
  lines.push(`  cold       ${report.coldStarts} cold starts (${(report.coldStartShare * 100).toFixed(2)} % of requests)`);
  lines.push(`  instances  ${report.instances.before} before, ${report.instances.max} at most, ${report.instances.after} after`);
  const saturated = report.generatorCpu > 0.85;
  lines.push(
    `  generator  ${(report.generatorCpu * 100).toFixed(0)} % of one core` +
      (saturated ? paint('yellow', ' — the load generator is near its limit; the figures above may be its limit, not the gateway’s') : ''),
  );
  lines.push('');
  lines.push('  latency histogram');
  const most = Math.max(1, ...report.histogram.map((bucket) => bucket.count));
  for (const bucket of report.histogram) {
    const bar = '█'.repeat(Math.round((bucket.count / most) * BAR_WIDTH));
    lines.push(`  ≤ ${ms(bucket.upToMs).padStart(10)} │${bar} ${bucket.count}`);
  }
  return `${lines.join('\n')}\n`;
}

function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`;
}
