/**
 * The user's own executable in the code folder (a Go binary, a custom runtime's `bootstrap`). Missing or
 * not executable is SCF's "bootstrap file does not exist" for both: the entry named by the function
 * cannot be run, status 437, with a message that says which of the two it is.
 */
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
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

/** How much of a start script is read to tell text from binary and find line endings. */
const SCRIPT_SNIFF_BYTES = 64 * 1024;

/**
 * Whether a start script (scf_bootstrap, bootstrap) is text with Windows line endings. SCF requires LF
 * ("文件结尾必须以 LF 换行符结束"): with CRLF the kernel looks for the interpreter `/bin/bash\r` and the
 * shell reads `\r` as part of every command. Binaries (a NUL byte) are never reported.
 */
export async function hasCrlfLineEndings(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const buffer = Buffer.alloc(SCRIPT_SNIFF_BYTES);
    const { bytesRead } = await file.read(buffer, 0, SCRIPT_SNIFF_BYTES, 0);
    const head = buffer.subarray(0, bytesRead);
    return !head.includes(0) && head.includes('\r\n');
  } finally {
    await file.close();
  }
}

/** The message for a start script with CRLF line endings. */
export function crlfMessage(name: string): string {
  return `${name} has Windows (CRLF) line endings; SCF requires LF: the "\\r" ending each line becomes part of it (the interpreter "/bin/bash\\r" is not found, commands fail). Convert it (dos2unix ${name}, or save it with LF line endings) and deploy again`;
}
