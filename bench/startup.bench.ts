/**
 * `startup`: gateway start to ready — `node bin/fngate.js serve` until it prints `fngate ready` — against a
 * bare Node process started the same way, in the same run, samples alternating row by row. Rows:
 *   a  bare: `node -e` that prints one line (Node's own start, the floor for any CLI)
 *   b  fngate from dist/ (the build `npm run build` / `prepare` makes) with the examples
 *   c  fngate from the TypeScript sources through tsx (FNGATE_FROM_SOURCE=1) with the examples, as before
 *      the build existed
 *   d  fngate from dist/ with 1,000 Node.js functions
 * Each sample is a fresh process on the server CPU with a fresh data dir; the time runs from spawn to the
 * ready line on stdout; fngate is started as `npm start` does, with --no-node-snapshot on the command line.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { distState } from '../bin/build-state.mjs';
import { BENCH_DIR, REPO_ROOT, defineSubject, ratio, summarize, type BenchContext, type Column, type RowResult } from './harness.ts';

const SAMPLES = 10;
const READY_TIMEOUT_MS = 60_000;
const MANY_FUNCTIONS = 1000;
const BIN = join(REPO_ROOT, 'bin', 'fngate.js');
const EXAMPLES = join(REPO_ROOT, 'examples');
const FLOOR_SERVER = join(BENCH_DIR, 'servers', 'startup-floor.mjs');
/** Targets from issues 10 and 12, shown next to the figures. */
const EXAMPLES_READY_TARGET_MS = 300;
const MANY_READY_TARGET_MS = 3000;

const COLUMNS: Column[] = [
  { key: 'p50Ms', label: 'ready p50 ms', digits: 0 },
  { key: 'p90Ms', label: 'ready p90 ms', digits: 0 },
  { key: 'minMs', label: 'min ms', digits: 0 },
  { key: 'samples', label: 'samples', digits: 0 },
];

interface RowSpec {
  id: string;
  label: string;
  description: string;
  /** argv after `node` and the line that means ready. */
  command(dataDir: string): { args: string[]; env?: Record<string, string>; ready: RegExp };
}

/** A project with `count` copies of the bench hello function, all sharing its code folder. */
function manyFunctionsProject(dir: string, count: number): string {
  mkdirSync(dir, { recursive: true });
  const lines = ['functions:'];
  for (let i = 0; i < count; i++) {
    lines.push(`  fn${String(i).padStart(4, '0')}: { src: ${JSON.stringify(join(BENCH_DIR, 'fixtures', 'hello'))}, handler: index.main_handler, runtime: Nodejs18.15 }`);
  }
  writeFileSync(join(dir, 'fngate.yml'), `${lines.join('\n')}\n`);
  return dir;
}

/** As `npm start` runs it: the flag given on the command line, so the launcher does not start Node twice. */
function serveArgs(project: string, dataDir: string): string[] {
  return ['--no-node-snapshot', BIN, 'serve', project, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir];
}

/** Spawn → the first stdout line matching `ready`, in ms; the process group is ended afterwards. */
async function timeToReady(ctx: BenchContext, args: string[], env: Record<string, string>, ready: RegExp): Promise<number> {
  const startedAt = performance.now();
  const child = spawn('taskset', ['-c', ctx.options.serverCpus, process.execPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, FNGATE_LOG_LEVEL: 'warn', ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within ${READY_TIMEOUT_MS} ms: ${stderr}`)), READY_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (ready.test(line)) {
          clearTimeout(timer);
          resolve(performance.now() - startedAt);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before ready: ${stderr.trim()}`));
      });
    });
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await exited;
  }
}

