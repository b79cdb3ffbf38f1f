/**
 * The code store: `<data dir>/code/<sha256>/`, one immutable folder per content. A zip is named by the
 * SHA-256 of its bytes and extracted once (checked and bounded: zip.ts); a folder is copied in and named
 * by the hash of its tree (tree.ts). Each is built in a temporary folder beside the store and renamed
 * into place, so a folder that exists is complete. Published versions and layers always run from here;
 * only a manifest function's `$LATEST` runs from its own folder (hot reload edits it).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAX_UNPACKED_BYTES, MAX_ZIP_BYTES, MAX_ZIP_ENTRIES, MB } from '../lifecycle/limits.ts';
import type { CodeSource } from '../lifecycle/contract.ts';
import { copyTree } from './tree.ts';
import { extractZip, refuse } from './zip.ts';

export const CODE_DIR_NAME = 'code';
const TEMP_PREFIX = '.tmp-';
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface StoredCode {
  sha256: string;
  /** The zip's bytes, or the folder's files'. */
  size: number;
  /** The stored folder. */
  dir: string;
}

export interface CodeStoreOptions {
  /** The gateway's data dir: the store is its `code/` folder, and it is never copied into itself. */
  dataDir: string;
  /** @default MAX_ZIP_BYTES (50 MB) */
  maxZipBytes?: number;
  /** @default MAX_UNPACKED_BYTES (500 MB) */
  maxUnpackedBytes?: number;
  /** @default MAX_ZIP_ENTRIES */
  maxEntries?: number;
}


export class CodeStore {
  readonly root: string;
  #dataDir: string;
  #maxZipBytes: number;
  #maxUnpackedBytes: number;
  #maxEntries: number;

  constructor(options: CodeStoreOptions) {
    this.#dataDir = resolve(options.dataDir);
    this.root = join(this.#dataDir, CODE_DIR_NAME);
    this.#maxZipBytes = options.maxZipBytes ?? MAX_ZIP_BYTES;
    this.#maxUnpackedBytes = options.maxUnpackedBytes ?? MAX_UNPACKED_BYTES;
    this.#maxEntries = options.maxEntries ?? MAX_ZIP_ENTRIES;
  }

  dirOf(sha256: string): string {
    return join(this.root, sha256);
  }

  has(sha256: string): boolean {
    return SHA256_HEX.test(sha256) && existsSync(this.dirOf(sha256));
  }

  /** Stores `source`; `what` (e.g. `function hello`) names it in error messages. */
  put(source: CodeSource, what: string): Promise<StoredCode> {
    return 'zipFile' in source ? this.putZip(source.zipFile, what) : this.putDir(source.dir, what);
  }

  async putZipFile(file: string, what: string): Promise<StoredCode> {
    let zip: Buffer;
    try {
      zip = await readFile(file);
    } catch (error) {
      throw refuse(what, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    return this.putZip(zip, what);
  }

  async putZip(zip: Buffer, what: string): Promise<StoredCode> {
    if (zip.length > this.#maxZipBytes) {
      throw refuse(
        what,
        `the zip is ${zip.length} bytes (${(zip.length / MB).toFixed(1)} MB), over the ${this.#maxZipBytes / MB} MB limit for a zip sent with the request; ` +
          'make it smaller (leave out what the function does not load), or move dependencies into a layer',
      );
    }
    const sha256 = createHash('sha256').update(zip).digest('hex');
    const dir = this.dirOf(sha256);
    if (!existsSync(dir)) {
      await this.#build(dir, (temp) => extractZip(zip, temp, what, { maxUnpackedBytes: this.#maxUnpackedBytes, maxEntries: this.#maxEntries }));
    }
    return { sha256, size: zip.length, dir };
  }

  /** Copies the folder in (a published version must not change when the folder does). */
  async putDir(source: string, what: string): Promise<StoredCode> {
    let result: { sha256: string; size: number } | undefined;
    const temp = await this.#temp();
    try {
      try {
        result = await copyTree(source, temp, what, { maxBytes: this.#maxUnpackedBytes, exclude: [this.#dataDir] });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw refuse(what, `${source} is not a folder`);
        throw error;
      }
      const dir = this.dirOf(result.sha256);
      if (!existsSync(dir)) await rename(temp, dir);
      return { ...result, dir };
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  /**
   * Removes stored code none of `keep` (SHA-256s) names, and temporary folders a crash left. Run at start,
   * before anything runs from the store.
   */
  async prune(keep: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const name of names) {
      if ((SHA256_HEX.test(name) && !keep.has(name)) || name.startsWith(TEMP_PREFIX)) {
        await rm(join(this.root, name), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  async #temp(): Promise<string> {
    const temp = join(this.root, `${TEMP_PREFIX}${randomUUID()}`);
    await mkdir(temp, { recursive: true });
    return temp;
  }

  /** Fills a temporary folder and renames it to `dir`; another writer of the same content may win. */
  async #build(dir: string, fill: (temp: string) => Promise<unknown>): Promise<void> {
    const temp = await this.#temp();
    try {
      await fill(temp);
      if (!existsSync(dir)) await rename(temp, dir);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
}
