/**
 * The code folder of a pre-warmed sandbox, mounted when its function becomes known. A spare sandbox is
 * started before that: its /var/user is bound from an empty per-spare host folder ("slot") under a
 * run root that is a shared mount. Adopting the spare bind-mounts the function's code onto the slot on
 * the host; mount propagation carries that mount into the running sandbox (its copy of the slot is a
 * slave of the host's). Needs root on the host (the gateway's sandboxes then run as host-id users); without
 * it there are no slots and sandboxed spares are not used (every sandboxed instance starts fresh).
 * A gateway killed with -9 leaves its run root's mounts behind until the next reboot or `umount -R`.
 * The mounts are made by the mount helper (mount-helper.ts, no process per mount) where it runs, else by
 * spawning `mount`/`umount`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperAttach, helperDetach, mountHelperAvailable, startMountHelper, stopMountHelper } from './mount-helper.ts';

const MOUNT_TIMEOUT_MS = 5000;

let runRoot: { path: string | undefined } | undefined;
/** Slots made and not yet released: the mount helper runs while there are any. */
let liveSlots = 0;

function sharedRunRoot(): string | undefined {
  if (runRoot) return runRoot.path;
  runRoot = { path: undefined };
  if (process.getuid?.() !== 0) return undefined;
  const path = mkdtempSync(join(tmpdir(), 'fngate-slots-'));
  const bind = spawnSync('mount', ['--bind', path, path], { timeout: MOUNT_TIMEOUT_MS, stdio: 'ignore' });
  const share = bind.status === 0 ? spawnSync('mount', ['--make-shared', path], { timeout: MOUNT_TIMEOUT_MS, stdio: 'ignore' }) : bind;
  if (share.status !== 0) return undefined;
  runRoot.path = path;
  return path;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: MOUNT_TIMEOUT_MS }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`)) : resolve(),
    );
  });
}

export class CodeSlot {
  readonly path: string;
  #mounted = false;
  #released = false;

  /** A new empty slot, or undefined where slots cannot work (not root, no shared mounts). */
  static create(): CodeSlot | undefined {
    const root = sharedRunRoot();
    if (!root) return undefined;
    const path = join(root, randomUUID());
    mkdirSync(path, { mode: 0o755 });
    liveSlots++;
    startMountHelper();
    return new CodeSlot(path);
  }

  private constructor(path: string) {
    this.path = path;
  }

  /** Show `codeDir` at the slot (and so at the sandbox's /var/user), read-only. */
  async attach(codeDir: string): Promise<void> {
    if (mountHelperAvailable()) await helperAttach(codeDir, this.path);
    else await this.#attachBySpawning(codeDir);
    this.#mounted = true;
  }

  /**
   * Without the helper: `mount --bind -o ro` binds, then remounts the bind read-only, and that remount
   * changes the host's copy only: the copy propagated into the running sandbox stays writable. So the
   * code is first bound read-only at a staging folder, and that read-only mount is bound onto the slot
   * (a bind copies the flags of its source, and so does propagation).
   */
  async #attachBySpawning(codeDir: string): Promise<void> {
    const staging = `${this.path}-ro`;
    mkdirSync(staging, { mode: 0o755 });
    try {
      await run('mount', ['--bind', '-o', 'ro', codeDir, staging]);
      try {
        await run('mount', ['--bind', staging, this.path]);
      } finally {
        await run('umount', ['-l', staging]).catch(() => {});
      }
    } finally {
      await rmdir(staging).catch(() => {});
    }
  }

  async release(): Promise<void> {
    if (this.#mounted) await (mountHelperAvailable() ? helperDetach(this.path) : run('umount', ['-l', this.path])).catch(() => {});
    this.#mounted = false;
    // Never recursive: were the unmount to fail, that would delete the function's code through the mount.
    await rmdir(this.path).catch(() => {});
    if (this.#released) return;
    this.#released = true;
    if (--liveSlots === 0) stopMountHelper();
  }
}
