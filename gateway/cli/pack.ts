/**
 * A code folder as a zip for `fngate deploy` and `fngate layers publish` (the gateway may be on another
 * machine): files keep their executable bit and symlinks stay symlinks (Unix attributes), which the
 * gateway's checked extraction (code-store/zip.ts) reads back.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { CliError, EXIT_USAGE } from './fail.ts';

/** `versionMadeBy` OS byte for Unix: the external attributes hold a file mode. */
const UNIX = 3;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
/** `fngate serve .`'s data dir: never code. */
const DATA_DIR_NAME = '.fngate';

/** The zip at `path`, or the folder at `path` zipped. */
export function readCode(path: string): Buffer {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (error) {
    throw new CliError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'pass a code folder or a .zip that exists', EXIT_USAGE);
  }
  if (!isDir) {
    if (!path.endsWith('.zip')) throw new CliError(`${path} is neither a folder nor a .zip`, 'pass a code folder or a .zip', EXIT_USAGE);
    return readFileSync(path);
  }
  const files: Zippable = {};
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (prefix === '' && name === DATA_DIR_NAME) continue;
      const full = join(dir, name);
      const entry = `${prefix}${name}`;
      const stats = lstatSync(full);
      if (stats.isDirectory()) walk(full, `${entry}/`);
      else if (stats.isSymbolicLink()) files[entry] = [Buffer.from(readlinkSync(full)), { os: UNIX, attrs: ((S_IFLNK | 0o777) * 0x10000) >>> 0, level: 0 }];
      else if (stats.isFile()) files[entry] = [readFileSync(full), { os: UNIX, attrs: ((S_IFREG | (stats.mode & 0o777)) * 0x10000) >>> 0 }];
    }
  };
  walk(path, '');
  return Buffer.from(zipSync(files));
}
