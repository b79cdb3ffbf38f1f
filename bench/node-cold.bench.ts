/**
 * `node-cold`: the Node runtime's cold start and the memory of a warm idle instance, against bare
 * isolated-vm in the same run. Rows:
 *   a  bare isolated-vm cold start: new Isolate + createContext + evalSync of the hello handler + one apply
 *   b  fngate Node cold start: nodeRuntime.createInstance → start() → first invoke result
 *   c  bare isolated-vm idle memory: isolates as in a, held at once
 *   d  fngate idle memory: warm instances (started, invoked once) held at once
 * Each part runs in its own child (bench/servers/node-cold-worker.ts) started as
 * `node --expose-gc --no-node-snapshot` and pinned to the server CPU, so the RSS it reads is its own.
 */
import { join } from 'node:path';
import { REFILL_DELAY_MS } from '../runtimes/node/spares.ts';
import type { NodeColdConfig, NodeColdMode, NodeColdOutput } from './servers/node-cold-worker.ts';
import {
  BENCH_DIR,
  defineSubject,
  ratio,
  runMeasurement,
  summarize,
  type BenchContext,
  type Column,
  type Ratio,
  type RowResult,
} from './harness.ts';

/** Cold-start samples of each kind (after one discarded warm-up start each). */
const COLD_SAMPLES = 50;
/** Warm idle instances held at once for the memory rows. */
const MEMORY_INSTANCES = 200;
/**
 * Pause after each sample: longer than the spares' refill delay plus a refill (runtimes/node/spares.ts
 * REFILL_DELAY_MS), so each fngate sample finds a spare as a cold start that is not back to back with
 * another does, and no refill runs during either kind's sample.
 */
const SAMPLE_GAP_MS = 25;
const SETTLE_MS = 500;
const WORKER = join(BENCH_DIR, 'servers', 'node-cold-worker.ts');
const HELLO_DIR = join(BENCH_DIR, 'fixtures', 'hello');
const PAYLOAD = JSON.stringify({ name: 'bench' });
const EXPECTED = JSON.stringify({ hello: 'bench' });
/** Generous: 200 instances on a loaded core take seconds, never minutes. */
const WORKER_TIMEOUT_MS = 300_000;
const MIB = 1024 * 1024;
/** Issue 12's targets, shown next to the figures: cold start p50 ≤ 2 ms; 1,000 warm instances ≤ 2 GB RSS. */
const COLD_P50_TARGET_MS = 2;
const IDLE_MB_TARGET = 2;

const COLUMNS: Column[] = [
  { key: 'p50Ms', label: 'cold p50 ms', digits: 2 },
  { key: 'p90Ms', label: 'cold p90 ms', digits: 2 },
  { key: 'initRuntimeP50Ms', label: 'initRuntime p50 ms', digits: 2 },
  { key: 'initFunctionP50Ms', label: 'initFunction p50 ms', digits: 2 },
  { key: 'rssMbPerInstance', label: 'RSS MB per instance', digits: 2 },
  { key: 'heapMbP50', label: 'heap+external p50 MB', digits: 2 },
  { key: 'samples', label: 'samples', digits: 0 },
];

const ROWS = {
  a: {
    label: 'bare isolated-vm cold start',
    description:
      'new ivm.Isolate({ memoryLimit: 128 }) + createContextSync + evalSync of bench/fixtures/hello/index.js (as a CommonJS body, JSON in and out) + one Reference.apply, until the result.',
  },
  b: {
    label: 'fngate Node cold start',
    description:
      `nodeRuntime.createInstance(spec) → start() → invoke() of bench/fixtures/hello (128 MB), until the JSON result. The adapter keeps 2 isolates per memory limit with context and shim set up (runtimes/node/spares.ts), refilled ${REFILL_DELAY_MS} ms after the last take, on the isolate's thread, within the ${SAMPLE_GAP_MS} ms between samples.`,
  },
  c: {
    label: 'bare isolated-vm idle memory',
    description: `${MEMORY_INSTANCES} isolates as in a, held at once: process RSS growth after gc / ${MEMORY_INSTANCES}; heap = used_heap_size + externally_allocated_size.`,
  },
  d: {
    label: 'fngate idle Node instance memory',
    description: `${MEMORY_INSTANCES} warm instances (started, invoked once) held at once: process RSS growth after gc / ${MEMORY_INSTANCES}; heap = instance.memoryUsage().`,
  },
} as const;

type RowId = keyof typeof ROWS;

function emptyRow(id: RowId): RowResult {
  return { id, ...ROWS[id], status: 'ok', metrics: {}, trials: [], warnings: [] };
}

