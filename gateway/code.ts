/**
 * Turns a configured `src` into a code folder: folders are used in place; a .zip is extracted into the
 * data dir (what SCF calls pulling the code), into a folder named after its content: a redeploy gets a
 * fresh folder while the instances of the version it replaces still run from theirs, and the registry
 * releases the old folder once its last instance ended.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { FunctionConfig } from './config.ts';
import { FnError } from './errors.ts';

/** Hex digits of the zip's SHA-256 naming its extraction folder. */
const CONTENT_ID_LENGTH = 16;

export class CodeFolders {
  readonly #root: string;
  /** Functions whose folders this gateway has prepared: extractions of an earlier run are cleared once. */
  #seen = new Set<string>();

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'code');
  }

  async prepare(config: FunctionConfig): Promise<string> {
    if (!config.src.endsWith('.zip')) return config.src;
    const parent = join(this.#root, config.namespace, config.name);
    let zip: Buffer;
    try {
      zip = readFileSync(config.src);
    } catch (error) {
      throw new FnError('USER_CODE_LOAD_ERROR', `function ${config.name}: cannot read ${config.src}: ${(error as Error).message}`);
    }
    const target = join(parent, createHash('sha256').update(zip).digest('hex').slice(0, CONTENT_ID_LENGTH));
    if (!this.#seen.has(parent)) {
      this.#seen.add(parent);
      rmSync(parent, { recursive: true, force: true });
    }
    if (existsSync(target)) return target;
    // Extracted aside, then renamed: a folder under its final name is always complete.
    const staging = `${target}.${randomUUID()}.tmp`;
    try {
      await extractZip(config.name, config.src, zip, staging);
      renameSync(staging, target);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (existsSync(target)) return target;
      throw error;
    }
    return target;
  }

  /** Deletes a folder `prepare` extracted (folders used in place are left alone). */
  release(codeDir: string): void {
    if (!codeDir.startsWith(this.#root + sep)) return;
    rmSync(codeDir, { recursive: true, force: true });
  }
}

async function extractZip(name: string, src: string, zip: Buffer, target: string): Promise<void> {
  mkdirSync(target, { recursive: true });
  // Loaded on use: most projects have folders, and start-up should not pay for the unzipper.
  const { unzipSync } = await import('fflate');
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (error) {
    throw new FnError('USER_CODE_LOAD_ERROR', `function ${name}: ${src} is not a readable zip: ${(error as Error).message}`);
  }
  for (const [entry, data] of Object.entries(entries)) {
    const path = resolve(target, entry);
    // Zip-slip: an entry may not climb out of the code folder.
    if (!path.startsWith(target + sep)) {
      throw new FnError('USER_CODE_LOAD_ERROR', `function ${name}: zip entry ${entry} escapes the code folder`);
    }
    if (entry.endsWith('/')) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
}
