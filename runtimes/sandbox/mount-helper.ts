/**
 * The gateway's side of mount-helper.py: one long-lived root process that makes and removes the bind
 * mounts of code slots (code-slot.ts) with system calls, so a pooled cold start spawns no `mount` (a
 * process start from the gateway cost 15-30 ms on the development VM, the bulk of taking a pre-warmed
 * Python or PHP sandbox). It runs while code slots exist: started with the first (a pre-warmed sandbox
 * being spawned, off any request's clock), ended a while after the last is released, or when the
 * gateway ends (its stdin closes). Where it cannot run (no
 * python3 on the gateway's PATH) or breaks, `available()` is false and slots spawn `mount` as before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LineSplitter } from '../subprocess/lines.ts';

const HELPER_SCRIPT = fileURLToPath(new URL('./mount-helper.py', import.meta.url));
/**
 * The interpreter that runs the helper (`-s -S -B` as function interpreters, runtimes/python/adapter.ts);
 * FNGATE_MOUNT_HELPER_PYTHON names another, or a missing one to make slots spawn `mount` (tests).
 */
const helperPython = (): string => process.env.FNGATE_MOUNT_HELPER_PYTHON ?? 'python3';

type Request = ['attach', string, string] | ['detach', string];

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

class MountHelper {
  #child: ChildProcess;
  #pending: Pending[] = [];
  #broken: Error | undefined;

  constructor() {
    this.#child = spawn(helperPython(), ['-s', '-S', '-B', HELPER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    const splitter = new LineSplitter();
    this.#child.stdout!.setEncoding('utf8');
    this.#child.stdout!.on('data', (chunk: string) => splitter.push(chunk, (line) => this.#answer(line)));
    this.#child.on('error', (error) => this.#break(error));
    this.#child.on('exit', (code, signal) => this.#break(new Error(`the mount helper exited (${signal ?? code})`)));
    this.#child.stdin!.on('error', () => {});
    // Never what keeps the gateway running: referenced only while a request waits for its answer.
    this.#child.unref();
    this.#setReferenced(false);
  }

  /** No more requests: the helper answers what it was sent, then exits at the end of its input. */
  end(): void {
    this.#child.stdin!.end();
  }

  get broken(): boolean {
    return this.#broken !== undefined;
  }

  request(request: Request): Promise<void> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      if (this.#pending.length === 1) this.#setReferenced(true);
      this.#child.stdin!.write(`${JSON.stringify(request)}\n`);
    });
  }

  #answer(line: string): void {
    const pending = this.#pending.shift();
    if (this.#pending.length === 0) this.#setReferenced(false);
    if (!pending) return;
    if (line === 'ok') pending.resolve();
    else pending.reject(new Error(line.replace(/^error /, '')));
  }

  #break(error: Error): void {
    this.#broken ??= error;
    const pending = this.#pending;
    this.#pending = [];
    for (const waiting of pending) waiting.reject(this.#broken);
  }

  #setReferenced(referenced: boolean): void {
    const stdout = this.#child.stdout as unknown as { ref?(): void; unref?(): void };
    const stdin = this.#child.stdin as unknown as { ref?(): void; unref?(): void };
    for (const stream of [stdout, stdin]) {
      if (referenced) stream.ref?.();
      else stream.unref?.();
    }
  }
}

let helper: MountHelper | undefined;
let stopTimer: NodeJS.Timeout | undefined;
/** How long the helper outlives the last code slot. */
export const MOUNT_HELPER_IDLE_MS = 2000;

/** Start the helper if it is not running (a new code slot calls this). */
export function startMountHelper(): void {
  clearTimeout(stopTimer);
  if (!helper || helper.broken) helper = new MountHelper();
}

/**
 * End the helper once no code slot has needed it for MOUNT_HELPER_IDLE_MS (the last slot was released):
 * a spare replacing the one just used arrives within that, and must not wait for a new helper to boot.
 */
export function stopMountHelper(): void {
  clearTimeout(stopTimer);
  stopTimer = setTimeout(() => {
    helper?.end();
    helper = undefined;
  }, MOUNT_HELPER_IDLE_MS);
  stopTimer.unref();
}

/** Whether requests go to a running helper (otherwise the caller spawns `mount` itself). */
export function mountHelperAvailable(): boolean {
  return helper !== undefined && !helper.broken;
}

/** Bind `source` read-only onto `target` (`mount --bind -o ro`) through the helper. */
export function helperAttach(source: string, target: string): Promise<void> {
  return helper!.request(['attach', source, target]);
}

/** Lazily unmount `target` (`umount -l`) through the helper. */
export function helperDetach(target: string): Promise<void> {
  return helper!.request(['detach', target]);
}
