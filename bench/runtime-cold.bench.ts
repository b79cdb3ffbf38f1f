/**
 * `runtime-cold`: cold start of the subprocess runtimes (a new instance → first invoke result) against a
 * bare spawn of the same interpreter running the same hello, in the same run. Rows, in pairs:
 *   py-pool / py-fresh / py-bare      Python with a pre-warmed spare, without one, `python3 -c`
 *   php-pool / php-fresh / php-bare   PHP likewise, `php -r`
 *   java / java-bare                  Java17 (always a fresh JVM), `java bare.Main`
 *   go / go-bare                      Go1 (scf-go-lib net/rpc), the same handler as a one-shot binary
 *   custom / custom-bare              CustomRuntime with SCF's bash+curl bootstrap, `bash -c`
 * The Go and Java programs are compiled at set-up; the measuring runs in bench/servers/runtime-cold-worker.ts,
 * a child pinned to the server CPU with everything it spawns.
 */
import { join } from 'node:path';
import { buildGo, buildJava } from './runtime-builds.ts';
import type { RowOutput, RuntimeColdConfig, RuntimeColdOutput } from './servers/runtime-cold-worker.ts';
import {
  BENCH_DIR,
  defineSubject,
  ratio,
  runMeasurement,
  summarize,
  type Column,
  type Ratio,
  type RowResult,
} from './harness.ts';

const SAMPLES = 30;
const SAMPLE_GAP_MS = 20;
const SAMPLE_TIMEOUT_MS = 30_000;
const WORKER_TIMEOUT_MS = 900_000;
const FIXTURES = join(BENCH_DIR, 'fixtures', 'runtime-cold');
const WORKER = join(BENCH_DIR, 'servers', 'runtime-cold-worker.ts');
const PAYLOAD = JSON.stringify({ name: 'bench' });
const EXPECTED = JSON.stringify({ hello: 'bench' });
/** Targets from the issues, shown next to the figures (issue 12: Python from the pre-warmed pool ≤ 5 ms). */
const PY_POOL_P50_TARGET_MS = 5;
const PY_FRESH_RATIO_TARGET = 1.5;

const ROWS: Array<{ id: string; label: string; description: string }> = [
  { id: 'py-pool', label: 'fngate Python, pre-warmed pool', description: 'pythonRuntime({ prewarm: 1 }): the instance adopts a booted spare (pool refilled off the clock before and after each sample); bench/fixtures/python-hello.' },
  { id: 'py-fresh', label: 'fngate Python, no pre-warm', description: 'pythonRuntime({ prewarm: 0 }): spawn python3 -u -s -S -B + shim, load, first invoke.' },
  { id: 'py-bare', label: 'bare python3 -c hello', description: 'The resolved python3 with fngate\'s flags (-u -s -S -B), -c importing the same index.py and printing main_handler(event).' },
  { id: 'php-pool', label: 'fngate PHP, pre-warmed pool', description: 'phpRuntime({ prewarm: 1 }), as py-pool; bench/fixtures/runtime-cold/php.' },
  { id: 'php-fresh', label: 'fngate PHP, no pre-warm', description: 'phpRuntime({ prewarm: 0 }): spawn php-cli + shim, load, first invoke.' },
  { id: 'php-bare', label: 'bare php -r hello', description: 'The resolved php with fngate\'s -d options, -r requiring the same index.php and echoing main_handler(event).' },
  { id: 'java', label: 'fngate Java17 (fresh JVM)', description: 'javaRuntime(): every instance is a new JVM running the shim jar; example.Hello::mainHandler.' },
  { id: 'java-bare', label: 'bare java bare.Main', description: 'The same JVM and options (-Xmx102m -XX:+UseSerialGC …) running bare.Main, which calls the same Hello once and prints.' },
  { id: 'go', label: 'fngate Go1 (net/rpc)', description: 'goRuntime(): the hello binary built against the scf-go-lib stand-in (test/fixtures/go/cloudfunction), Function.Invoke over net/rpc.' },
  { id: 'go-bare', label: 'bare Go binary', description: 'The same handler package as a one-shot binary: parse argv[1], print the answer, exit.' },
  { id: 'custom', label: 'fngate CustomRuntime, bash+curl', description: 'customRuntime(): SCF\'s bash sample bootstrap (curl to the Runtime API for ready, next and response) running index.sh.' },
  { id: 'custom-bare', label: 'bare bash -c hello', description: 'bash -c sourcing the same index.sh and printing main_handler "$event".' },
];

