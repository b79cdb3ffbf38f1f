/**
 * The measuring child of the `runtime-cold` subject (bench/runtime-cold.bench.ts), pinned to the server
 * CPU with everything it spawns. For each subprocess runtime it times fngate's cold start (a new
 * instance → start() → first invoke result) and a bare spawn of the same interpreter running the same
 * hello (spawn → output → exit), sample by sample, the rows interleaved and their order rotating.
 */
import { spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { customRuntime } from '../../runtimes/custom/adapter.ts';
import { goRuntime } from '../../runtimes/go/adapter.ts';
import { javaRuntime, jvmOptions } from '../../runtimes/java/adapter.ts';
import { findOnPath, javaShimJar } from '../../runtimes/java/shim-build.ts';
import { PHP_ARGS, phpProfile, phpRuntime } from '../../runtimes/php/adapter.ts';
import { PYTHON_ARGS, pythonProfile, pythonRuntime } from '../../runtimes/python/adapter.ts';
import type { FunctionSpec, InvokeRequest, RuntimeAdapter } from '../../runtimes/runtime.ts';
import { benchSpec, readMeasureConfig, sleep, writeMeasureOutput } from './measure-io.ts';

export interface RuntimeColdConfig {
  samples: number;
  payload: string;
  /** The answer every row must give, as normalised JSON. */
  expected: string;
  /** Pause between samples, so one row's clean-up does not run inside the next row's clock. */
  sampleGapMs: number;
  /** Longest one sample may take before its row is given up. */
  sampleTimeoutMs: number;
  pythonDir: string;
  phpDir: string;
  customDir: string;
  /** Folder of the compiled `hello` (function) and `bare` Go binaries, or why they could not be built. */
  go: { dir: string } | { unavailable: string };
  /** Folder of the compiled example.Hello and bare.Main classes, or why they could not be built. */
  java: { dir: string } | { unavailable: string };
  /** Row ids to run, in order; the others are skipped. */
  rows: string[];
}

export interface ColdSample {
  /** To the result (fngate) or to the answer's line on stdout (bare). */
  totalMs: number;
  initRuntimeMs?: number;
  initFunctionMs?: number;
  /** Bare rows: to the process's exit. */
  exitMs?: number;
}

export interface RowOutput {
  samples: ColdSample[];
  answer?: string;
  /** Why the row could not run, or stopped. */
  error?: string;
  /** The interpreter command line of a bare row, for the results. */
  command?: string;
}

export interface RuntimeColdOutput {
  rows: Record<string, RowOutput>;
}

interface Row {
  id: string;
  /** Resolve, build, warm; one discarded sample. Throws when the row cannot run here. */
  prepare(): Promise<void>;
  sample(): Promise<{ sample: ColdSample; answer: string }>;
  close(): Promise<void>;
  command?: string;
}

const config = readMeasureConfig<RuntimeColdConfig>();
const signal = new AbortController().signal;
let requestCount = 0;

function request(spec: FunctionSpec): InvokeRequest {
  return { requestId: `bench-${++requestCount}`, payload: config.payload, deadline: Date.now() + spec.timeoutMs, signal };
}

function check(answer: string, id: string): string {
  let normal: string;
  try {
    normal = JSON.stringify(JSON.parse(answer));
  } catch {
    throw new Error(`${id} answered ${JSON.stringify(answer.slice(0, 200))}, not JSON`);
  }
  if (normal !== config.expected) throw new Error(`${id} answered ${answer.trim()}, expected ${config.expected}`);
  return answer.trim();
}

/**
 * fngate's cold start through the adapter. `pooled`: the adapter keeps a pre-warmed spare, and the pool
 * is refilled (off the clock) before and after each sample, so every sample finds a booted spare and no
 * refill runs during another row's sample. The refill fngate starts when a spare is taken still runs
 * during this sample's load and invoke, as it does in the gateway.
 */
function fngateRow(id: string, makeAdapter: () => RuntimeAdapter, spec: FunctionSpec, options: { pooled?: boolean } = {}): Row {
  let adapter: RuntimeAdapter | undefined;
  const warm = async (): Promise<void> => {
    const shim = adapter as { warm?: () => Promise<void> };
    if (shim.warm) await shim.warm();
  };
  const row: Row = {
    id,
    async prepare() {
      adapter = makeAdapter();
      await warm(); // resolves the interpreter (and fills the pool when there is one)
      await row.sample();
    },
    async sample() {
      if (options.pooled) await warm();
      const started = performance.now();
      const instance = adapter!.createInstance(spec);
      try {
        const timings = await instance.start();
        const answer = await instance.invoke(request(spec));
        const totalMs = performance.now() - started;
        return { sample: { totalMs, initRuntimeMs: timings.initRuntimeMs, initFunctionMs: timings.initFunctionMs }, answer: check(answer, id) };
      } finally {
        await instance.close();
        if (options.pooled) await warm();
      }
    },
    async close() {
      await adapter?.close?.();
    },
  };
  return row;
}

/**
 * A bare spawn: the interpreter runs the same hello once and exits. Timed from spawn to the answer's
 * line on stdout, as fngate's rows are timed to the result (their process stays up); the exit is
 * awaited off the clock and recorded as `exitMs`.
 */
function bareRow(id: string, resolve: () => Promise<{ command: string; args: string[]; cwd: string }>): Row {
  let resolved: { command: string; args: string[]; cwd: string } | undefined;
  const row: Row = {
    id,
    async prepare() {
      resolved = await resolve();
      row.command = [resolved.command, ...resolved.args].join(' ');
      await row.sample();
    },
    async sample() {
      const { command, args, cwd } = resolved!;
      const started = performance.now();
      const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let answeredAt: number | undefined;
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (answeredAt === undefined && stdout.includes('\n')) answeredAt = performance.now();
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | string>((resolveExit) => {
        child.once('close', (exitCode, exitSignal) => resolveExit(exitSignal ?? exitCode ?? -1));
        child.once('error', (error) => resolveExit(error.message));
      });
      const exitMs = performance.now() - started;
      if (code !== 0) throw new Error(`${id}: ${command} exited with ${code}: ${stderr.trim().slice(0, 500)}`);
      return { sample: { totalMs: (answeredAt ?? performance.now()) - started, exitMs }, answer: check(stdout, id) };
    },
    async close() {},
  };
  return row;
}

function unavailableRow(id: string, reason: string): Row {
  return { id, prepare: () => Promise.reject(new Error(reason)), sample: () => Promise.reject(new Error(reason)), close: async () => {} };
}

async function resolvedJava(): Promise<string> {
  const found = await findOnPath('java');
  if (!found) throw new Error('java is not on PATH');
  return realpath(found);
}

const event = config.payload;
const pythonSpec = benchSpec(config.pythonDir, { name: 'python-hello', runtime: 'Python3.9' });
const phpSpec = benchSpec(config.phpDir, { name: 'php-hello', runtime: 'Php8.0' });
const javaSpec = (dir: string): FunctionSpec => benchSpec(dir, { name: 'java-hello', runtime: 'Java17', handler: 'example.Hello::mainHandler' });
const customSpec = benchSpec(config.customDir, { name: 'custom-hello', runtime: 'CustomRuntime', handler: 'index.main_handler' });
const pythonBare = `import json, sys; from index import main_handler; print(json.dumps(main_handler(json.loads(sys.argv[1]), {})))`;
const phpBare = `require "index.php"; echo json_encode(main_handler(json_decode($argv[1]), [])), "\\n";`;

const allRows: Row[] = [
  fngateRow('py-pool', () => pythonRuntime({ prewarm: 1 }), pythonSpec, { pooled: true }),
  fngateRow('py-fresh', () => pythonRuntime({ prewarm: 0 }), pythonSpec),
  bareRow('py-bare', async () => ({
    command: (await pythonProfile.resolve('python3')).command,
    args: [...PYTHON_ARGS, '-c', pythonBare, event],
    cwd: config.pythonDir,
  })),
  fngateRow('php-pool', () => phpRuntime({ prewarm: 1 }), phpSpec, { pooled: true }),
  fngateRow('php-fresh', () => phpRuntime({ prewarm: 0 }), phpSpec),
  bareRow('php-bare', async () => ({
    command: (await phpProfile.resolve('php')).command,
    args: [...PHP_ARGS, '-r', phpBare, '--', event],
    cwd: config.phpDir,
  })),
  'dir' in config.java
    ? fngateRow('java', () => javaRuntime(), javaSpec(config.java.dir))
    : unavailableRow('java', config.java.unavailable),
  'dir' in config.java
    ? bareRow('java-bare', async () => {
        const java = await resolvedJava();
        const javaDir = (config.java as { dir: string }).dir;
        // The shim jar holds com.qcloud.scf.runtime.Context, which example.Hello's signature names.
        return { command: java, args: [...jvmOptions(javaSpec(javaDir).memoryMb), '-cp', `${javaDir}:${await javaShimJar(java)}`, 'bare.Main', event], cwd: javaDir };
      })
    : unavailableRow('java-bare', config.java.unavailable),
  'dir' in config.go
    ? fngateRow('go', () => goRuntime(), benchSpec(config.go.dir, { name: 'go-hello', runtime: 'Go1', handler: 'hello' }))
    : unavailableRow('go', config.go.unavailable),
  'dir' in config.go
    ? bareRow('go-bare', async () => ({ command: join((config.go as { dir: string }).dir, 'bare'), args: [event], cwd: (config.go as { dir: string }).dir }))
    : unavailableRow('go-bare', config.go.unavailable),
  fngateRow('custom', () => customRuntime(), customSpec),
  bareRow('custom-bare', async () => ({
    command: '/bin/bash',
    args: ['-c', 'source ./index.sh && main_handler "$0" && echo', event],
    cwd: config.customDir,
  })),
];

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${config.sampleTimeoutMs} ms`)), config.sampleTimeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const rows = allRows.filter((row) => config.rows.includes(row.id));
const output: RuntimeColdOutput = { rows: {} };
const live: Row[] = [];
for (const row of rows) {
  const out: RowOutput = { samples: [] };
  output.rows[row.id] = out;
  try {
    await withTimeout(row.prepare(), `${row.id} preparation`);
    live.push(row);
    if (row.command) out.command = row.command;
    console.log(`${row.id}: ready`);
  } catch (error) {
    out.error = message(error);
    console.log(`${row.id}: unavailable: ${out.error}`);
  }
}
for (let i = 0; i < config.samples; i++) {
  // Rotating order: no row always follows the same other row.
  const order = live.map((_, k) => live[(k + i) % live.length]!);
  for (const row of order) {
    const out = output.rows[row.id]!;
    if (out.error) continue;
    try {
      const { sample, answer } = await withTimeout(row.sample(), `${row.id} sample ${i + 1}`);
      out.samples.push(sample);
      out.answer = answer;
    } catch (error) {
      out.error = `sample ${i + 1} failed: ${message(error)}`;
      console.log(`${row.id}: ${out.error}`);
    }
    await sleep(config.sampleGapMs);
  }
  if ((i + 1) % 5 === 0) console.log(`samples: ${i + 1}/${config.samples}`);
}
await Promise.allSettled(rows.map((row) => row.close()));
writeMeasureOutput(output);
// Whatever a runtime left behind (a socket, a timer) must not keep the measurement from ending.
process.exit(0);