function unavailable(row: RowResult, error: unknown): RowResult {
  return { ...row, status: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
}

function runWorker(ctx: BenchContext, mode: NodeColdMode): Promise<NodeColdOutput> {
  const config: NodeColdConfig = { mode, codeDir: HELLO_DIR, payload: PAYLOAD, expected: EXPECTED, samples: COLD_SAMPLES, instances: MEMORY_INSTANCES, sampleGapMs: SAMPLE_GAP_MS, settleMs: SETTLE_MS };
  return runMeasurement<NodeColdOutput>(ctx, `node-${mode}`, {
    command: process.execPath,
    args: ['--expose-gc', '--no-node-snapshot', '--import', 'tsx', WORKER],
    config,
    timeoutMs: WORKER_TIMEOUT_MS,
  });
}

async function coldRows(ctx: BenchContext): Promise<RowResult[]> {
  const a = emptyRow('a');
  const b = emptyRow('b');
  ctx.log(`cold start: ${COLD_SAMPLES} samples each, interleaved`);
  let cold: NonNullable<NodeColdOutput['cold']>;
  try {
    cold = (await runWorker(ctx, 'cold')).cold!;
  } catch (error) {
    return [unavailable(a, error), unavailable(b, error)];
  }
  const total = summarize(cold.ivm.map((s) => s.totalMs));
  a.metrics = { p50Ms: total.p50, p90Ms: total.p90, minMs: total.min, maxMs: total.max, samples: total.n };
  a.trials = cold.ivm.map((sample, index) => ({ round: index + 1, metrics: { ...sample } }));
  a.sample = cold.ivmAnswer;
  const fngate = summarize(cold.fngate.map((s) => s.totalMs));
  b.metrics = {
    p50Ms: fngate.p50,
    p90Ms: fngate.p90,
    minMs: fngate.min,
    maxMs: fngate.max,
    initRuntimeP50Ms: summarize(cold.fngate.map((s) => s.initRuntimeMs ?? Number.NaN)).p50,
    initFunctionP50Ms: summarize(cold.fngate.map((s) => s.initFunctionMs ?? Number.NaN)).p50,
    samples: fngate.n,
  };
  b.trials = cold.fngate.map((sample, index) => ({ round: index + 1, metrics: { ...sample } }));
  b.sample = cold.fngateAnswer;
  for (const row of [a, b]) ctx.log(`${row.id} ${row.label}: p50 ${row.metrics.p50Ms!.toFixed(2)} ms, p90 ${row.metrics.p90Ms!.toFixed(2)} ms`);
  return [a, b];
}

async function memoryRow(ctx: BenchContext, id: 'c' | 'd'): Promise<RowResult> {
  const row = emptyRow(id);
  ctx.log(`${id} ${row.label}: ${MEMORY_INSTANCES} instances`);
  let memory: NonNullable<NodeColdOutput['memory']>;
  try {
    memory = (await runWorker(ctx, id === 'c' ? 'memory-ivm' : 'memory-fngate')).memory!;
  } catch (error) {
    return unavailable(row, error);
  }
  row.metrics = {
    rssMbPerInstance: memory.perInstanceBytes / MIB,
    heapMbP50: summarize(memory.heapBytes).p50 / MIB,
    rssBeforeMb: memory.rssBefore / MIB,
    rssAfterMb: memory.rssAfter / MIB,
    samples: memory.instances,
  };
  row.trials = [{ round: 1, metrics: { ...row.metrics } }];
  row.sample = memory.answer;
  ctx.log(`${id}: ${row.metrics.rssMbPerInstance!.toFixed(2)} MB RSS per instance, heap p50 ${row.metrics.heapMbP50!.toFixed(2)} MB`);
  return row;
}

/** A headline figure of one row with its target. */
function target(rows: RowResult[], id: RowId, metric: string, label: string, unit: string, limit: number): Ratio {
  const row = rows.find((r) => r.id === id);
  const value = row?.status === 'ok' ? row.metrics[metric] : undefined;
  if (value === undefined) return { label, value: null, unit, note: `row ${id} unavailable` };
  return { label, value, unit, note: `target ≤ ${limit} ${unit}: ${value <= limit ? 'met' : 'missed'}` };
}

export const nodeColdSubject = defineSubject({
  name: 'node-cold',
  title: 'Node cold start and idle instance memory (isolated-vm)',
  async run(ctx) {
    const rows = [...(await coldRows(ctx)), await memoryRow(ctx, 'c'), await memoryRow(ctx, 'd')];
    const ratios: Ratio[] = [
      target(rows, 'b', 'p50Ms', 'b fngate cold start p50', 'ms', COLD_P50_TARGET_MS),
      ratio(rows, 'b', 'a', 'p50Ms', 'b/a cold start p50 (fngate vs bare isolate)'),
      ratio(rows, 'b', 'a', 'p90Ms', 'b/a cold start p90'),
      target(rows, 'd', 'rssMbPerInstance', 'd RSS per idle fngate instance', 'MB', IDLE_MB_TARGET),
      ratio(rows, 'd', 'c', 'rssMbPerInstance', 'd/c RSS per instance (fngate vs bare isolate)'),
    ];
    for (const r of ratios) ctx.log(`${r.label}: ${r.value === null ? `— (${r.note})` : `${r.value.toFixed(2)} ${r.unit ?? '×'}${r.note ? ` (${r.note})` : ''}`}`);
    return {
      columns: COLUMNS,
      rows,
      ratios,
      method:
        `each part in its own \`node --expose-gc --no-node-snapshot\` child pinned to CPU ${ctx.options.serverCpus} (taskset); ` +
        `cold start: ${COLD_SAMPLES} samples of a and b interleaved (order alternating, ${SAMPLE_GAP_MS} ms apart) after one discarded start of each; ` +
        `memory: ${MEMORY_INSTANCES} instances held at once, RSS read after gc and a ${SETTLE_MS} ms settle`,
      notes: [
        'Cold start is timed in the same process from createInstance (or new Isolate) to the first result: no HTTP, no pool. ' +
          'initRuntime = isolate + context + shim set-up, initFunction = loading the handler file; b also pays its first invoke.',
        'RSS per instance counts everything an instance adds to the gateway process (V8 heap, isolate bookkeeping, the host-side objects); ' +
          'the heap column is what the instance reports (used heap + external), the figure fngate checks against memorySize.',
      ],
    };
  },
});
