/**
 * Installs the fixture's node_modules with `npm ci` (as a user's CI would before zipping a function), only
 * when they do not match package-lock.json: the lockfile's hash is kept in node_modules after a good install.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const MARKER = '.fngate-lock-sha256';
const NPM_CI_TIMEOUT_MS = 180_000;

/** Returns true when it ran `npm ci`, false when node_modules already matched. */
export async function ensureFixture(dir: string): Promise<boolean> {
  const hash = createHash('sha256').update(readFileSync(join(dir, 'package-lock.json'))).digest('hex');
  const marker = join(dir, 'node_modules', MARKER);
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash) return false;
  // Install scripts are not needed by any fixture package (none builds a native addon).
  await promisify(execFile)('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: dir,
    timeout: NPM_CI_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  writeFileSync(marker, `${hash}\n`);
  return true;
}
