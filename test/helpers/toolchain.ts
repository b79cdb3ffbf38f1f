/**
 * A test that needs a toolchain runs when it is installed. On a newcomer's machine a missing one skips
 * with a message saying what to install; in CI (CI set) nothing may skip, so it fails instead.
 */
import { spawnSync } from 'node:child_process';
import type { Test } from 'tap';

export function hasTool(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function requireTool(
  t: Test,
  command: string,
  debianPackage: string,
): boolean {
  if (hasTool(command)) return true;
  const message = `${command} not found: install it (apt-get install ${debianPackage}) to run these tests`;
  if (process.env.CI) t.fail(message);
  else t.test(message, { skip: message }, () => undefined);
  return false;
}
