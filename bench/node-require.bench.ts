/**
 * `node-require`: the cold start of a Node.js function that requires express, axios and mysql2 (the packages
 * of the npm compatibility suite's fixture, test/fixtures/compat), next to the time real Node takes to
 * require the same, in the same run. Rows:
 *   a  real Node: the three requires in a fresh `node` process (their time alone, not Node's boot)
 *   b  fngate, isolate: new instance → start → first result of a function requiring them
 *   c  fngate, `nodeRuntime: process`: the same, a pre-warmed process when one is ready
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeRequireConfig, NodeRequireOutput } from './servers/node-require-worker.ts';
import { BENCH_DIR, REPO_ROOT, defineSubject, ratio, runMeasurement, summarize, type Column, type RowResult } from './harness.ts';

const PACKAGES = ['express', 'axios', 'mysql2'];
const PACKAGES_DIR = join(REPO_ROOT, 'test', 'fixtures', 'compat');
const SAMPLES = 15;
const SAMPLE_GAP_MS = 20;
const WORKER = join(BENCH_DIR, 'servers', 'node-require-worker.ts');

const COLUMNS: Column[] = [
  { key: 'p50Ms', label: 'p50 ms', digits: 1 },
  { key: 'p90Ms', label: 'p90 ms', digits: 1 },
  { key: 'minMs', label: 'min ms', digits: 1 },
  { key: 'samples', label: 'samples', digits: 0 },
];

const ROWS = {
  a: { label: `real Node: require ${PACKAGES.join(', ')}`, description: 'the requires alone, in a fresh node process (performance.now around them)' },
  b: { label: 'fngate isolate cold start, same requires', description: 'createInstance → start → first result; the packages come from a layer' },
  c: { label: 'fngate nodeRuntime: process cold start, same requires', description: 'the same in a Node.js child process (a pre-warmed spare when ready)' },
} as const;

function row(id: keyof typeof ROWS, samples: number[]): RowResult {
  const summary = summarize(samples);
  return {
    id,
    ...ROWS[id],
    status: 'ok',
    metrics: { p50Ms: summary.p50, p90Ms: summary.p90, minMs: summary.min, samples: summary.n },
    trials: samples.map((ms, index) => ({ round: index + 1, metrics: { ms } })),
    warnings: [],
  };
}

defineSubject({
  name: 'node-require',
  title: 'Cold start of a function requiring express, axios and mysql2 vs real Node',
  async run(ctx) {
    if (!existsSync(join(PACKAGES_DIR, 'node_modules', 'express'))) {
      throw new Error('test/fixtures/compat/node_modules is not installed: run the compat test once (or npm ci --ignore-scripts there)');
    }
    const config: NodeRequireConfig = { packagesDir: PACKAGES_DIR, packages: PACKAGES, samples: SAMPLES, sampleGapMs: SAMPLE_GAP_MS };
    const output = await runMeasurement<NodeRequireOutput>(ctx, 'node-require', {
      command: process.execPath,
      args: ['--no-node-snapshot', '--import', 'tsx', WORKER],
      config,
      timeoutMs: 600_000,
    });
    const rows = [row('a', output.node), row('b', output.isolate), row('c', output.process)];
    rows[1]!.sample = output.answer;
    return {
      columns: COLUMNS,
      rows,
      ratios: [ratio(rows, 'b', 'a', 'p50Ms', 'b/a isolate cold start over real Node requires'), ratio(rows, 'c', 'a', 'p50Ms', 'c/a process cold start over real Node requires')],
      method: `one child pinned to CPU ${ctx.options.serverCpus}; ${SAMPLES} samples of a, b, c interleaved after one discarded start of each`,
    };
  },
});
