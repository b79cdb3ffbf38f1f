/**
 * `fngate load <function>`: a load test of the invocation path, on autocannon (a well-kept HTTP/1.1 load
 * generator with pipelining, pacing and HDR histograms, already this project's benchmark client).
 * Against a running gateway (`--url`) or one started for the run (`--serve <dir>`, a child process, so the
 * generator and the server never share an event loop). Reports throughput, latency percentiles with a
 * histogram, the status codes seen, cold starts during the run and instances used (from the gateway's
 * function API, before and after), and the generator's own CPU use, so a saturated generator is visible.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { readClientToken } from '../auth/file-store.ts';
import { formatProgress, formatReport, LatencyBuckets, type LoadReport } from './load-report.ts';

export interface LoadOptions {
  url?: string;
  serve?: string;
  connections: number;
  /** Seconds; ignored when `requests` is set. */
  durationS: number;
  requests?: number;
  /** Requests per second over all connections (paced); unpaced when absent. */
  rate?: number;
  event?: string;
  qualifier?: string;
  namespace?: string;
  type: 'RequestResponse' | 'Event';
  json: boolean;
  /** The API token, for the function API (instances, cold starts) and `invokeAuth: token` functions. */
  token?: string;
}

/** What the function API says of a function (routes/functions.ts). */
interface FunctionFacts {
  instances: number;
  coldStarts: number;
}

/** How often the function's instance count is sampled during the run. */
const INSTANCE_SAMPLE_MS = 250;
const SERVE_READY_TIMEOUT_MS = 30_000;
const MS_PER_NS = 1e-6;

export class LoadError extends Error {}

export async function runLoad(name: string, options: LoadOptions, out: NodeJS.WriteStream = process.stdout): Promise<LoadReport> {
  const served = options.serve !== undefined ? await serveForRun(options.serve) : undefined;
  try {
    const base = served?.url ?? options.url ?? 'http://127.0.0.1:9000';
    return await measure(name, base, { ...options, token: served?.token ?? options.token }, out);
  } finally {
    await served?.stop();
  }
}