const COLUMNS: Column[] = [
  { key: 'p50Ms', label: 'p50 ms', digits: 2 },
  { key: 'p90Ms', label: 'p90 ms', digits: 2 },
  { key: 'minMs', label: 'min ms', digits: 2 },
  { key: 'initRuntimeP50Ms', label: 'initRuntime p50 ms', digits: 2 },
  { key: 'initFunctionP50Ms', label: 'initFunction p50 ms', digits: 2 },
  { key: 'exitP50Ms', label: 'bare: to exit p50 ms', digits: 2 },
  { key: 'samples', label: 'samples', digits: 0 },
];

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function rowResult(row: (typeof ROWS)[number], out: RowOutput | undefined, samples: number): RowResult {
  const base = { id: row.id, label: row.label, description: out?.command ? `${row.description} Command: ${out.command}` : row.description };
  if (!out || (out.error && out.samples.length === 0)) {
    return { ...base, status: 'unavailable', reason: out?.error ?? 'the measuring child reported nothing for this row', metrics: {}, trials: [], warnings: [] };
  }
  const total = summarize(out.samples.map((s) => s.totalMs));
  const metrics: Record<string, number> = { p50Ms: total.p50, p90Ms: total.p90, minMs: total.min, maxMs: total.max, samples: total.n };
  if (out.samples[0]?.exitMs !== undefined) metrics.exitP50Ms = summarize(out.samples.map((s) => s.exitMs!)).p50;
  if (out.samples[0]?.initRuntimeMs !== undefined) {
    metrics.initRuntimeP50Ms = summarize(out.samples.map((s) => s.initRuntimeMs!)).p50;
    metrics.initFunctionP50Ms = summarize(out.samples.map((s) => s.initFunctionMs!)).p50;
  }
  const warnings = out.error ? [`stopped after ${out.samples.length} of ${samples} samples: ${out.error.split('\n', 1)[0]}`] : [];
  return {
    ...base,
    status: 'ok',
    metrics,
    trials: out.samples.map((sample, index) => ({ round: index + 1, metrics: { ...sample } })),
    warnings,
    ...(out.answer === undefined ? {} : { sample: out.answer }),
  };
}

function withTarget(figure: Ratio, limit: number, unit: string): Ratio {
  if (figure.value === null) return figure;
  return { ...figure, note: `target ≤ ${limit}${unit === '×' ? '×' : ` ${unit}`}: ${figure.value <= limit ? 'met' : 'missed'}` };
}

