// The owner of every child process the harness starts, its exit/signal cleanup, and pinning the harness to the load CPUs.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';
import { STOP_GRACE_MS } from './constants.ts';

export const execFileAsync = promisify(execFile);

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
