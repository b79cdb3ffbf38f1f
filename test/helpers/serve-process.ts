/** `fngate serve` as a real process tree: the bin/fngate.js launcher and the server it runs. */
import { TEST_CREDENTIALS } from './gateway.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/fngate.js', import.meta.url));

export interface ServeProcess {
  /** The launcher (node bin/fngate.js, without --no-node-snapshot, so it runs the server as its child). */
  launcher: ChildProcess;
  url: string;
  port: number;
  /** Resolves with the launcher's exit code (or 128 + signal). */
  exited: Promise<number>;
  stderr(): string;
}

/** Starts `fngate serve dir` and resolves once it printed its ready line. */
export async function startServe(dir: string, args: string[]): Promise<ServeProcess> {
  const launcher = spawn(process.execPath, [bin, 'serve', dir, '--host', '127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The token the tests present on management routes.
    env: { ...process.env, FNGATE_FROM_SOURCE: '1', FNGATE_LOG_LEVEL: 'warn', FNGATE_API_TOKEN: TEST_CREDENTIALS.apiToken },
  });
  let stderr = '';
  launcher.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number>((resolve) => launcher.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const lines = createInterface({ input: launcher.stdout! });
  const ready = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => line.startsWith('fngate ready') && resolve(line));
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const url = /\((http:\/\/[^)]+)\)/.exec(ready)![1]!;
  return { launcher, url, port: Number(new URL(url).port), exited, stderr: () => stderr };
}

/** The pids of a process's direct children (Linux). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether `pid` still runs (a zombie no longer does). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}
