/**
 * The file system a Node.js function sees, as SCF lays it out: its code read-only at `/var/user` (the cwd),
 * its layers read-only under `/opt` (merged in binding order: where several layers hold the same path, the
 * first-bound one is seen, as module resolution does), and a private writable `/tmp`. Module filenames,
 * `__dirname`, stack traces, `process.cwd()` and `fs` all speak these virtual paths; only the host knows the
 * folders behind them.
 */
import { posix, relative, sep } from 'node:path';

export const CODE_ROOT = '/var/user';
export const LAYER_ROOT = '/opt';
export const TMP_ROOT = '/tmp';

/** One mounted root: a virtual folder backed by host folders (several only for `/opt`). */
export interface Mount {
  readonly virtual: string;
  readonly hostDirs: readonly string[];
  readonly writable: boolean;
}

/** Folders that exist only to hold the mounts (`/`, `/var`): listable, never writable. */
export const SYNTHETIC_DIRS: Readonly<Record<string, readonly string[]>> = {
  '/': ['opt', 'tmp', 'var'],
  '/var': ['user'],
};

export class FunctionLayout {
  readonly code: Mount;
  readonly layers: Mount;
  readonly #tmpDir: () => string;
  #tmp: Mount | undefined;

  /** `tmpDir` is asked only when `/tmp` is first touched (the instance makes the folder on first use). */
  constructor(codeDir: string, layerDirs: readonly string[], tmpDir: () => string) {
    this.code = { virtual: CODE_ROOT, hostDirs: [codeDir], writable: false };
    this.layers = { virtual: LAYER_ROOT, hostDirs: layerDirs, writable: false };
    this.#tmpDir = tmpDir;
  }

  get tmp(): Mount {
    this.#tmp ??= { virtual: TMP_ROOT, hostDirs: [this.#tmpDir()], writable: true };
    return this.#tmp;
  }

  /** The mount holding the normalised absolute virtual `path`, with the path inside it ('' for the root). */
  mountOf(path: string): { mount: Mount; inner: string } | null {
    for (const root of [CODE_ROOT, LAYER_ROOT, TMP_ROOT]) {
      if (path === root || path.startsWith(`${root}/`)) {
        const mount = root === CODE_ROOT ? this.code : root === LAYER_ROOT ? this.layers : this.tmp;
        return { mount, inner: path.slice(root.length + 1) };
      }
    }
    return null;
  }

  /** The virtual path of a host file under the code folder or a layer (module filenames), or null. */
  toVirtual(hostPath: string): string | null {
    for (const mount of [this.code, this.layers]) {
      for (const dir of mount.hostDirs) {
        const inner = relative(dir, hostPath);
        if (inner === '') return mount.virtual;
        if (!inner.startsWith('..') && !inner.startsWith(sep) && !posix.isAbsolute(inner)) return `${mount.virtual}/${inner.split(sep).join('/')}`;
      }
    }
    return null;
  }

  /** The host paths a virtual code/layer path may stand for, in lookup order (several under `/opt`). */
  toHost(virtualPath: string): string[] {
    const normal = posix.resolve(CODE_ROOT, virtualPath);
    for (const mount of [this.code, this.layers]) {
      if (normal === mount.virtual || normal.startsWith(`${mount.virtual}/`)) {
        const inner = normal.slice(mount.virtual.length + 1);
        return mount.hostDirs.map((dir) => (inner === '' ? dir : `${dir}/${inner}`));
      }
    }
    return [];
  }
}
