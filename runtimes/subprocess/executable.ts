/**
 * The user's own executable in the code folder (a Go binary, a custom runtime's `bootstrap`). Missing or
 * not executable is SCF's "bootstrap file does not exist" for both: the entry named by the function
 * cannot be run, status 437, with a message that says which of the two it is.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { FnError } from '../../gateway/errors.ts';
import type { FunctionSpec } from '../runtime.ts';

/** The absolute path of `name` in the code folder, checked to be an executable file inside it. */
export async function executableInCodeDir(spec: FunctionSpec, name: string, what: string): Promise<string> {
  const path = resolve(spec.codeDir, name);
  const inside = relative(spec.codeDir, path);
  if (!name || inside === '' || inside.startsWith(`..${sep}`) || inside === '..') {
    throw new FnError('HANDLER_NOT_FOUND', `${what} "${name}" is not a file in the code folder`);
  }
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new FnError('HANDLER_NOT_FOUND', `${what} ${inside} was not found in the code folder`);
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new FnError('HANDLER_NOT_FOUND', `${what} ${inside} is not executable (chmod 755 it before packaging)`);
  }
  return path;
}
