/**
 * The one benchmark harness. A subject (one `*.bench.ts` file each) registers itself with
 * `defineSubject`; `runSubject(name, options)` runs it and writes bench/results/<name>.json and .md.
 *
 * Rules every subject gets from here: each server is its own child process pinned to the server CPUs,
 * the load generator (wrk) is another process pinned to the load CPUs, every row of a subject is
 * measured in the same run with the same load parameters, ratios are taken against rows of that run,
 * and every process started here has an owner (`processes`) that ends it, also on Ctrl-C and errors.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { renderMarkdown } from './report.ts';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = dirname(BENCH_DIR);
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const WRK_POST_SCRIPT = join(BENCH_DIR, 'wrk', 'post-json.lua');
/**
 * The API token every benchmark server is started with (FNGATE_API_TOKEN): fngate's management routes
 * (topics, async queues, instances, logs) need it; invoking does not. Baselines ignore it.
 */
export const BENCH_API_TOKEN = 'fngate-bench-token';
export const BENCH_AUTH = { authorization: `Bearer ${BENCH_API_TOKEN}` } as const;

export const DEFAULT_DURATION_S = 10;
export const QUICK_DURATION_S = 2;
export const DEFAULT_WARMUP_S = 2;
export const QUICK_WARMUP_S = 1;
export const DEFAULT_CONNECTIONS = 50;
export const DEFAULT_THREADS = 1;
export const DEFAULT_ROUNDS = 1;
/** CPU list for servers (taskset -c syntax). */
export const DEFAULT_SERVER_CPUS = '0';
/** CPU list for the load generator; never the server's. */
export const DEFAULT_LOAD_CPUS = '1';
/** wrk's own per-request timeout: a request slower than this counts as a timeout error. */
export const WRK_TIMEOUT = '5s';
/** How long a server may take to answer its first request (fngate's first invoke is a cold start). */
export const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;
/** A server that answers, but wrongly, this many times in a row is broken, not still starting. */
const READY_WRONG_ANSWERS = 5;
/** SIGTERM, then this long to exit, then SIGKILL for the whole process group. */
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_BYTES = 2_000;
const SAMPLE_CHARS = 200;

const execFileAsync = promisify(execFile);

// ---------------------------------------------------------------------------------------------------
// Options and results

export interface BenchOptions {
  /** Measured seconds per row. @default 10 (2 with --quick) */
  durationS: number;
  /** Unmeasured load before each measurement, so JITs are hot and instances exist. @default 2 (1 with --quick) */
  warmupS: number;
  /** Each row is measured this many times (rows interleaved); the median trial by req/s (the lower middle one for an even count) is reported. @default 1 */
  rounds: number;
  /** @default 50 */
  connections: number;
  /** @default 1 */
  threads: number;
  /** @default '0' */
  serverCpus: string;
  /** @default '1' */
  loadCpus: string;
  /** Keep server logs (in the temp dir) after the run. @default false */
  keepLogs: boolean;
  /** The command line that produced the run, as it goes in the results header. */
  command: string;
}

/** One column of a subject's table: `key` into each row's metrics. */
export interface Column {
  key: string;
  label: string;
  digits: number;
}

export interface Trial {
  round: number;
  metrics: Record<string, number>;
}

export interface RowResult {
  id: string;
  label: string;
  description: string;
  status: 'ok' | 'unavailable';
  /** Why a row is unavailable; first line is shown in the table notes, the rest stays in the JSON. */
  reason?: string;
  /** The reported trial's figures (the median by the subject's main metric). */
  metrics: Record<string, number>;
  trials: Trial[];
  warnings: string[];
  /** The server's answer to the ready probe: shows that the row served what the others do. */
  sample?: string;
}

