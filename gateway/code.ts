/**
 * Turns a configured `src` into a code folder: folders are used in place; a .zip is extracted once
 * into the data dir (what SCF calls pulling the code).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { FunctionConfig } from './config.ts';
import { FnError } from './errors.ts';

export async function prepareCode(config: FunctionConfig, dataDir: string): Promise<string> {
  if (!config.src.endsWith('.zip')) return config.src;
  const target = join(dataDir, 'code', config.namespace, config.name);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  // Loaded on use: most projects have folders, and start-up should not pay for the unzipper.
  const { unzipSync } = await import('fflate');
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(readFileSync(config.src));
  } catch (error) {
    throw new FnError('USER_CODE_LOAD_ERROR', `function ${config.name}: ${config.src} is not a readable zip: ${(error as Error).message}`);
  }
  for (const [name, data] of Object.entries(entries)) {
    const path = resolve(target, name);
    // Zip-slip: an entry may not climb out of the code folder.
    if (!path.startsWith(target + sep)) {
      throw new FnError('USER_CODE_LOAD_ERROR', `function ${config.name}: zip entry ${name} escapes the code folder`);
    }
    if (name.endsWith('/')) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
  return target;
}
