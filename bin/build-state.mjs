// Whether dist/ (bin/build.mjs) is current: its BUILD_STAMP at least as new as every source file.
// Shared by bin/fngate.js (run the build or the sources) and the tests that use the built package.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The folders compiled into dist/; tsconfig.build.json includes the same. */
export const SOURCE_DIRS = ['gateway', 'runtimes', 'store'];

/** Newest modification time of the files under `dir`, in ms. */
function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** 'current', 'missing' or 'stale'. */
export function distState(root) {
  const stamp = statSync(join(root, 'dist', 'BUILD_STAMP'), { throwIfNoEntry: false });
  if (stamp === undefined) return 'missing';
  const newestSource = Math.max(...SOURCE_DIRS.map((dir) => newestIn(join(root, dir))));
  return newestSource > stamp.mtimeMs ? 'stale' : 'current';
}