/** A figure computed from rows of the same run: a ratio (unit '×'), or a headline figure such as a p99. */
export interface Ratio {
  label: string;
  value: number | null;
  /** @default '×' */
  unit?: string;
  note?: string;
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1/5/15-minute load averages when the subject started and ended: a loaded box shows here. */
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

export interface LoadParams {
  tool: string;
  version: string;
  connections: number;
  threads: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  timeout: string;
  script: string;
  serverCpus: string;
  loadCpus: string;
}

export interface SubjectResult {
  subject: string;
  title: string;
  command: string;
  date: string;
  machine: MachineInfo;
  /** The wrk load; absent for subjects that generate no HTTP load (they say how they measured in `method`). */
  load?: LoadParams;
  /** How a subject without HTTP load took its figures (samples, pinning); shown in the results header. */
  method?: string;
  columns: Column[];
  rows: RowResult[];
  ratios: Ratio[];
  notes: string[];
}

/** What a subject's `run` returns; the harness adds the run's metadata. */
export interface SubjectOutcome {
  columns: Column[];
  rows: RowResult[];
  ratios: Ratio[];
  notes?: string[];
  /**
   * For subjects that run no wrk load (cold starts, memory): how the figures were taken. The results
   * then record this instead of the load parameters. @default undefined (a wrk subject)
   */
  method?: string;
}

export interface BenchContext {
  options: BenchOptions;
  /** A fresh directory for this run (server logs, data dirs, wrk output); removed at the end. */
  tmpDir: string;
  log(message: string): void;
}

export interface Subject {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<SubjectOutcome>;
}

// ---------------------------------------------------------------------------------------------------
// Registry

const subjects = new Map<string, Subject>();

export function defineSubject(subject: Subject): Subject {
  if (subjects.has(subject.name)) throw new Error(`bench subject ${subject.name} is defined twice`);
  subjects.set(subject.name, subject);
  return subject;
}

export function listSubjects(): Subject[] {
  return [...subjects.values()];
}

export async function runSubject(name: string, options: BenchOptions, tmpDir: string): Promise<SubjectResult> {
  const subject = subjects.get(name);
  if (!subject) throw new Error(`unknown bench subject ${name}; known: ${[...subjects.keys()].join(', ')}`);
  const log = (message: string): void => {
    process.stdout.write(`[${name}] ${message}\n`);
  };
  const subjectTmp = join(tmpDir, name);
  mkdirSync(subjectTmp, { recursive: true });
  const loadAvgStart = loadavg();
  const date = new Date().toISOString();
  const outcome = await subject.run({ options, tmpDir: subjectTmp, log });
  const result: SubjectResult = {
    subject: name,
    title: subject.title,
    command: options.command,
    date,
    machine: { ...machineInfo(), loadAvgStart, loadAvgEnd: loadavg() },
    ...(outcome.method === undefined ? { load: await loadParams(options) } : { method: outcome.method }),
    columns: outcome.columns,
    rows: outcome.rows,
    ratios: outcome.ratios,
    notes: outcome.notes ?? [],
  };
  writeResults(result);
  return result;
}

async function loadParams(options: BenchOptions): Promise<LoadParams> {
  return {
    tool: 'wrk',
    version: await wrkVersion(),
    connections: options.connections,
    threads: options.threads,
    durationS: options.durationS,
    warmupS: options.warmupS,
    rounds: options.rounds,
    timeout: WRK_TIMEOUT,
    script: 'bench/wrk/post-json.lua',
    serverCpus: options.serverCpus,
    loadCpus: options.loadCpus,
  };
}

export function writeResults(result: SubjectResult): { json: string; md: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = join(RESULTS_DIR, `${result.subject}.json`);
  const md = join(RESULTS_DIR, `${result.subject}.md`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(md, renderMarkdown(result));
  return { json, md };
}

function machineInfo(): Omit<MachineInfo, 'loadAvgStart' | 'loadAvgEnd'> {
  return {
    // Not availableParallelism(): that follows this process's affinity, which pinSelf narrowed.
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

let cachedWrkVersion: string | undefined;
async function wrkVersion(): Promise<string> {
  if (cachedWrkVersion !== undefined) return cachedWrkVersion;
  // `wrk -v` prints its version and exits 1 (it is the usage path).
  const output = await execFileAsync('wrk', ['-v']).then(
    (r) => r.stdout,
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  cachedWrkVersion = /wrk (\S+)/.exec(output)?.[1] ?? 'unknown';
  return cachedWrkVersion;
}

// ---------------------------------------------------------------------------------------------------
// Process ownership

/**
 * Owns every child process the harness starts. Each child is spawned detached, so it leads its own
 * process group and a stop reaches whatever it forked (fngate's runtime children, workerd's shim).
 */
export class ProcessOwner {
  #live = new Set<ChildProcess>();

  spawn(command: string, args: string[], options: SpawnOptions): ChildProcess {
    const child = spawn(command, args, { ...options, detached: true });
    this.#live.add(child);
    child.once('exit', () => {
      // The leader is gone; end anything it left in its group.
      killGroup(child, 'SIGKILL');
      this.#live.delete(child);
    });
    child.once('error', () => this.#live.delete(child));
    return child;
  }

  /** SIGTERM the group, wait up to STOP_GRACE_MS, then SIGKILL it. */
  async stop(child: ChildProcess): Promise<void> {
    if (!this.#live.has(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_GRACE_MS);
    });
    if ((await Promise.race([exited, timedOut])) === 'timeout') {
      killGroup(child, 'SIGKILL');
      await exited;
    }
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#live].map((child) => this.stop(child)));
  }

  /** Last resort on process exit, where nothing can be awaited. */
  killAllNow(): void {
    for (const child of this.#live) killGroup(child, 'SIGKILL');
    this.#live.clear();
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

export const processes = new ProcessOwner();

/**
 * Moves the harness itself (all its threads) onto the load CPUs, so its own timers and GC stay off the
 * server's CPU. taskset only restricts where a process may run: other processes on the machine still
 * share both CPUs, so a loaded box shows up as noise (see the load averages in the results).
 */
export async function pinSelf(cpus: string): Promise<void> {
  await execFileAsync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)]);
}

let cleanupInstalled = false;

/** Signals and exit end every owned process; call once from the entry point. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => processes.killAllNow());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping servers\n`);
      processes.stopAll().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Servers

export interface ReadyProbe {
  /** Path POSTed to until the server answers correctly. */
  path: string;
  body: string;
  /** Returns why an answer is wrong, or undefined when it is right. @default 2xx is right */
  check?(status: number, text: string): string | undefined;
}

/** A probe that POSTs `body` to `path` until the answer is 200 with JSON equal to `expected`. */
export function jsonAnswerProbe(path: string, body: string, expected: unknown): ReadyProbe {
  const wanted = JSON.stringify(expected);
  return {
    path,
    body,
    check(status, text) {
      if (status !== 200) return `status ${status}`;
      try {
        return JSON.stringify(JSON.parse(text)) === wanted ? undefined : `expected ${wanted}`;
      } catch {
        return 'not JSON';
      }
    },
  };
}

export interface ServerSpec {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  ready: ReadyProbe;
}

export interface RunningServer {
  url: string;
  port: number;
  pid: number;
  logFile: string;
  /** What the ready probe got back: shows in the results that the row served the right thing. */
  sample: string;
  close(): Promise<void>;
}

export class ServerStartError extends Error {
  constructor(message: string, readonly logTail: string) {
    super(logTail ? `${message}\n--- server log (tail) ---\n${logTail}` : message);
    this.name = 'ServerStartError';
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

function readTail(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > LOG_TAIL_BYTES ? `…${text.slice(-LOG_TAIL_BYTES)}` : text;
  } catch {
    return '';
  }
}

/**
 * Starts `spec` pinned to the server CPUs, with stdout/stderr to a log file (never read for results),
 * and resolves once the ready probe gets a right answer. On any failure the server is stopped.
 */
export async function startServer(ctx: BenchContext, name: string, port: number, spec: ServerSpec): Promise<RunningServer> {
  const logFile = join(ctx.tmpDir, `${name}.${port}.log`);
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = processes.spawn('taskset', ['-c', ctx.options.serverCpus, spec.command, ...spec.args], {
      cwd: spec.cwd ?? REPO_ROOT,
      env: { ...(spec.env ?? process.env), FNGATE_API_TOKEN: BENCH_API_TOKEN },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let exit: string | undefined;
  child.once('exit', (code, signal) => {
    exit = `exited with ${signal ?? `code ${code}`}`;
  });
  child.once('error', (error) => {
    exit = `could not start: ${error.message}`;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const sample = await waitReady(url, spec.ready, () => exit);
    return { url, port, pid: child.pid ?? -1, logFile, sample, close: () => processes.stop(child) };
  } catch (error) {
    await processes.stop(child);
    throw new ServerStartError(error instanceof Error ? error.message : String(error), readTail(logFile));
  }
}

async function waitReady(url: string, probe: ReadyProbe, exited: () => string | undefined): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let wrongAnswers = 0;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit) throw new Error(`server ${exit} before it was ready`);
    try {
      const response = await fetch(url + probe.path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...BENCH_AUTH },
        body: probe.body,
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      const text = await response.text();
      const wrong = probe.check ? probe.check(response.status, text) : response.ok ? undefined : `status ${response.status}`;
      if (wrong === undefined) return text;
      last = `${wrong}: ${text.slice(0, 500)}`;
      if (++wrongAnswers >= READY_WRONG_ANSWERS) throw new Error(`server answers wrongly: ${last}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('server answers wrongly')) throw error;
      last = error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(`server not ready after ${READY_TIMEOUT_MS} ms: ${last}`);
}

// ---------------------------------------------------------------------------------------------------
// Server CPU time

/** Linux USER_HZ: /proc times are in these ticks (getconf CLK_TCK; 100 on every mainstream kernel). */
const CLOCK_TICKS_PER_S = 100;

/**
 * CPU seconds (user + system) used so far by the live processes of process group `pgid`, from /proc.
 * On a shared box wall-clock req/s falls when others take the server's CPU; req per CPU-second much less.
 */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const process of procStats().values()) if (process.pgrp === pgid) ticks += process.ticks;
  return ticks / CLOCK_TICKS_PER_S;
}

/** Parent, process group and CPU ticks (user + system) of every live process, read from /proc. */
function procStats(): Map<number, { ppid: number; pgrp: number; ticks: number }> {
  const processes = new Map<number, { ppid: number; pgrp: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after "(comm)": state ppid pgrp … utime (14th field) stime (15th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    processes.set(Number(entry), { ppid: Number(fields[1]), pgrp: Number(fields[2]), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return processes;
}

/**
 * CPU seconds used so far by process group `pgid` and every live descendant of its processes. fngate
 * starts its Python, PHP, Go and web-function processes detached (each leads its own group, a web
 * sandbox its own session), so the group alone misses the function's share of the server's CPU.
 */
export function serverCpuSeconds(pgid: number): number {
  const processes = procStats();
  const counted = new Set<number>();
  for (const [pid, info] of processes) if (info.pgrp === pgid) counted.add(pid);
  // Descendants: repeat until no process is added (the tree is shallow: gateway → sandbox → server).
  for (let added = true; added; ) {
    added = false;
    for (const [pid, info] of processes) {
      if (!counted.has(pid) && counted.has(info.ppid)) {
        counted.add(pid);
        added = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of counted) ticks += processes.get(pid)!.ticks;
  return ticks / CLOCK_TICKS_PER_S;
}

// ---------------------------------------------------------------------------------------------------
// Sample statistics and measuring children (subjects without HTTP load: cold starts, memory)

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

export interface MeasureSpec {
  command: string;
  args: string[];
  /** Given to the child as JSON in the file named by its BENCH_MEASURE_CONFIG variable. */
  config: unknown;
  /** The child is killed after this long. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a measuring child (a cold-start or memory loop) pinned to the server CPUs, like a server: its
 * output goes to a log file, and its figures come back as JSON it writes to the file named by
 * BENCH_MEASURE_OUT, never from its stdout. Rejects with the log's tail when it fails or times out.
 */
export async function runMeasurement<T>(ctx: BenchContext, name: string, spec: MeasureSpec): Promise<T> {
  const logFile = join(ctx.tmpDir, `${name}.log`);
  const configFile = join(ctx.tmpDir, `${name}.config.json`);
  const outFile = join(ctx.tmpDir, `${name}.out.json`);
  writeFileSync(configFile, JSON.stringify(spec.config));
  rmSync(outFile, { force: true });
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = processes.spawn('taskset', ['-c', ctx.options.serverCpus, spec.command, ...spec.args], {
      cwd: REPO_ROOT,
      env: { ...(spec.env ?? process.env), FNGATE_API_TOKEN: BENCH_API_TOKEN, BENCH_MEASURE_CONFIG: configFile, BENCH_MEASURE_OUT: outFile },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let timer: NodeJS.Timeout | undefined;
  const outcome = await new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code === 0 ? 'ok' : `exited with ${signal ?? `code ${code}`}`));
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
    timer = setTimeout(() => {
      resolve(`did not finish within ${spec.timeoutMs} ms`);
      void processes.stop(child);
    }, spec.timeoutMs);
  });
  clearTimeout(timer);
  if (outcome !== 'ok') throw new ServerStartError(`${name} ${outcome}`, readTail(logFile));
  try {
    return JSON.parse(readFileSync(outFile, 'utf8')) as T;
  } catch (error) {
    throw new ServerStartError(`${name} wrote no result (${String(error)})`, readTail(logFile));
  }
}

// ---------------------------------------------------------------------------------------------------
// Load generator

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

// ---------------------------------------------------------------------------------------------------
// HTTP rows: start server, warm up, measure, stop; for each row, for each round

export interface HttpRow {
  id: string;
  label: string;
  description: string;
  /** Why the row cannot run on this machine, checked once before any round; undefined when it can. */
  unavailable?(): Promise<string | undefined>;
  /** The server for one trial, listening on `port`; `dataDir` is fresh and empty. */
  server(port: number, dataDir: string): ServerSpec;
  path: string;
  body: string;
  /** Extra request headers for every load request (not the ready probe). */
  headers?: Record<string, string>;
  /** Runs once the server is ready, before the warm-up (e.g. bring up as many instances as there are connections). */
  beforeWarmup?(server: RunningServer, connections: number): Promise<void>;
  /** Figures read from the server right after the measurement, before it stops; added to the trial's metrics. */
  afterMeasure?(server: RunningServer): Promise<Record<string, number>>;
}

export const HTTP_COLUMNS: Column[] = [
  { key: 'rps', label: 'req/s', digits: 0 },
  { key: 'p50Ms', label: 'p50 ms', digits: 2 },
  { key: 'p99Ms', label: 'p99 ms', digits: 2 },
  { key: 'serverCpuPct', label: 'server CPU %', digits: 0 },
  { key: 'reqPerCpuS', label: 'req per server CPU-s', digits: 0 },
  { key: 'non2xx', label: 'non-2xx', digits: 0 },
  { key: 'socketErrors', label: 'socket errors', digits: 0 },
];

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

/** A trial starts only on a quiet machine: 1-minute load average at most this… */
export const QUIET_LOAD_AVG = 1.5;
/** …and the server CPU idle at least this share of a one-second look. */
export const QUIET_SERVER_IDLE = 0.9;
const QUIET_WAIT_MS = 60_000;

/** Idle share of one CPU over `ms`, from /proc/stat (Linux); 1 when it cannot be read. */
async function cpuIdleShare(cpu: string, ms: number): Promise<number> {
  const read = (): [number, number] | undefined => {
    try {
      const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
      if (!line) return undefined;
      const fields = line.trim().split(/\s+/).slice(1).map(Number);
      const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
      return [idle, fields.reduce((a, b) => a + b, 0)];
    } catch {
      return undefined;
    }
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = read();
  if (!before || !after || after[1] === before[1]) return 1;
  return (after[0] - before[0]) / (after[1] - before[1]);
}

/**
 * Waits (up to a minute) for the machine to be quiet before a trial: the load average and the server
 * CPU's idle share. Returns what it saw; `quiet: false` marks the trial as measured on a busy machine.
 */
export async function quietCheck(ctx: BenchContext): Promise<{ quiet: boolean; loadAvg: number; serverIdle: number }> {
  const serverCpu = ctx.options.serverCpus.split(/[,-]/)[0] ?? '0';
  const giveUpAt = Date.now() + QUIET_WAIT_MS;
  for (;;) {
    const serverIdle = await cpuIdleShare(serverCpu, 1000);
    const loadAvg = loadavg()[0] ?? 0;
    const quiet = loadAvg <= QUIET_LOAD_AVG && serverIdle >= QUIET_SERVER_IDLE;
    if (quiet || Date.now() >= giveUpAt) return { quiet, loadAvg, serverIdle };
    ctx.log(`waiting for a quiet machine (load ${loadAvg.toFixed(2)}, server CPU idle ${(serverIdle * 100).toFixed(0)}%)`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

export async function measureHttpRows(ctx: BenchContext, rows: HttpRow[]): Promise<RowResult[]> {
  const { options } = ctx;
  const results = new Map<string, RowResult>();
  for (const row of rows) {
    const reason = row.unavailable ? await row.unavailable() : undefined;
    results.set(row.id, {
      id: row.id,
      label: row.label,
      description: row.description,
      status: reason === undefined ? 'ok' : 'unavailable',
      ...(reason === undefined ? {} : { reason }),
      metrics: {},
      trials: [],
      warnings: [],
    });
    if (reason !== undefined) ctx.log(`${row.id} ${row.label}: unavailable: ${firstLine(reason)}`);
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const row of rows) {
      const result = results.get(row.id)!;
      if (result.status !== 'ok') continue;
      const tag = `${row.id} ${row.label}${options.rounds > 1 ? ` (round ${round}/${options.rounds})` : ''}`;
      const port = await freePort();
      const dataDir = join(ctx.tmpDir, `${row.id}-data-${round}`);
      mkdirSync(dataDir, { recursive: true });
      let server: RunningServer;
      try {
        server = await startServer(ctx, row.id, port, row.server(port, dataDir));
      } catch (error) {
        const reason = `server did not start: ${error instanceof Error ? error.message : String(error)}`;
        ctx.log(`${tag}: ${firstLine(reason)}`);
        if (result.trials.length > 0) {
          // An earlier round measured it: report that, and say this round is missing.
          result.warnings.push(`round ${round}: ${firstLine(reason)}`);
          continue;
        }
        result.status = 'unavailable';
        result.reason = reason;
        continue;
      }
      try {
        await row.beforeWarmup?.(server, options.connections);
        if (options.warmupS > 0) {
          ctx.log(`${tag}: warm-up ${options.warmupS}s`);
          await runWrk(ctx, { url: server.url + row.path, body: row.body, durationS: options.warmupS, headers: row.headers });
        }
        const quiet = await quietCheck(ctx);
        if (!quiet.quiet) result.warnings.push(`round ${round}: measured on a busy machine (load ${quiet.loadAvg.toFixed(2)}, server CPU idle ${(quiet.serverIdle * 100).toFixed(0)}%): not a valid figure`);
        ctx.log(`${tag}: measuring ${options.durationS}s (load ${quiet.loadAvg.toFixed(2)}, server CPU idle ${(quiet.serverIdle * 100).toFixed(0)}%)`);
        const cpuBefore = serverCpuSeconds(server.pid);
        const started = performance.now();
        const measured = await runWrk(ctx, { url: server.url + row.path, body: row.body, durationS: options.durationS, headers: row.headers });
        const wallS = (performance.now() - started) / 1000;
        const cpuS = serverCpuSeconds(server.pid) - cpuBefore;
        const extra = row.afterMeasure ? await row.afterMeasure(server) : {};
        result.trials.push({
          round,
          metrics: {
            ...measured,
            serverCpuPct: (cpuS / wallS) * 100,
            reqPerCpuS: cpuS > 0 ? measured.requests / cpuS : 0,
            loadAvg: quiet.loadAvg,
            quiet: quiet.quiet ? 1 : 0,
            ...extra,
          },
        });
        ctx.log(
          `${tag}: ${measured.rps.toFixed(0)} req/s, p50 ${measured.p50Ms.toFixed(2)} ms, p99 ${measured.p99Ms.toFixed(2)} ms, ` +
            `server CPU ${((cpuS / wallS) * 100).toFixed(0)}%` +
            (measured.non2xx + measured.socketErrors > 0 ? `, ${measured.non2xx} non-2xx, ${measured.socketErrors} socket errors` : ''),
        );
        result.sample ??= server.sample.trim().slice(0, SAMPLE_CHARS);
      } finally {
        await server.close();
      }
    }
  }
  for (const result of results.values()) {
    if (result.status !== 'ok') continue;
    const sorted = [...result.trials].sort((x, y) => x.metrics.rps! - y.metrics.rps!);
    result.metrics = sorted[Math.floor((sorted.length - 1) / 2)]!.metrics;
    const { non2xx = 0, socketErrors = 0, requests = 0 } = result.metrics;
    if (non2xx > 0) result.warnings.push(`${non2xx} of ${requests} responses were not 2xx: req/s counts them`);
    if (socketErrors > 0) result.warnings.push(`${socketErrors} socket errors or timeouts`);
  }
  return [...results.values()];
}

/** `rows` measured at `connections` (not the run's count), each row and trial labelled with it. */
export async function measureHttpRowsAt(ctx: BenchContext, rows: HttpRow[], connections: number): Promise<RowResult[]> {
  const results = await measureHttpRows({ ...ctx, options: { ...ctx.options, connections } }, rows);
  for (const row of results) {
    if (row.status !== 'ok') continue;
    row.metrics.connections = connections;
    for (const trial of row.trials) trial.metrics.connections = connections;
  }
  return results;
}

/** `numerator.metric / denominator.metric` when both rows ran; otherwise null and why. */
export function ratio(rows: RowResult[], numerator: string, denominator: string, metric: string, label?: string): Ratio {
  const text = label ?? `${numerator}/${denominator} ${metric}`;
  const value = (id: string): number | undefined => {
    const row = rows.find((r) => r.id === id);
    return row?.status === 'ok' ? row.metrics[metric] : undefined;
  };
  const n = value(numerator);
  const d = value(denominator);
  if (n === undefined || d === undefined) {
    const down = [numerator, denominator].filter((id) => value(id) === undefined);
    return { label: text, value: null, note: `row ${down.join(' and ')} unavailable` };
  }
  return d === 0 ? { label: text, value: null, note: `${denominator} ${metric} is 0` } : { label: text, value: n / d };
}

/** A fresh temp dir for one run of the harness; `removeTmpDir` deletes it unless logs are kept. */
export function makeTmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'fngate-bench-'));
}

export function removeTmpDir(dir: string, keep: boolean): void {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
