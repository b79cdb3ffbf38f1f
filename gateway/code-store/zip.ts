/**
 * Checked, bounded zip extraction: the one place fngate unpacks a zip (fngate.yml `src: x.zip`, code and
 * layers sent through the API). Refused, naming the entry: paths that climb out (`../`, absolute),
 * symlinks that point out, encrypted entries, more than `maxEntries` entries, and more than
 * `maxUnpackedBytes` unpacked. The size is checked twice: the sizes the central directory declares
 * before anything is written, then the bytes actually inflated (yauzl's validateEntrySizes refuses an
 * entry whose data does not match its declared size), so a zip bomb stops before it fills the disk.
 * yauzl (not fflate's unzipSync, which inflates everything into memory) streams each entry to disk and
 * exposes the external attributes that tell symlinks and executables apart.
 */
import { createWriteStream, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Entry, ZipFile } from 'yauzl';
import { FnError } from '../errors.ts';

export interface ExtractLimits {
  maxUnpackedBytes: number;
  maxEntries: number;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
/** `versionMadeBy`'s high byte for zips made on Unix: only they carry a file mode. */
const MADE_ON_UNIX = 3;
/** A symlink's target is its entry's data; longer than a path can be is not a link. */
const MAX_LINK_BYTES = 4096;

/** The FnError every refusal is: a bad parameter of the request that sent the zip. */
export function refuse(what: string, why: string): FnError {
  return new FnError('INVALID_PARAMETER', `${what}: ${why}`);
}

/** Whether `path` (absolute) lies inside the folder `root` (absolute), or is it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function unixMode(entry: Entry): number {
  return entry.versionMadeBy >> 8 === MADE_ON_UNIX ? entry.externalFileAttributes >>> 16 : 0;
}

function openZip(zip: Buffer): Promise<ZipFile> {
  return import('yauzl').then(
    ({ default: yauzl }) =>
      new Promise<ZipFile>((done, fail) =>
        yauzl.fromBuffer(zip, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (error, zipfile) =>
          error ? fail(error) : done(zipfile),
        ),
      ),
  );
}

/** Every entry of the central directory, in order; yauzl refuses absolute and `..` names here. */
function readEntries(zipfile: ZipFile): Promise<Entry[]> {
  return new Promise((done, fail) => {
    const entries: Entry[] = [];
    zipfile.on('entry', (entry: Entry) => {
      entries.push(entry);
      zipfile.readEntry();
    });
    zipfile.once('end', () => done(entries));
    zipfile.once('error', fail);
    zipfile.readEntry();
  });
}

function openEntry(zipfile: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((done, fail) => zipfile.openReadStream(entry, (error, stream) => (error ? fail(error) : done(stream))));
}

/** yauzl's own refusals of a name, reworded to say what is wrong with the entry. */
function describeZipError(what: string, error: Error): FnError {
  const name = /^(?:absolute path|invalid relative path|invalid characters in fileName): (.*)$/.exec(error.message)?.[1];
  if (name !== undefined) return refuse(what, `zip entry "${name}" points out of the code folder; entries must be relative paths inside it`);
  return refuse(what, `not a readable zip (${error.message})`);
}

/**
 * Extracts `zip` into `target` (an empty folder). Resolves with the number of bytes written; rejects
 * with an INVALID_PARAMETER FnError naming `what` (e.g. `function hello`) and the entry at fault.
 */
export async function extractZip(zip: Buffer, target: string, what: string, limits: ExtractLimits): Promise<number> {
  let zipfile: ZipFile;
  let entries: Entry[];
  try {
    zipfile = await openZip(zip);
    if (zipfile.entryCount > limits.maxEntries) {
      zipfile.close();
      throw refuse(what, `the zip holds ${zipfile.entryCount} entries, over the limit of ${limits.maxEntries}`);
    }
    entries = await readEntries(zipfile);
  } catch (error) {
    throw error instanceof FnError ? error : describeZipError(what, error as Error);
  }
  try {
    return await writeEntries(zipfile, entries, resolve(target), what, limits);
  } catch (error) {
    throw error instanceof FnError ? error : describeZipError(what, error as Error);
  } finally {
    zipfile.close();
  }
}

async function writeEntries(zipfile: ZipFile, entries: Entry[], root: string, what: string, limits: ExtractLimits): Promise<number> {
  let declared = 0;
  for (const entry of entries) {
    if (!isInside(root, resolve(root, entry.fileName))) {
      throw refuse(what, `zip entry "${entry.fileName}" points out of the code folder; entries must be relative paths inside it`);
    }
    if (entry.isEncrypted()) throw refuse(what, `zip entry "${entry.fileName}" is encrypted`);
    declared += entry.uncompressedSize;
  }
  if (declared > limits.maxUnpackedBytes) {
    throw refuse(what, `the zip unpacks to ${declared} bytes, over the ${limits.maxUnpackedBytes} byte limit for code and layers unpacked`);
  }
  let written = 0;
  const count = (): Transform =>
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        if (written > limits.maxUnpackedBytes) callback(refuse(what, `the zip unpacks to more than ${limits.maxUnpackedBytes} bytes`));
        else callback(null, chunk);
      },
    });
  // Links are made last, so no file is ever written through one.
  const links: Array<{ path: string; name: string; target: string }> = [];
  for (const entry of entries) {
    const path = resolve(root, entry.fileName);
    const mode = unixMode(entry);
    const type = mode & S_IFMT;
    if (entry.fileName.endsWith('/') || type === S_IFDIR) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    const stream = await openEntry(zipfile, entry);
    if (type === S_IFLNK) {
      if (entry.uncompressedSize > MAX_LINK_BYTES) throw refuse(what, `zip entry "${entry.fileName}" is a symlink with a ${entry.uncompressedSize} byte target`);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const linkTarget = Buffer.concat(chunks).toString('utf8');
      if (isAbsolute(linkTarget) || !isInside(root, resolve(dirname(path), linkTarget))) {
        throw refuse(what, `zip entry "${entry.fileName}" is a symlink to ${linkTarget}, which points out of the code folder`);
      }
      links.push({ path, name: entry.fileName, target: linkTarget });
      continue;
    }
    // Executables (bootstrap, scf_bootstrap, Go binaries) keep their x bit; nothing is writable by others.
    const fileMode = mode & 0o111 ? 0o755 : 0o644;
    await pipeline(stream, count(), createWriteStream(path, { mode: fileMode }));
  }
  for (const link of links) {
    try {
      symlinkSync(link.target, link.path);
    } catch (error) {
      throw refuse(what, `zip entry "${link.name}" cannot be made (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  return written;
}