export const runtimeColdSubject = defineSubject({
  name: 'runtime-cold',
  title: 'Subprocess runtime cold start vs a bare interpreter spawn',
  async run(ctx) {
    ctx.log('building the Go and Java programs');
    const [go, java] = await Promise.all([buildGo(ctx, join(FIXTURES, 'go')), buildJava(ctx, join(FIXTURES, 'java'))]);
    if ('unavailable' in go) ctx.log(`go rows unavailable: ${go.unavailable.split('\n', 1)[0]}`);
    if ('unavailable' in java) ctx.log(`java rows unavailable: ${java.unavailable.split('\n', 1)[0]}`);
    const config: RuntimeColdConfig = {
      samples: SAMPLES,
      payload: PAYLOAD,
      expected: EXPECTED,
      sampleGapMs: SAMPLE_GAP_MS,
      sampleTimeoutMs: SAMPLE_TIMEOUT_MS,
      pythonDir: join(BENCH_DIR, 'fixtures', 'python-hello'),
      phpDir: join(FIXTURES, 'php'),
      customDir: join(FIXTURES, 'custom'),
      go,
      java,
      rows: ROWS.map((row) => row.id),
    };
    ctx.log(`measuring: ${SAMPLES} samples per row, rows interleaved`);
    let output: RuntimeColdOutput | undefined;
    let failure: string | undefined;
    try {
      output = await runMeasurement<RuntimeColdOutput>(ctx, 'runtime-cold', {
        command: process.execPath,
        args: ['--no-node-snapshot', '--import', 'tsx', WORKER],
        config,
        timeoutMs: WORKER_TIMEOUT_MS,
      });
    } catch (error) {
      failure = message(error);
    }
    const rows = ROWS.map((row) =>
      failure === undefined ? rowResult(row, output?.rows[row.id], SAMPLES) : { ...row, status: 'unavailable' as const, reason: failure, metrics: {}, trials: [], warnings: [] },
    );
    for (const row of rows) {
      ctx.log(
        row.status === 'ok'
          ? `${row.id}: p50 ${row.metrics.p50Ms!.toFixed(2)} ms, p90 ${row.metrics.p90Ms!.toFixed(2)} ms`
          : `${row.id}: unavailable: ${(row.reason ?? '').split('\n', 1)[0]}`,
      );
    }
    const pyPool = rows.find((row) => row.id === 'py-pool');
    const ratios: Ratio[] = [
      withTarget(
        pyPool?.status === 'ok' ? { label: 'py-pool p50 (Python, pre-warmed)', value: pyPool.metrics.p50Ms!, unit: 'ms' } : { label: 'py-pool p50 (Python, pre-warmed)', value: null, unit: 'ms', note: 'row py-pool unavailable' },
        PY_POOL_P50_TARGET_MS,
        'ms',
      ),
      withTarget(ratio(rows, 'py-fresh', 'py-bare', 'p50Ms', 'py-fresh/py-bare p50 (Python without pre-warm vs bare spawn)'), PY_FRESH_RATIO_TARGET, '×'),
      ratio(rows, 'py-pool', 'py-bare', 'p50Ms', 'py-pool/py-bare p50'),
      ratio(rows, 'php-pool', 'php-bare', 'p50Ms', 'php-pool/php-bare p50'),
      ratio(rows, 'php-fresh', 'php-bare', 'p50Ms', 'php-fresh/php-bare p50'),
      ratio(rows, 'java', 'java-bare', 'p50Ms', 'java/java-bare p50'),
      ratio(rows, 'go', 'go-bare', 'p50Ms', 'go/go-bare p50'),
      ratio(rows, 'custom', 'custom-bare', 'p50Ms', 'custom/custom-bare p50'),
    ];
    for (const r of ratios) ctx.log(`${r.label}: ${r.value === null ? `— (${r.note})` : `${r.value.toFixed(2)}${r.unit && r.unit !== '×' ? ` ${r.unit}` : '×'}${r.note ? ` (${r.note})` : ''}`}`);
    return {
      columns: COLUMNS,
      rows,
      ratios,
      method:
        `one \`node --no-node-snapshot\` child pinned to CPU ${ctx.options.serverCpus} (taskset), which spawns every interpreter there too; ` +
        `${SAMPLES} samples per row after one discarded sample, rows interleaved in rotating order, ${SAMPLE_GAP_MS} ms apart`,
      notes: [
        'fngate rows: adapter.createInstance(spec) → start() → invoke() until the JSON result, in process (no HTTP, no gateway pool); the instance is closed off the clock. ' +
          'Bare rows: child_process.spawn → the answer\'s line on stdout (the exit is awaited off the clock; its p50 is in the last time column), the interpreter running the same handler file once.',
        'The custom runtime pays three curl processes per cold start (ready, next, response) on top of bash; its bare row is bash alone.',
      ],
    };
  },
});
