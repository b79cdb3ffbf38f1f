/** `fngate serve` as a child process, for the tests that kill a gateway and restart it on its data dir. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_CREDENTIALS } from '../helpers/gateway.ts';

const BIN = fileURLToPath(new URL('../../bin/fngate.js', import.meta.url));

export interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
}

export function startChild(dir: string, dataDir: string): Promise<Child> {
  // detached: the child leads a process group, so a kill reaches the re-executed node (bin/fngate.js
  // starts itself again with --no-node-snapshot) and everything it started.
  const child = spawn(process.execPath, [BIN, 'serve', dir, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // The token the tests' clients present (management routes need credentials).
    env: { ...process.env, FNGATE_API_TOKEN: TEST_CREDENTIALS.apiToken },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway not ready in 60 s:\n${output}`)), 60_000);
    const onData = (): void => {
      const match = /fngate ready on .*\((http:\/\/[^)]+)\)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ process: child, url: match[1]!, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before it was ready:\n${output}`));
    });
  });
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
