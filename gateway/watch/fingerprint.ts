/**
 * What a function's deployment depends on besides its configuration: the files of its code (folder or
 * zip) and of its layers, fingerprinted by path, size and modification time (as make and rsync judge a
 * file changed), without reading their content.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FunctionConfig } from '../config.ts';

/** Editors' swap, backup and lock files (vim's .swp and 4913 probe, emacs's .# and ~): not part of the code. */
const EDITOR_FILE = /^\.#|~$|\.sw[a-p]$|^4913$/;

export function isEditorFile(name: string): boolean {
  return EDITOR_FILE.test(name);
}

/** A digest of the code's and the layers' file trees; a missing path counts as empty. */
export async function codeFingerprint(config: FunctionConfig): Promise<string> {
  const hash = createHash('sha256');
  for (const root of [config.src, ...config.layers.map((layer) => layer.dir)]) {
    hash.update(`\0root ${root}\n`);
    await addTree(hash, root, '');
  }
  return hash.digest('hex');
}

async function addTree(hash: ReturnType<typeof createHash>, root: string, relative: string): Promise<void> {
  const path = relative === '' ? root : join(root, relative);
  let stats;
  try {
    stats = await lstat(path);
  } catch {
    return;
  }
  hash.update(`${relative}\0${stats.isDirectory() ? 'd' : stats.size}\0${stats.mtimeMs}\n`);
  if (!stats.isDirectory()) return;
  let names: string[];
  try {
    names = await readdir(path);
  } catch {
    return;
  }
  names.sort();
  for (const name of names) if (!isEditorFile(name)) await addTree(hash, root, relative === '' ? name : join(relative, name));
}
