/**
 * The measuring child of the `node-require` subject (bench/node-require.bench.ts), pinned to the server CPU.
 * Rows, interleaved sample by sample:
 * - `node`: a fresh `node` process requires the packages; the time of the requires alone (performance.now
 *   around them), as real Node pays it at a cold start on top of its own boot.
 * - `isolate`: fngate's Node cold start of a function requiring them (createInstance → start → first result).
 * - `process`: the same with `nodeRuntime: process` (a pre-warmed spare when one is ready).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeProcessRuntime } from '../../runtimes/node-process/adapter.ts';
import { nodeRuntime } from '../../runtimes/node/adapter.ts';
import type { RuntimeAdapter } from '../../runtimes/runtime.ts';
import { benchSpec, readMeasureConfig, sleep, writeMeasureOutput } from './measure-io.ts';

export interface NodeRequireConfig {
  /** A folder whose node_modules holds the packages (given to the function as a layer). */
  packagesDir: string;
  packages: string[];
  samples: number;
  sampleGapMs: number;
}

export interface NodeRequireOutput {
  node: number[];
  isolate: number[];
  process: number[];
  answer: string;
}

const config = readMeasureConfig<NodeRequireConfig>();
const codeDir = mkdtempSync(join(tmpdir(), 'fngate-require-'));
// The process mode runs sandboxed as an unprivileged user: the folder must be readable by others.
chmodSync(codeDir, 0o755);
const requires = config.packages.map((name) => `require(${JSON.stringify(name)});`).join(' ');
writeFileSync(join(codeDir, 'index.js'), `${requires}\nexports.main_handler = async () => ({ loaded: ${config.packages.length} });\n`);
const processAdapter = nodeProcessRuntime();
const signal = new AbortController().signal;

function nodeRequireMs(): number {
  const script = `const t = performance.now(); ${requires} process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(process.execPath, ['-e', script], { cwd: config.packagesDir, encoding: 'utf8' }));
}

async function coldMs(adapter: RuntimeAdapter): Promise<{ ms: number; answer: string }> {
  const started = performance.now();
  const instance = adapter.createInstance(benchSpec(codeDir, { name: 'requires', layerDirs: [config.packagesDir], timeoutMs: 30_000 }));
  try {
    await instance.start();
    const answer = await instance.invoke({ requestId: `r-${started}`, payload: '{}', deadline: Date.now() + 30_000, signal });
    return { ms: performance.now() - started, answer };
  } finally {
    await instance.close();
  }
}

const output: NodeRequireOutput = { node: [], isolate: [], process: [], answer: '' };
try {
  // Discarded: the first isolate start bundles/compiles the on-demand built-ins, the first process start fills the spares.
  await coldMs(nodeRuntime);
  await coldMs(processAdapter);
  nodeRequireMs();
  for (let i = 0; i < config.samples; i++) {
    output.node.push(nodeRequireMs());
    await sleep(config.sampleGapMs);
    const isolate = await coldMs(nodeRuntime);
    output.isolate.push(isolate.ms);
    output.answer = isolate.answer;
    await sleep(config.sampleGapMs);
    output.process.push((await coldMs(processAdapter)).ms);
    await sleep(config.sampleGapMs);
  }
  writeMeasureOutput(output);
} finally {
  await processAdapter.close?.();
  await nodeRuntime.close?.();
  rmSync(codeDir, { recursive: true, force: true });
}
