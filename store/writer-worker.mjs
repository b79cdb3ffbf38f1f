/**
 * The store's writer thread (piscina, one thread): owns its own better-sqlite3 connection and runs each
 * batch of named statements as one transaction, so the gateway's event loop never waits on SQLite or
 * fsync.
 *
 * Why plain JavaScript: piscina loads this file with require()/import() inside a worker thread. A `.ts`
 * file would need tsx registered in that thread too, which ties the worker to how the parent was
 * started (tsx loader, compiled build, test runner) and costs startup time. This file has no types to
 * share: the SQL and the row layout come from store/statements.ts through `workerData`.
 *
 * Protocol (see WriterTask/WriterResult in batch-writer.ts):
 *   workerData: { dbPath, statements: { name: sql }, busyTimeoutMs }
 *   writeBatch({ groups: [[statementName, rows[]], ...], durable }) -> { changes, rejected, firstError }
 *   (a group named PACKED_GROUP holds packed rows of several statements: store/row-packing.mjs)
 */
import Database from 'better-sqlite3';
import { workerData } from 'piscina';
import { PACKED_GROUP, unpackRows } from './row-packing.mjs';

const { dbPath, statements, busyTimeoutMs } = workerData;
const WRITER_CACHE_KIB = 32 * 1024;

const db = new Database(dbPath);
db.pragma(`busy_timeout = ${Number(busyTimeoutMs)}`);
// WAL is persistent in the file (the main thread set it at open); NORMAL is per connection. In WAL mode
// NORMAL fsyncs at checkpoints only: a commit survives a crash of fngate, not necessarily a power cut.
db.pragma('synchronous = NORMAL');
// Request IDs key the invocations table and logs_by_request; IDs that are not time-ordered (UUID v4, from before v7):
// their inserts touch random pages, which SQLite's default 2 MB cache misses once the tables grow (a read
// of the page per insert). 32 MB keeps the hot part of those indexes in memory.
db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
// Prepared once: a durable transaction switches synchronous around itself.
const syncFull = db.prepare('PRAGMA synchronous = FULL');
const syncNormal = db.prepare('PRAGMA synchronous = NORMAL');

const prepared = new Map(Object.entries(statements).map(([name, sql]) => [name, db.prepare(sql)]));

/** What the transaction in progress did so far. */
let outcome = { changes: 0, rejected: 0, firstError: undefined };

function statementNamed(name) {
  const statement = prepared.get(name);
  if (statement === undefined) throw new Error(`writer: unknown statement "${name}"`);
  return statement;
}

function runRow(statement, row) {
  try {
    outcome.changes += statement.run(row).changes;
  } catch (error) {
    // A row the schema refuses (constraint, bad binding) fails alone: SQLite rolls back that
    // statement and the transaction goes on, so one bad row cannot sink a batch. If SQLite ended the
    // transaction itself (I/O error, disk full), the whole batch fails and the caller retries it.
    if (!db.inTransaction || isStoreFault(error)) throw error;
    outcome.rejected++;
    outcome.firstError ??= error instanceof Error ? error.message : String(error);
  }
}

const runPackedRow = (name, row) => runRow(statementNamed(name), row);

const runGroups = db.transaction((groups) => {
  outcome = { changes: 0, rejected: 0, firstError: undefined };
  for (const [name, rows] of groups) {
    if (name === PACKED_GROUP) {
      unpackRows(rows, runPackedRow);
      continue;
    }
    const statement = statementNamed(name);
    for (const row of rows) runRow(statement, row);
  }
  return outcome;
});

/** Errors of the database or its disk, not of one row: the batch fails and the caller hears why. */
function isStoreFault(error) {
  const code = String(error?.code ?? '');
  return /^SQLITE_(FULL|IOERR|READONLY|CORRUPT|NOTADB|CANTOPEN|PERM)/.test(code);
}

/**
 * better-sqlite3's SqliteError reaches the parent thread as `{ code }` alone (structured clone drops its
 * message): rethrow a plain Error whose message carries both.
 */
function portable(error) {
  if (!(error instanceof Error)) return error;
  const code = error.code;
  return new Error(code && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message);
}

export function writeBatch(task) {
  try {
    return runTask(task);
  } catch (error) {
    throw portable(error);
  }
}

function runTask(task) {
  if (!task.durable) return runGroups(task.groups);
  // Accepted async events must survive a power cut before fngate answers 202: in WAL mode FULL fsyncs
  // the WAL at this commit (and with it every frame appended before). The setting is per connection
  // and may only change outside a transaction, so it is set around this one and put back.
  syncFull.run();
  try {
    return runGroups(task.groups);
  } finally {
    syncNormal.run();
  }
}

/** Resolves once this module (and so the connection) loaded: the store's open waits on it. */
export function ping() {
  return true;
}

/** Close the connection before the pool is destroyed, so SQLite finishes cleanly (WAL checkpoint). */
export function closeDb() {
  if (db.open) db.close();
}
