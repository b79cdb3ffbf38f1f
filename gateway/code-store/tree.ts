/**
 * Copies a code folder into the code store, hashing what it copies: the SHA-256 of a folder is over
 * each entry in path order (its relative path, its kind, a file's executable bit and content, a link's
 * target), so the same tree always gets the same name. Links that point out of the folder are refused,
 * as a zip's are; sockets and FIFOs are skipped.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isInside, refuse } from './zip.ts';

export interface CopyOptions {
  maxBytes: number;
  /** Absolute paths left out (the data dir, when a project serves `src: .`). */
  exclude: readonly string[];
}

/** Copies `source` into the empty folder `target`: the tree's SHA-256 (hex) and its files' bytes. */
export async function copyTree(source: string, target: string, what: string, options: CopyOptions): Promise<{ sha256: string; size: number }> {
  const root = resolve(source);
  const hash = createHash('sha256');
  const state = { size: 0 };
  await copyDir(root, root, resolve(target), hash, state, what, options);
  return { sha256: hash.digest('hex'), size: state.size };
}

async function copyDir(root: string, dir: string, into: string, hash: Hash, state: { size: number }, what: string, options: CopyOptions): Promise<void> {
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const from = join(dir, name);
    if (options.exclude.includes(from)) continue;
    const to = join(into, name);
    const rel = from.slice(root.length + 1);
    const stats = await lstat(from);
    if (stats.isDirectory()) {
      hash.update(`D ${rel}\0`);
      await mkdir(to);
      await copyDir(root, from, to, hash, state, what, options);
    } else if (stats.isSymbolicLink()) {
      const linkTarget = await readlink(from);
      if (isAbsolute(linkTarget) || !isInside(root, resolve(dirname(from), linkTarget))) {
        throw refuse(what, `${rel} is a symlink to ${linkTarget}, which points out of the code folder`);
      }
      hash.update(`L ${rel}\0${linkTarget}\0`);
      await symlink(linkTarget, to);
    } else if (stats.isFile()) {
      const executable = (stats.mode & 0o111) !== 0;
      state.size += stats.size;
      if (state.size > options.maxBytes) throw refuse(what, `the folder holds more than ${options.maxBytes} bytes, the limit for code and layers unpacked`);
      hash.update(`F ${rel}\0${executable ? 'x' : '-'}\0`);
      const tee = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      await pipeline(createReadStream(from), tee, createWriteStream(to, { mode: executable ? 0o755 : 0o644 }));
      hash.update('\0');
    }
  }
}