async function measure(name: string, base: string, options: LoadOptions, out: NodeJS.WriteStream): Promise<LoadReport> {
  const query = new URLSearchParams();
  if (options.qualifier) query.set('qualifier', options.qualifier);
  if (options.namespace) query.set('namespace', options.namespace);
  const factsUrl = `${base}/functions/${encodeURIComponent(name)}${options.namespace ? `?namespace=${encodeURIComponent(options.namespace)}` : ''}`;
  const before = await functionFacts(factsUrl, options.token);
  const body = options.event === undefined ? '{}' : readFileSync(options.event === '-' ? 0 : options.event, 'utf8');

  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const buckets = new LatencyBuckets();
  const statusCodes: Record<string, number> = {};
  let maxInstances = before.instances;
  const sampler = setInterval(() => {
    functionFacts(factsUrl, options.token).then(
      (facts) => (maxInstances = Math.max(maxInstances, facts.instances)),
      () => {},
    );
  }, INSTANCE_SAMPLE_MS);
  const cpuBefore = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  const interactive = out.isTTY === true && !options.json;

  let settle!: (error: Error | null, result: autocannon.Result) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    settle = (error, result) => (error ? reject(error) : resolve(result));
  });
  const instance = autocannon({
    url: `${base}/functions/${encodeURIComponent(name)}/invoke${query.size > 0 ? `?${query}` : ''}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-fn-invocation-type': options.type, ...authHeader(options.token) },
    body,
    connections: options.connections,
    ...(options.requests !== undefined ? { amount: options.requests } : { duration: options.durationS }),
    ...(options.rate !== undefined ? { overallRate: options.rate } : {}),
  }, (error, result) => settle(error, result));
  let lastCount = 0;
  let errors = 0;
  // autocannon ends a timed run at its next 1 s sample tick, not at the duration, and paces per 1 s window
  // that starts again at the duration: the requests of that extra window would count as the run's (a
  // `--rate 50 --duration 2s` run reported 59 req/s). A timed run ends here at its duration.
  const endsAt = options.requests === undefined ? startedAt + BigInt(Math.round(options.durationS * 1e9)) : undefined;
  const endTimer = endsAt === undefined ? undefined : setTimeout(() => instance.stop(), options.durationS * 1000);
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (endsAt !== undefined && process.hrtime.bigint() > endsAt) return;
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    histogram.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
    buckets.record(responseTimeMs);
  });
  instance.on('reqError', () => errors++);
  instance.on('tick', () => {
    const count = histogram.totalCount;
    if (interactive) out.write(`\r${formatProgress(count - lastCount, histogram, errors)}`);
    lastCount = count;
  });
  let result: autocannon.Result;
  try {
    result = await finished;
  } finally {
    clearInterval(sampler);
    clearTimeout(endTimer);
  }
  if (interactive) out.write('\r\x1b[2K');
  const endedAt = process.hrtime.bigint();
  const elapsedS = Number((endsAt !== undefined && endsAt < endedAt ? endsAt : endedAt) - startedAt) * MS_PER_NS / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const after = await functionFacts(factsUrl, options.token);
  const requests = histogram.totalCount;
  const coldStarts = after.coldStarts - before.coldStarts;
  const atUs = (percentile: number): number => histogram.getValueAtPercentile(percentile) / 1000;
  const report: LoadReport = {
    function: name,
    url: base,
    connections: options.connections,
    durationS: elapsedS,
    requests,
    rps: requests / elapsedS,
    latency: { p50: atUs(50), p90: atUs(90), p99: atUs(99), max: histogram.maxValue / 1000 },
    statusCodes,
    errors: errors + result.timeouts,
    coldStarts,
    coldStartShare: requests === 0 ? 0 : coldStarts / requests,
    instances: { before: before.instances, max: Math.max(maxInstances, after.instances), after: after.instances },
    generatorCpu: (cpu.user + cpu.system) / 1000 / 1000 / elapsedS,
    histogram: buckets.buckets(),
  };
  histogram.destroy();
  out.write(options.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return report;
}

function authHeader(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

async function functionFacts(url: string, token: string | undefined): Promise<FunctionFacts> {
  let response: Response;
  try {
    response = await fetch(url, { headers: authHeader(token) });
  } catch (error) {
    throw new LoadError(`cannot reach the gateway at ${new URL(url).origin} (${(error as Error).message}); start it with \`fngate serve\` or pass --serve <dir>`);
  }
  const body = (await response.json()) as { instances?: number; coldStarts?: number; errorMessage?: string };
  if (!response.ok) throw new LoadError(body.errorMessage ?? `the gateway answered ${response.status}`);
  return { instances: body.instances ?? 0, coldStarts: body.coldStarts ?? 0 };
}

/** `fngate serve <dir>` as a child on a free loopback port, with its state in a temp dir. */
async function serveForRun(dir: string): Promise<{ url: string; token: string | undefined; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fngate-load-'));
  // argv[1] is this CLI's entry (bin/fngate.js), which adds --no-node-snapshot itself.
  const child: ChildProcess = spawn(process.execPath, [process.argv[1]!, 'serve', dir, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FNGATE_LOG_LEVEL: process.env.FNGATE_LOG_LEVEL ?? 'warn' },
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LoadError(`the gateway for ${dir} was not ready within ${SERVE_READY_TIMEOUT_MS} ms`)), SERVE_READY_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const match = /^fngate ready on \S+ \((http:\/\/[^)]+)\)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new LoadError(`fngate serve ${dir} exited with ${code}: ${stderr.trim()}`));
      });
    });
    // The child takes FNGATE_API_TOKEN from this environment, or generates one into its data dir.
    return { url, token: readClientToken(process.env, dataDir), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
