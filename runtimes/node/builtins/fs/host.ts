/**
 * The `fs` built-in's host half: real file operations on the function's behalf, in SCF's layout
 * (../../layout.ts). Every path is resolved here, component by component, in the function's virtual tree:
 * symlinks are read and followed as virtual paths, so neither `..` nor a link can leave `/var/user`, `/opt`
 * or `/tmp`, and the host path handed to the kernel holds no symlink. One instance's operations run one at a
 * time (a queue), so the function cannot swap a folder for a link between a check and its use; what it opens
 * is checked again through /proc/self/fd. All work is async on the host (libuv's pool): a sync call blocks
 * only the isolate's thread (`applySyncPromise`), never the gateway's loop.
 *
 * Contract with isolate.js: `sync` (a Reference: `applySyncPromise(op, args)`) and `start(id, op, args)`
 * (answered by the event `done` with the same `[error, result]` pair); errors are Node's fields
 * `{ code, errno, syscall, path, dest, message }` with the paths as the function wrote them.
 */
import { constants as fsConstants, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { basename, posix } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import ivm from 'isolated-vm';
import { CODE_ROOT, FunctionLayout, SYNTHETIC_DIRS, type Mount } from '../../layout.ts';
import type { HostService, ServiceContext } from '../service.ts';

/** SCF's `/tmp` holds 512 MB per instance. */
export const TMP_CAP_BYTES = 512 * 1024 * 1024;
/** Linux's limit on symlinks followed in one lookup. */
const MAX_SYMLINK_HOPS = 40;
/** Descriptors one instance may hold open at once (SCF's `ulimit -n` is 1024 too). */
const MAX_OPEN_FILES = 1024;
/** Node's descriptors 0–2 are the process's stdio; the function's files start at 3. */
const FIRST_FD = 3;
const { O_ACCMODE = 3, O_RDONLY, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_NOFOLLOW, O_WRONLY, O_RDWR } = fsConstants as typeof fsConstants & { O_ACCMODE?: number };
/** Node's Dirent types (UV_DIRENT_*). */
const DIRENT = { file: 1, dir: 2, link: 3, fifo: 4, socket: 5, char: 6, block: 7 } as const;
const SYNTHETIC_TIME_MS = Date.now();
/** Operations whose errors name two paths (`'from' -> 'to'`). */
const TWO_PATH_OPS = new Set(['rename', 'copyFile', 'link', 'symlink']);

/** A Node file-system error's fields, as isolate.js rebuilds the Error. */
export interface FsErrorData {
  code: string;
  message: string;
  errno?: number;
  syscall?: string;
  path?: string;
  dest?: string;
}

class FsError extends Error {
  constructor(readonly data: FsErrorData) {
    super(data.message);
  }
}

const errorMessages = getSystemErrorMap();

/** `ENOENT: no such file or directory, open '/x'` with errno and fields, as libuv errors read in Node. */
function systemError(code: string, syscall: string, path?: string, dest?: string): FsError {
  const errno = -((osConstants.errno as Record<string, number>)[code] ?? 0);
  const description = errorMessages.get(errno)?.[1] ?? code;
  let message = `${code}: ${description}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  return new FsError({ code, errno, syscall, message, path, dest });
}

/** A host failure reported with the function's paths instead of the host's. */
function fromHost(error: unknown, syscall: string, path?: string, dest?: string): FsError {
  if (error instanceof FsError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return systemError(code, (error as NodeJS.ErrnoException).syscall ?? syscall, path, dest);
  return new FsError({ code: 'EIO', errno: -5, syscall, message: `EIO: i/o error, ${syscall}`, path });
}

function fileTooLarge(size: number, free: number): FsError {
  return new FsError({
    code: 'ERR_FS_FILE_TOO_LARGE',
    message: `File size (${size}) is greater than the memory left to the function (${free} bytes)`,
  });
}

/** Where a virtual path landed: a mount's host path (existing or not), or a synthetic folder (`/`, `/var`). */
interface Resolved {
  virtual: string;
  mount: Mount | null;
  /** The host path, free of symlinks; null for synthetic folders and missing entries outside the mounts. */
  host: string | null;
  /** All host folders that make up this folder (several under `/opt`). */
  union: string[];
  exists: boolean;
  synthetic: readonly string[] | null;
  stats: Stats | null;
}

interface OpenFile {
  handle: fsp.FileHandle;
  position: number;
  readable: boolean;
  writable: boolean;
  append: boolean;
  inTmp: boolean;
}

type Args = unknown[];
type Operation = (...args: any[]) => Promise<unknown>;

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(path);
  } catch {
    return null;
  }
}

function statsArray(stats: Stats): number[] {
  return [
    stats.dev, stats.mode, stats.nlink, stats.uid, stats.gid, stats.rdev, stats.blksize, stats.ino, stats.size, stats.blocks,
    stats.atimeMs, stats.mtimeMs, stats.ctimeMs, stats.birthtimeMs,
  ];
}

function syntheticStats(): number[] {
  return [0, 0o40555, 2, 0, 0, 0, 4096, 0, 4096, 8, SYNTHETIC_TIME_MS, SYNTHETIC_TIME_MS, SYNTHETIC_TIME_MS, SYNTHETIC_TIME_MS];
}

function direntType(entry: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): number {
  if (entry.isFile()) return DIRENT.file;
  if (entry.isDirectory()) return DIRENT.dir;
  if (entry.isSymbolicLink()) return DIRENT.link;
  if (entry.isFIFO()) return DIRENT.fifo;
  if (entry.isSocket()) return DIRENT.socket;
  if (entry.isCharacterDevice()) return DIRENT.char;
  if (entry.isBlockDevice()) return DIRENT.block;
  return 0;
}

/** One instance's files: its descriptors, its `/tmp` usage and the queue its operations run in. */
export class FunctionFiles {
  readonly #layout: FunctionLayout;
  readonly #context: ServiceContext;
  readonly #files = new Map<number, OpenFile>();
  #tail: Promise<unknown> = Promise.resolve();
  #tmpUsed = 0;
  /** Deletes and truncations make the running count unreliable; recount before the next growth. */
  #tmpDirty = false;
  #realRoots: Map<Mount, string[]> | undefined;
  #closed = false;

  constructor(context: ServiceContext) {
    this.#context = context;
    this.#layout = new FunctionLayout(context.spec.codeDir, context.spec.layerDirs, () => context.tmpDir);
  }

  get openCount(): number {
    return this.#files.size;
  }

  /** Runs `op` after every operation queued before it; the answer is `[error, result]`, never a rejection. */
  run(op: string, args: Args): Promise<[FsErrorData | null, unknown]> {
    const operation = Object.hasOwn(this.#operations, op) ? this.#operations[op] : undefined;
    const task = this.#tail.then(async (): Promise<[FsErrorData | null, unknown]> => {
      if (this.#closed) return [systemError('EBADF', op).data, null];
      if (operation === undefined) return [{ code: 'ERR_INVALID_ARG_VALUE', message: `unknown fs operation ${op}` }, null];
      try {
        return [null, await operation(...args)];
      } catch (error) {
        // Errors the host raised carry host paths: report the paths as the function wrote them.
        const path = typeof args[0] === 'string' ? args[0] : undefined;
        const dest = TWO_PATH_OPS.has(op) && typeof args[1] === 'string' ? args[1] : undefined;
        if (error instanceof FsError && dest !== undefined && error.data.dest === undefined && error.data.path === path && error.data.syscall !== undefined) {
          return [systemError(error.data.code, error.data.syscall, path, dest).data, null];
        }
        return [fromHost(error, op, path, dest).data, null];
      }
    });
    this.#tail = task;
    return task;
  }

  /** Closes every descriptor the function left open. */
  close(): void {
    this.#closed = true;
    for (const file of this.#files.values()) file.handle.close().catch(() => {});
    this.#files.clear();
  }

  /** Follows `path` through the virtual tree; `follow`: whether a symlink as the last component is followed. */
  async #resolve(path: string, follow: boolean, syscall: string): Promise<Resolved> {
    let virtual = posix.resolve(CODE_ROOT, path);
    let hops = 0;
    restart: for (;;) {
      const synthetic = SYNTHETIC_DIRS[virtual];
      if (synthetic !== undefined) return { virtual, mount: null, host: null, union: [], exists: true, synthetic, stats: null };
      const found = this.#layout.mountOf(virtual);
      if (found === null) {
        if (SYNTHETIC_DIRS[posix.dirname(virtual)] !== undefined) return { virtual, mount: null, host: null, union: [], exists: false, synthetic: null, stats: null };
        throw systemError('ENOENT', syscall, path);
      }
      const { mount, inner } = found;
      if (mount.hostDirs.length === 0) {
        if (inner === '') return { virtual, mount: null, host: null, union: [], exists: true, synthetic: [], stats: null };
        if (!inner.includes('/')) return { virtual, mount, host: null, union: [], exists: false, synthetic: null, stats: null };
        throw systemError('ENOENT', syscall, path);
      }
      const parts = inner === '' ? [] : inner.split('/');
      let union = [...mount.hostDirs];
      let at = mount.virtual;
      let stats: Stats | null = null;
      for (let i = 0; i < parts.length; i++) {
        const last = i === parts.length - 1;
        const name = parts[i]!;
        let first: { path: string; stats: Stats } | undefined;
        const dirs: string[] = [];
        for (const dir of union) {
          const candidate = `${dir}/${name}`;
          const candidateStats = await lstatOrNull(candidate);
          if (candidateStats === null) continue;
          first ??= { path: candidate, stats: candidateStats };
          if (candidateStats.isDirectory() && first.stats.isDirectory()) dirs.push(candidate);
        }
        if (first === undefined) {
          if (last) return { virtual: `${at}/${name}`, mount, host: `${union[0]}/${name}`, union: [], exists: false, synthetic: null, stats: null };
          throw systemError('ENOENT', syscall, path);
        }
        if (first.stats.isSymbolicLink() && (!last || follow)) {
          if (++hops > MAX_SYMLINK_HOPS) throw systemError('ELOOP', syscall, path);
          const target = await fsp.readlink(first.path);
          virtual = posix.resolve(at, target, ...parts.slice(i + 1));
          continue restart;
        }
        if (!last && !first.stats.isDirectory()) throw systemError('ENOTDIR', syscall, path);
        at = `${at}/${name}`;
        union = first.stats.isDirectory() ? dirs : [first.path];
        stats = first.stats;
      }
      return { virtual: at, mount, host: union[0]!, union, exists: true, synthetic: null, stats };
    }
  }

  async #existing(path: string, follow: boolean, syscall: string): Promise<Resolved> {
    const resolved = await this.#resolve(path, follow, syscall);
    if (!resolved.exists) throw systemError('ENOENT', syscall, path);
    return resolved;
  }

  /**
   * A path the function may change: inside `/tmp` (EROFS in the read-only roots, EACCES in `/` and `/var`).
   * `removing`: the path itself goes away, which `/tmp` itself never does (EBUSY, a mount point).
   */
  async #writable(path: string, follow: boolean, syscall: string, removing = false): Promise<Resolved & { host: string }> {
    const resolved = await this.#resolve(path, follow, syscall);
    if (resolved.mount === null || resolved.host === null) throw systemError(resolved.exists ? 'EROFS' : 'EACCES', syscall, path);
    if (!resolved.mount.writable) throw systemError('EROFS', syscall, path);
    if (removing && resolved.virtual === resolved.mount.virtual) throw systemError('EBUSY', syscall, path);
    return resolved as Resolved & { host: string };
  }

  /** Bytes the function's `/tmp` holds (regular files), counted again after deletes and truncations. */
  async #tmpUsage(): Promise<number> {
    if (this.#tmpDirty) {
      this.#tmpDirty = false;
      this.#tmpUsed = await folderBytes(this.#context.tmpDir);
    }
    return this.#tmpUsed;
  }

  /** Takes `growth` bytes of `/tmp` or fails with ENOSPC. */
  async #growTmp(growth: number, syscall: string): Promise<void> {
    if (growth <= 0) return;
    if ((await this.#tmpUsage()) + growth > TMP_CAP_BYTES) throw systemError('ENOSPC', syscall);
    this.#tmpUsed += growth;
  }

  async #insideRoots(handle: fsp.FileHandle, mount: Mount): Promise<boolean> {
    this.#realRoots ??= new Map();
    let roots = this.#realRoots.get(mount);
    if (roots === undefined) {
      roots = await Promise.all(mount.hostDirs.map((dir) => fsp.realpath(dir).catch(() => dir)));
      this.#realRoots.set(mount, roots);
    }
    const real = await fsp.readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
    return real !== null && roots.some((root) => real === root || real.startsWith(`${root}/`));
  }

  #file(fd: unknown, syscall: string): OpenFile {
    const file = typeof fd === 'number' ? this.#files.get(fd) : undefined;
    if (file === undefined) throw systemError('EBADF', syscall);
    return file;
  }

  #reserve(bytes: number): void {
    if (!this.#context.memory.reserve(bytes)) throw fileTooLarge(bytes, this.#context.memory.limit - this.#context.memory.used);
  }

  /** Releases a read's reservation once its bytes have been handed to the isolate. */
  #releaseLater(bytes: number): void {
    setImmediate(() => this.#context.memory.release(bytes));
  }

  async #open(path: string, flags: number, mode: number): Promise<number> {
    if (this.#files.size >= MAX_OPEN_FILES) throw systemError('EMFILE', 'open', path);
    const access = flags & O_ACCMODE;
    const writing = access !== O_RDONLY || (flags & (O_CREAT | O_TRUNC)) !== 0;
    const resolved = writing ? await this.#writable(path, true, 'open') : await this.#existing(path, true, 'open');
    if (resolved.host === null) throw systemError('EISDIR', 'open', path);
    if (resolved.exists && (flags & O_CREAT) !== 0 && (flags & O_EXCL) !== 0) throw systemError('EEXIST', 'open', path);
    const inTmp = resolved.mount?.writable === true;
    if (inTmp && (flags & O_TRUNC) !== 0 && resolved.exists) this.#tmpDirty = true;
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(resolved.host, flags | O_NOFOLLOW, mode);
    } catch (error) {
      throw fromHost(error, 'open', path);
    }
    const inside = await this.#insideRoots(handle, resolved.mount!);
    // Closed meanwhile (the instance ended): nothing may outlive it.
    if (this.#closed || !inside) {
      await handle.close();
      throw systemError(this.#closed ? 'EBADF' : 'ENOENT', 'open', path);
    }
    let fd = FIRST_FD;
    while (this.#files.has(fd)) fd++;
    this.#files.set(fd, {
      handle,
      position: 0,
      readable: access === O_RDONLY || access === O_RDWR,
      writable: access === O_WRONLY || access === O_RDWR,
      append: (flags & O_APPEND) !== 0,
      inTmp,
    });
    return fd;
  }

  async #close(fd: number): Promise<void> {
    const file = this.#file(fd, 'close');
    this.#files.delete(fd);
    await file.handle.close();
  }

  async #read(fd: number, length: number, position: number | null): Promise<Uint8Array> {
    const file = this.#file(fd, 'read');
    if (!file.readable) throw systemError('EBADF', 'read');
    const at = position === null || position < 0 ? file.position : position;
    const size = (await file.handle.stat()).size;
    const count = Math.max(0, Math.min(length, size - at, this.#context.memory.limit));
    this.#reserve(count);
    try {
      const buffer = Buffer.allocUnsafeSlow(count);
      const { bytesRead } = count === 0 ? { bytesRead: 0 } : await file.handle.read(buffer, 0, count, at);
      if (position === null || position < 0) file.position = at + bytesRead;
      return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
    } finally {
      this.#releaseLater(count);
    }
  }

  async #write(fd: number, data: Uint8Array, position: number | null): Promise<number> {
    const file = this.#file(fd, 'write');
    if (!file.writable) throw systemError('EBADF', 'write');
    const size = (await file.handle.stat()).size;
    const at = file.append ? size : position === null || position < 0 ? file.position : position;
    if (file.inTmp) await this.#growTmp(at + data.byteLength - size, 'write');
    const { bytesWritten } = await file.handle.write(data, 0, data.byteLength, at);
    if (position === null || position < 0 || file.append) file.position = at + bytesWritten;
    return bytesWritten;
  }

  async #readFile(path: string | number, flags: number): Promise<Uint8Array> {
    const fd = typeof path === 'number' ? path : await this.#open(path, flags, 0o666);
    try {
      const file = this.#file(fd, 'read');
      const stats = await file.handle.stat();
      if (stats.isDirectory()) throw systemError('EISDIR', 'read');
      const size = Math.max(0, stats.size - (typeof path === 'number' ? file.position : 0));
      this.#reserve(size);
      try {
        const buffer = Buffer.allocUnsafeSlow(size);
        let done = 0;
        while (done < size) {
          const { bytesRead } = await file.handle.read(buffer, done, size - done, (typeof path === 'number' ? file.position : 0) + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        if (typeof path === 'number') file.position += done;
        return new Uint8Array(buffer.buffer, buffer.byteOffset, done);
      } finally {
        this.#releaseLater(size);
      }
    } finally {
      if (typeof path !== 'number') await this.#close(fd).catch(() => {});
    }
  }

  async #writeFile(path: string | number, data: Uint8Array, flags: number, mode: number): Promise<void> {
    const fd = typeof path === 'number' ? path : await this.#open(path, flags, mode);
    try {
      let done = 0;
      do done += await this.#write(fd, done === 0 ? data : data.subarray(done), null);
      while (done < data.byteLength);
    } finally {
      if (typeof path !== 'number') await this.#close(fd).catch(() => {});
    }
  }

  async #stat(path: string, follow: boolean): Promise<number[]> {
    const syscall = follow ? 'stat' : 'lstat';
    const resolved = await this.#existing(path, follow, syscall);
    if (resolved.host === null) return syntheticStats();
    return statsArray(resolved.stats ?? (await fsp.lstat(resolved.host)));
  }

  async #readdir(path: string, withTypes: boolean): Promise<Array<string | [string, number]>> {
    const resolved = await this.#existing(path, true, 'scandir');
    if (resolved.synthetic !== null) return resolved.synthetic.map((name) => (withTypes ? [name, DIRENT.dir] : name));
    if (resolved.stats !== null && !resolved.stats.isDirectory()) throw systemError('ENOTDIR', 'scandir', path);
    const seen = new Map<string, number>();
    for (const dir of resolved.union) {
      for (const entry of await fsp.readdir(dir, { withFileTypes: true })) if (!seen.has(entry.name)) seen.set(entry.name, direntType(entry));
    }
    return [...seen].map(([name, type]) => (withTypes ? [name, type] : name));
  }

  async #mkdir(path: string, recursive: boolean, mode: number): Promise<string | undefined> {
    if (!recursive) {
      const resolved = await this.#writable(path, true, 'mkdir');
      if (resolved.exists) throw systemError('EEXIST', 'mkdir', path);
      await fsp.mkdir(resolved.host, { mode });
      return undefined;
    }
    const target = posix.resolve(CODE_ROOT, path);
    const parts = target.split('/').filter(Boolean);
    let first: string | undefined;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = `/${parts.slice(0, i).join('/')}`;
      const resolved = await this.#resolve(prefix, true, 'mkdir');
      if (resolved.exists) {
        if (resolved.synthetic === null && resolved.stats !== null && !resolved.stats.isDirectory()) throw systemError(i === parts.length ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
        continue;
      }
      const writable = await this.#writable(prefix, true, 'mkdir').catch((error: unknown) => {
        throw error instanceof FsError ? systemError(error.data.code, 'mkdir', path) : error;
      });
      await fsp.mkdir(writable.host, { mode });
      first ??= prefix;
    }
    return first;
  }

  async #rm(path: string, recursive: boolean, force: boolean): Promise<void> {
    const resolved = await this.#resolve(path, false, 'lstat');
    if (!resolved.exists) {
      if (force) return;
      throw systemError('ENOENT', 'lstat', path);
    }
    const isDir = resolved.synthetic !== null || resolved.stats?.isDirectory() === true || resolved.host === null;
    if (isDir && !recursive) {
      throw new FsError({ code: 'ERR_FS_EISDIR', errno: 21, syscall: 'rm', path, message: `Path is a directory: rm returned EISDIR (is a directory) ${path}` });
    }
    const writable = await this.#writable(path, false, isDir ? 'rmdir' : 'unlink', true);
    await fsp.rm(writable.host, { recursive, force });
    this.#tmpDirty = true;
  }

  async #rmdir(path: string, recursive: boolean): Promise<void> {
    const writable = await this.#writable(path, false, 'rmdir', true);
    if (!writable.exists) throw systemError('ENOENT', 'rmdir', path);
    if (!writable.stats!.isDirectory()) throw systemError('ENOTDIR', 'rmdir', path);
    await (recursive ? fsp.rm(writable.host, { recursive: true }) : fsp.rmdir(writable.host));
    this.#tmpDirty = true;
  }

  async #unlink(path: string): Promise<void> {
    const writable = await this.#writable(path, false, 'unlink', true);
    if (!writable.exists) throw systemError('ENOENT', 'unlink', path);
    await fsp.unlink(writable.host);
    this.#tmpDirty = true;
  }

  async #rename(from: string, to: string): Promise<void> {
    const source = await this.#resolve(from, false, 'rename');
    if (!source.exists) throw systemError('ENOENT', 'rename', from, to);
    const target = await this.#resolve(to, false, 'rename');
    if (source.mount?.writable !== true || target.mount?.writable !== true || source.host === null || target.host === null) {
      throw systemError(source.mount !== target.mount && source.mount?.writable === true ? 'EXDEV' : 'EROFS', 'rename', from, to);
    }
    if (source.virtual === source.mount.virtual || target.virtual === target.mount.virtual) throw systemError('EBUSY', 'rename', from, to);
    await fsp.rename(source.host, target.host);
    this.#tmpDirty = true;
  }

  async #copyFile(from: string, to: string, mode: number): Promise<void> {
    const source = await this.#existing(from, true, 'copyfile');
    if (source.host === null || source.stats?.isDirectory() === true) throw systemError('EISDIR', 'copyfile', from, to);
    const target = await this.#writable(to, true, 'copyfile').catch((error: unknown) => {
      throw error instanceof FsError ? systemError(error.data.code, 'copyfile', from, to) : error;
    });
    if (target.exists) this.#tmpDirty = true;
    await this.#growTmp(source.stats?.size ?? 0, 'copyfile');
    try {
      await fsp.copyFile(source.host, target.host, mode);
    } catch (error) {
      throw fromHost(error, 'copyfile', from, to);
    }
  }

  async #link(from: string, to: string): Promise<void> {
    const source = await this.#existing(from, false, 'link');
    const target = await this.#resolve(to, false, 'link');
    // A hard link from a read-only root would make its file writable through /tmp; SCF's roots are separate file systems.
    if (source.mount?.writable !== true || target.mount?.writable !== true) throw systemError(target.mount?.writable === true ? 'EXDEV' : 'EROFS', 'link', from, to);
    if (target.exists) throw systemError('EEXIST', 'link', from, to);
    await fsp.link(source.host!, target.host!);
  }

  async #mkdtemp(prefix: string): Promise<string> {
    const virtual = posix.resolve(CODE_ROOT, prefix);
    const parent = await this.#writable(`${posix.dirname(virtual)}/x`, true, 'mkdtemp').catch((error: unknown) => {
      throw error instanceof FsError ? systemError(error.data.code, 'mkdtemp', `${prefix}XXXXXX`) : error;
    });
    const made = await fsp.mkdtemp(`${posix.dirname(parent.host)}/${basename(virtual)}`);
    const name = basename(made);
    return prefix.endsWith('/') ? `${prefix}${name}` : `${posix.dirname(prefix)}/${name}`.replace(/^\.\//, posix.isAbsolute(prefix) ? '/' : './');
  }

  readonly #operations: Record<string, Operation> = {
    open: (path: string, flags: number, mode: number) => this.#open(path, flags, mode),
    close: (fd: number) => this.#close(fd),
    read: (fd: number, length: number, position: number | null) => this.#read(fd, length, position),
    write: (fd: number, data: Uint8Array, position: number | null) => this.#write(fd, data, position),
    readFile: (path: string | number, flags: number) => this.#readFile(path, flags),
    writeFile: (path: string | number, data: Uint8Array, flags: number, mode: number) => this.#writeFile(path, data, flags, mode),
    stat: (path: string) => this.#stat(path, true),
    lstat: (path: string) => this.#stat(path, false),
    fstat: async (fd: number) => statsArray(await this.#file(fd, 'fstat').handle.stat()),
    ftruncate: async (fd: number, length: number) => {
      const file = this.#file(fd, 'ftruncate');
      if (!file.writable) throw systemError('EINVAL', 'ftruncate');
      if (file.inTmp) {
        await this.#growTmp(length - (await file.handle.stat()).size, 'ftruncate');
        this.#tmpDirty = true;
      }
      await file.handle.truncate(length);
    },
    fsync: async (fd: number) => void this.#file(fd, 'fsync'),
    futimes: async (fd: number, atime: number, mtime: number) => {
      const file = this.#file(fd, 'futime');
      if (!file.inTmp) throw systemError('EROFS', 'futime');
      await file.handle.utimes(atime, mtime);
    },
    fchmod: async (fd: number, mode: number) => {
      const file = this.#file(fd, 'fchmod');
      if (!file.inTmp) throw systemError('EROFS', 'fchmod');
      await file.handle.chmod(mode);
    },
    access: async (path: string, mode: number) => {
      const resolved = await this.#existing(path, true, 'access');
      if ((mode & fsConstants.W_OK) !== 0 && resolved.mount?.writable !== true) throw systemError(resolved.mount === null ? 'EACCES' : 'EROFS', 'access', path);
      if (resolved.host !== null) await fsp.access(resolved.host, mode).catch((error: unknown) => Promise.reject(fromHost(error, 'access', path)));
    },
    readdir: (path: string, withTypes: boolean) => this.#readdir(path, withTypes),
    mkdir: (path: string, recursive: boolean, mode: number) => this.#mkdir(path, recursive, mode),
    rm: (path: string, recursive: boolean, force: boolean) => this.#rm(path, recursive, force),
    rmdir: (path: string, recursive: boolean) => this.#rmdir(path, recursive),
    unlink: (path: string) => this.#unlink(path),
    rename: (from: string, to: string) => this.#rename(from, to),
    copyFile: (from: string, to: string, mode: number) => this.#copyFile(from, to, mode),
    link: (from: string, to: string) => this.#link(from, to),
    symlink: async (target: string, path: string) => {
      const writable = await this.#writable(path, false, 'symlink');
      if (writable.exists) throw systemError('EEXIST', 'symlink', target, path);
      await fsp.symlink(target, writable.host);
    },
    readlink: async (path: string) => {
      const resolved = await this.#existing(path, false, 'readlink');
      if (resolved.host === null || resolved.stats?.isSymbolicLink() !== true) throw systemError('EINVAL', 'readlink', path);
      return fsp.readlink(resolved.host);
    },
    realpath: async (path: string) => (await this.#existing(path, true, 'realpath')).virtual,
    truncate: async (path: string, length: number) => {
      const writable = await this.#writable(path, true, 'open');
      if (!writable.exists) throw systemError('ENOENT', 'open', path);
      await this.#growTmp(length - (writable.stats?.size ?? 0), 'ftruncate');
      this.#tmpDirty = true;
      await fsp.truncate(writable.host, length);
    },
    utimes: async (path: string, atime: number, mtime: number, follow: boolean) => {
      const writable = await this.#writable(path, follow, follow ? 'utime' : 'lutime');
      if (!writable.exists) throw systemError('ENOENT', 'utime', path);
      await (follow ? fsp.utimes(writable.host, atime, mtime) : fsp.lutimes(writable.host, atime, mtime));
    },
    chmod: async (path: string, mode: number) => {
      const writable = await this.#writable(path, true, 'chmod');
      if (!writable.exists) throw systemError('ENOENT', 'chmod', path);
      await fsp.chmod(writable.host, mode);
    },
    chown: async (path: string) => {
      const writable = await this.#writable(path, true, 'chown');
      if (!writable.exists) throw systemError('ENOENT', 'chown', path);
    },
    mkdtemp: (prefix: string) => this.#mkdtemp(prefix),
  };
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) total += await folderBytes(path);
    else if (entry.isFile()) total += (await lstatOrNull(path))?.size ?? 0;
  }
  return total;
}

/** Copies `value` into the isolate when the sync call's promise resolves (applySyncPromise takes no result options). */
function transferable(answer: [FsErrorData | null, unknown]): ivm.Copy<unknown> {
  const result = answer[1];
  // File bytes are read into a buffer of their own (allocUnsafeSlow): moved into the isolate, not copied.
  const transferList = result instanceof Uint8Array && result.byteOffset === 0 && result.byteLength === result.buffer.byteLength ? [result.buffer] : undefined;
  return new ivm.ExternalCopy(answer, { transferList }).copyInto({ release: true, transferIn: transferList !== undefined });
}

export function fsService(context: ServiceContext): HostService {
  const files = new FunctionFiles(context);
  const sync = new ivm.Reference(async (op: string, args: Args) => transferable(await files.run(op, args)));
  return {
    callbacks: {
      sync,
      start: new ivm.Callback(
        (id: number, op: string, args: Args) => {
          void files.run(op, args).then((answer) => context.send(id, 'done', answer));
        },
        { ignored: true },
      ),
    },
    close: () => {
      files.close();
      sync.release();
    },
  };
}
