// Benchmark servers: ready probes, a free port, and startServer (spawned pinned, logged to a file, probed until ready).
import { type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BENCH_API_TOKEN, BENCH_AUTH, LOG_TAIL_BYTES, READY_POLL_MS, READY_TIMEOUT_MS, READY_WRONG_ANSWERS, REPO_ROOT } from './constants.ts';
import { processes } from './processes.ts';
import type { BenchContext } from './types.ts';

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

/**
 * `fngate serve <project>` on loopback at `port` with `dataDir`, as the benchmarks run it: from the build, with
 * `--no-node-snapshot` given here so bin/fngate.js does not re-execute itself (one process fewer).
 */
export function fngateServeArgs(project: string, port: number, dataDir: string): string[] {
  return ['--no-node-snapshot', join(REPO_ROOT, 'bin', 'fngate.js'), 'serve', project, '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir];
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

export function readTail(file: string): string {
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