defineSubject({
  name: 'startup',
  title: 'Gateway start to ready',
  async run(ctx) {
    if (distState(REPO_ROOT) !== 'current') throw new Error('dist/ is missing or older than the sources: run `npm run build` first');
    const many = manyFunctionsProject(join(ctx.tmpDir, 'many'), MANY_FUNCTIONS);
    const ready = /^fngate ready /;
    const rows: RowSpec[] = [
      {
        id: 'a',
        label: 'bare node start',
        description: "node --no-node-snapshot -e \"console.log('up')\": Node's own start, the floor for any CLI.",
        command: () => ({ args: ['--no-node-snapshot', '-e', "console.log('up')"], ready: /^up$/ }),
      },
      {
        id: 'f',
        label: 'the floor: node:http + better-sqlite3 + pino + yaml',
        description:
          "bench/servers/startup-floor.mjs: what any gateway of fngate's shape does before it serves (loads those four, parses examples/fngate.yml, opens a WAL database with one table, logs a line, listens), and nothing else.",
        command: (dataDir) => ({ args: ['--no-node-snapshot', FLOOR_SERVER, EXAMPLES, dataDir], ready }),
      },
      {
        id: 'b',
        label: 'fngate serve examples (dist)',
        description: 'node --no-node-snapshot bin/fngate.js serve examples (as npm start), running the build in dist/: spawn until the "fngate ready" line.',
        command: (dataDir) => ({ args: serveArgs(EXAMPLES, dataDir), ready }),
      },
      {
        id: 'c',
        label: 'fngate serve examples (sources via tsx)',
        description: 'The same with FNGATE_FROM_SOURCE=1: TypeScript compiled by tsx at every start, as before the build.',
        command: (dataDir) => ({ args: serveArgs(EXAMPLES, dataDir), env: { FNGATE_FROM_SOURCE: '1' }, ready }),
      },
      {
        id: 'd',
        label: `fngate serve, ${MANY_FUNCTIONS} functions (dist)`,
        description: `${MANY_FUNCTIONS} Node.js functions sharing one code folder, from dist/.`,
        command: (dataDir) => ({ args: serveArgs(many, dataDir), ready }),
      },
    ];
    const samples = new Map<string, number[]>(rows.map((row) => [row.id, []]));
    const failures = new Map<string, string>();
    for (let round = 0; round < SAMPLES; round++) {
      for (const row of rows) {
        if (failures.has(row.id)) continue;
        const dataDir = join(ctx.tmpDir, `data-${row.id}-${round}`);
        const { args, env = {}, ready: readyLine } = row.command(dataDir);
        try {
          samples.get(row.id)!.push(await timeToReady(ctx, args, env, readyLine));
        } catch (error) {
          failures.set(row.id, error instanceof Error ? error.message : String(error));
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
      ctx.log(`round ${round + 1}/${SAMPLES}`);
    }
    const results: RowResult[] = rows.map((row): RowResult => {
      const base = { id: row.id, label: row.label, description: row.description, trials: [], warnings: [] };
      const failure = failures.get(row.id);
      if (failure !== undefined) return { ...base, status: 'unavailable', reason: failure, metrics: {} };
      const summary = summarize(samples.get(row.id)!);
      return { ...base, status: 'ok', metrics: { p50Ms: summary.p50, p90Ms: summary.p90, minMs: summary.min, samples: summary.n } };
    });
    const p50 = (id: string): number | null => results.find((row) => row.id === id && row.status === 'ok')?.metrics.p50Ms ?? null;
    const examples = p50('b');
    const manyP50 = p50('d');
    return {
      columns: COLUMNS,
      rows: results,
      ratios: [
        ratio(results, 'b', 'a', 'p50Ms', 'b/a ready p50 (fngate over bare node)'),
        ratio(results, 'b', 'f', 'p50Ms', 'b/f ready p50 (fngate over the floor)'),
        ratio(results, 'c', 'b', 'p50Ms', 'c/b ready p50 (sources over build)'),
        { label: 'examples ready p50', value: examples, unit: 'ms', note: `target ≤ ${EXAMPLES_READY_TARGET_MS} ms: ${examples !== null && examples <= EXAMPLES_READY_TARGET_MS ? 'met' : 'missed'}` },
        { label: `${MANY_FUNCTIONS} functions ready p50`, value: manyP50, unit: 'ms', note: `target ≤ ${MANY_READY_TARGET_MS} ms: ${manyP50 !== null && manyP50 <= MANY_READY_TARGET_MS ? 'met' : 'missed'}` },
      ],
      method: `${SAMPLES} samples per row, rows alternating a f b c d each round; each sample a fresh process pinned with taskset -c ${ctx.options.serverCpus} and a fresh data dir; time from spawn to the ready line on stdout.`,
    };
  },
});
