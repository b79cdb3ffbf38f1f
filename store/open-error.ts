/**
 * Why the data dir cannot be used, said once: the file, what is wrong with it and what to do. Start-up
 * prints this as its one line instead of SQLite's stack trace.
 */
export class StoreOpenError extends Error {
  /** The file or folder at fault. */
  readonly file: string;
  /** What to do about it. */
  readonly fix: string;

  constructor(file: string, problem: string, fix: string, options?: { cause?: unknown }) {
    super(`${problem}: ${file}`, options);
    this.name = 'StoreOpenError';
    this.file = file;
    this.fix = fix;
  }
}

/** What to do about a database that cannot be read as one. */
export const MOVE_ASIDE = 'move it aside (or restore it from a backup) and start again; fngate creates a fresh database';

const WRITABLE_FIX = 'check that the data dir is a writable folder of the user fngate runs as, or pass --data-dir';

/** An error opening or checking the database at `dbPath`, named for the operator. */
export function describeOpenError(error: unknown, dbPath: string, dataDir: string): StoreOpenError {
  if (error instanceof StoreOpenError) return error;
  const code = String((error as { code?: unknown }).code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  const cause = { cause: error };
  switch (code) {
    case 'SQLITE_NOTADB':
      return new StoreOpenError(dbPath, 'the database file is not an SQLite database', MOVE_ASIDE, cause);
    case 'SQLITE_CORRUPT':
    case 'SQLITE_CORRUPT_VTAB':
    case 'SQLITE_CORRUPT_SEQUENCE':
      return new StoreOpenError(dbPath, `the database file is corrupt (${message})`, `${MOVE_ASIDE}, or salvage it with sqlite3's .recover`, cause);
    case 'SQLITE_FULL':
      return new StoreOpenError(dataDir, 'the disk of the data dir is full', 'free space there (or pass --data-dir on another disk) and start again', cause);
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DIRECTORY':
    case 'SQLITE_READONLY_DBMOVED':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return new StoreOpenError(dbPath, `the database cannot be opened for writing (${code}: ${message})`, WRITABLE_FIX, cause);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'ENOTDIR':
    case 'EEXIST':
      // Node's message names the code and the path already.
      return new StoreOpenError(String((error as { path?: unknown }).path ?? dataDir), `the data dir cannot be used (${message})`, WRITABLE_FIX, cause);
    case 'ENOSPC':
      return new StoreOpenError(dataDir, 'the disk of the data dir is full', 'free space there (or pass --data-dir on another disk) and start again', cause);
    default:
      if (code.startsWith('SQLITE_IOERR')) {
        return new StoreOpenError(dbPath, `the database cannot be read or written (${code}: ${message})`, 'check the disk (space, errors in dmesg) and the file, then start again', cause);
      }
      return new StoreOpenError(dbPath, `the database cannot be opened (${code || 'error'}: ${message})`, MOVE_ASIDE, cause);
  }
}
