// Measuring children (subjects without HTTP load: cold starts, memory): run one pinned, read its JSON result file.
import { type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_API_TOKEN, REPO_ROOT } from './constants.ts';
import { processes } from './processes.ts';
import { readTail, ServerStartError } from './servers.ts';
import type { BenchContext } from './types.ts';

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
