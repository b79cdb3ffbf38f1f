// The load generator: runWrk (wrk pinned to the load CPUs, figures from post-json.lua's JSON) and wrk's version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WRK_POST_SCRIPT, WRK_TIMEOUT } from './constants.ts';
import { execFileAsync, processes } from './processes.ts';
import type { BenchContext } from './types.ts';

export interface WrkRun {
  url: string;
  body: string;
  durationS: number;
  /** Extra request headers (post-json.lua reads them from BENCH_HEADERS, one `Name: value` per line). */
  headers?: Record<string, string>;
}

/** What wrk/post-json.lua's done() writes. */
interface WrkDone {
  durationUs: number;
  requests: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { min: number; mean: number; max: number; stdev: number; p50: number; p75: number; p90: number; p99: number; p999: number };
}

export interface WrkResult {
  rps: number;
  requests: number;
  p50Ms: number;
  p75Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Responses with status >= 400. */
  non2xx: number;
  /** connect/read/write errors and timeouts. */
  socketErrors: number;
}

let wrkRunCounter = 0;

/** Runs wrk pinned to the load CPUs; the figures come from the Lua done() hook as JSON, not from stdout. */
export async function runWrk(ctx: BenchContext, run: WrkRun): Promise<WrkResult> {
  const { options } = ctx;
  const outFile = join(ctx.tmpDir, `wrk-${++wrkRunCounter}.json`);
  const args = [
    '-c', options.loadCpus, 'wrk',
    '-t', String(options.threads),
    '-c', String(options.connections),
    // wrk takes whole seconds.
    '-d', `${Math.max(1, Math.round(run.durationS))}s`,
    '--timeout', WRK_TIMEOUT,
    '--latency',
    '-s', WRK_POST_SCRIPT,
    run.url,
  ];
  const child = processes.spawn('taskset', args, {
    env: {
      ...process.env,
      BENCH_BODY: run.body,
      BENCH_WRK_OUT: outFile,
      BENCH_HEADERS: Object.entries(run.headers ?? {}).map(([name, value]) => `${name}: ${value}`).join('\n'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | string>((resolve) => {
    child.once('exit', (exitCode, signal) => resolve(signal ?? exitCode ?? -1));
    child.once('error', (error) => resolve(error.message));
  });
  if (code !== 0) throw new Error(`wrk failed (${code}): ${output.trim()}`);
  let done: WrkDone;
  try {
    done = JSON.parse(readFileSync(outFile, 'utf8')) as WrkDone;
  } catch (error) {
    throw new Error(`wrk wrote no result to ${outFile} (${String(error)}); its output:\n${output}`);
  }
  const ms = (us: number): number => us / 1000;
  const { errors, latencyUs } = done;
  return {
    rps: done.durationUs > 0 ? done.requests / (done.durationUs / 1e6) : 0,
    requests: done.requests,
    p50Ms: ms(latencyUs.p50),
    p75Ms: ms(latencyUs.p75),
    p90Ms: ms(latencyUs.p90),
    p99Ms: ms(latencyUs.p99),
    meanMs: ms(latencyUs.mean),
    maxMs: ms(latencyUs.max),
    non2xx: errors.status,
    socketErrors: errors.connect + errors.read + errors.write + errors.timeout,
  };
}

let cachedWrkVersion: string | undefined;
export async function wrkVersion(): Promise<string> {
  if (cachedWrkVersion !== undefined) return cachedWrkVersion;
  // `wrk -v` prints its version and exits 1 (it is the usage path).
  const output = await execFileAsync('wrk', ['-v']).then(
    (r) => r.stdout,
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  cachedWrkVersion = /wrk (\S+)/.exec(output)?.[1] ?? 'unknown';
  return cachedWrkVersion;
}
