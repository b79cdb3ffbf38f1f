/**
 * The Store on SQLite (better-sqlite3). Three connections to one WAL database:
 * - the writer thread's (batch-writer.ts): every record and log line, batched, off the event loop;
 * - a read-only one on the main thread for queries (WAL lets it read while the writer commits);
 * - a read-write one on the main thread for migrations at open and the synchronous `prune()`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import DatabaseConstructor, { type Database, type Statement } from 'better-sqlite3';
import { BatchWriter, DEFAULT_BUSY_TIMEOUT_MS } from './batch-writer.ts';
import { SqliteCatalogStore } from './catalog-store.ts';
import { mergeFramedLog } from './framed-log.ts';
import { migrate } from './migrations.ts';
import { describeOpenError, MOVE_ASIDE, StoreOpenError } from './open-error.ts';
import { QUEUE_WRITE_STATEMENTS } from './queue-statements.ts';
import { QueueStore } from './queue-store.ts';
import {
  PACKED_STATEMENTS,
  READ_STATEMENTS,
  WRITE_STATEMENTS,
  invocationRow,
  logRow,
  toInvocationRecord,
  toStoredLogLine,
  type InvocationColumns,
  type LogColumns,
} from './statements.ts';
import type {
  InvocationRecord,
  LogQuery,
  RecordQuery,
  Store,
  StoredLogLine,
  StoreLogger,
} from './types.ts';

export interface SqliteStoreOptions {
  /** Directory of the database (`fngate.db`); created if missing. */
  dataDir: string;
  /**
   * Records and log lines older than this are deleted, at open and then hourly. `Infinity` keeps all.
   * @default 604800000 (7 days)
   */
  retentionMs?: number;
  /**
   * Once the database holds more than this many bytes of pages in use, the oldest log lines are deleted
   * (a share at a time, checked every `sizeCheckIntervalMs`); freed pages are reused, so the file stops
   * growing. `Infinity` keeps all. @default Infinity
   */
  logRetentionBytes?: number;
  /** How often the size is checked. @default 60000 */
  sizeCheckIntervalMs?: number;
  /** Longest a record waits in memory before it is written. @default 20 */
  flushIntervalMs?: number;
  /** Rows per write transaction (see BatchWriterOptions). @default 2000 */
  batchRows?: number;
  /**
   * Rows (records and log lines) allowed to wait for the writer. Past it, invocations are dropped and
   * counted, with one warning: these are logs, not accepted events, and memory must stay bounded.
   * @default 100000
   */
  maxPendingRows?: number;
  /**
   * How an accepted async event is committed before its 202 (both wait for the commit; accepts that
   * arrive together share one transaction). `normal`: WAL with synchronous=NORMAL, the event is in the
   * WAL file when the commit returns: kill -9 or a crash of fngate never loses it, a power cut or an OS
   * crash may lose the accepts since the last checkpoint. `full`: synchronous=FULL, the WAL is fsynced
   * at that commit, so it survives a power cut too, at one fsync per group of accepts.
   * @default 'normal'
   */
  acceptSync?: AcceptSync;
  /** @default warnings and errors to the console */
  logger?: StoreLogger;
  /** The clock retention is measured against. @default Date.now */
  now?: () => number;
}

/** SQLite's `synchronous` setting for the transactions that hold accepted async events. */
export type AcceptSync = 'normal' | 'full';

export const DB_FILE_NAME = 'fngate.db';
export const DEFAULT_ACCEPT_SYNC: AcceptSync = 'full';
export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
export const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** The first prune waits for `warm()` (the gateway serving) at most this long. */
export const FIRST_PRUNE_DELAY_MS = 10_000;
export const DEFAULT_MAX_PENDING_ROWS = 100_000;
export const SIZE_CHECK_INTERVAL_MS = 60_000;
/** Share of the log rows deleted per size check while over the cap. */
const SIZE_PRUNE_SHARE = 0.2;
/** How long a checkWritable answer is reused. */
export const WRITE_CHECK_TTL_MS = 1000;
const PROBE_REQUEST_ID = 'fngate-write-probe';
/** Over a page (4 KiB): the probe needs space the database does not have free yet. */
const PROBE_TEXT = 'p'.repeat(8192);

const CONSOLE_LOGGER: StoreLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

/** Open (creating and migrating if needed) the store in `options.dataDir`. */
export function openStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  return SqliteStore.open(options);
}

interface Reads {
  getRecord: Statement<[string], InvocationColumns>;
  listRecords: Statement<[string, string, number], InvocationColumns>;
  logsByFunction: Statement<[string, string, number], LogColumns>;
  logsByRequest: Statement<[string, string, string, number], LogColumns>;
  framedByFunction: Statement<[string, string, number], InvocationColumns>;
}

export class SqliteStore implements Store {
  /** The async event queue, on this store's writer and read connection. */
  readonly queue: QueueStore;
  /** The function catalog, on a connection of its own (durable writes on the main thread). */
  readonly catalog: SqliteCatalogStore;
  #rw: Database;
  #ro: Database;
  #writer: BatchWriter;
  #reads: Reads;
  #prune: (olderThan: number) => number;
  #logger: StoreLogger;
  #now: () => number;
  #retentionMs: number;
  #maxPendingRows: number;
  #pruneTimer: NodeJS.Timeout | undefined;
  #sizeTimer: NodeJS.Timeout | undefined;
  #firstPruneTimer: NodeJS.Timeout | undefined;
  #logRetentionBytes: number;
  #sizeCheckIntervalMs: number;
  #sizePruning = false;
  #writeCheck: { at: number; result: Promise<void> } | undefined;
  #closing: Promise<void> | undefined;
  #droppedRows = 0;
  #warnedClosed = false;

  private constructor(rw: Database, ro: Database, writer: BatchWriter, catalog: SqliteCatalogStore, options: SqliteStoreOptions) {
    this.#rw = rw;
    this.catalog = catalog;
    this.#ro = ro;
    this.#writer = writer;
    this.#logger = options.logger ?? CONSOLE_LOGGER;
    this.#now = options.now ?? Date.now;
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.#maxPendingRows = options.maxPendingRows ?? DEFAULT_MAX_PENDING_ROWS;
    this.#logRetentionBytes = options.logRetentionBytes ?? Number.POSITIVE_INFINITY;
    this.#sizeCheckIntervalMs = options.sizeCheckIntervalMs ?? SIZE_CHECK_INTERVAL_MS;
    this.queue = new QueueStore(writer, ro, { fsync: (options.acceptSync ?? DEFAULT_ACCEPT_SYNC) === 'full' });
    this.#reads = {
      getRecord: ro.prepare(READ_STATEMENTS.getRecord),
      listRecords: ro.prepare(READ_STATEMENTS.listRecords),
      logsByFunction: ro.prepare(READ_STATEMENTS.logsByFunction),
      logsByRequest: ro.prepare(READ_STATEMENTS.logsByRequest),
      framedByFunction: ro.prepare(READ_STATEMENTS.framedByFunction),
    };
    const pruneInvocations = rw.prepare<[number]>(WRITE_STATEMENTS.pruneInvocations);
    const pruneLogs = rw.prepare<[number]>(WRITE_STATEMENTS.pruneLogs);
    const pruneAsyncEvents = rw.prepare<[number]>(QUEUE_WRITE_STATEMENTS.pruneAsyncEvents);
    this.#prune = rw.transaction(
      (olderThan: number) =>
        pruneInvocations.run(olderThan).changes + pruneLogs.run(olderThan).changes + pruneAsyncEvents.run(olderThan).changes,
    );
  }

  /** Throws a StoreOpenError naming the file when the data dir cannot be used. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const dbPath = join(options.dataDir, DB_FILE_NAME);
    try {
      await mkdir(options.dataDir, { recursive: true });
      return await SqliteStore.#open(options, dbPath, new DatabaseConstructor(dbPath));
    } catch (error) {
      throw describeOpenError(error, dbPath, options.dataDir);
    }
  }

  static async #open(options: SqliteStoreOptions, dbPath: string, rw: Database): Promise<SqliteStore> {
    const logger = options.logger ?? CONSOLE_LOGGER;
    let ro: Database | undefined;
    let catalog: SqliteCatalogStore | undefined;
    try {
      rw.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
      // WAL: readers never block the writer thread and commits are appends. The mode is stored in the
      // file, so the other connections inherit it.
      const mode = rw.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') logger.warn({ mode, dbPath }, 'store: SQLite refused WAL mode; reads will wait on writes');
      rw.pragma('synchronous = NORMAL');
      // A database with bad pages opens fine and loses records later: refuse it now, naming the file.
      const check = rw.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw new StoreOpenError(dbPath, `the database file is corrupt (quick_check: ${String(check).replace(/\s+/g, ' ')})`, MOVE_ASIDE);
      migrate(rw);
      ro = new DatabaseConstructor(dbPath, { readonly: true });
      ro.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
      catalog = SqliteCatalogStore.open(dbPath);
      const writer = await BatchWriter.start({
        dbPath,
        statements: { ...WRITE_STATEMENTS, ...QUEUE_WRITE_STATEMENTS },
        packed: PACKED_STATEMENTS,
        logger,
        batchRows: options.batchRows,
        flushIntervalMs: options.flushIntervalMs,
      });
      const store = new SqliteStore(rw, ro, writer, catalog, options);
      store.#startRetention();
      return store;
    } catch (error) {
      catalog?.close();
      ro?.close();
      rw.close();
      throw error;
    }
  }

  /** Rows dropped because the writer could not keep up (see `maxPendingRows`). */
  get droppedRows(): number {
    return this.#droppedRows;
  }

  recordInvocation(record: InvocationRecord, logLines: StoredLogLine[]): void {
    const replaces = record.mode === 'async';
    if (!this.#admit((replaces ? 2 : 1) + logLines.length, record.requestId)) return;
    // An async retry replaces its event's earlier attempt: that attempt's rendered frame is kept as lines.
    if (replaces) this.#writer.push('keepReplacedFrame', [record.requestId]);
    this.#writer.push('insertInvocation', invocationRow(record));
    for (const line of logLines) this.#writer.push('insertLog', logRow(record, line));
  }

  recordLogs(fn: { namespace: string; functionName: string }, logLines: StoredLogLine[]): void {
    if (!this.#admit(logLines.length, logLines[0]?.requestId ?? '')) return;
    for (const line of logLines) this.#writer.push('insertLog', logRow(fn, line));
  }

  /** Whether `rows` more rows may be queued: not once closing, nor past the writer's backlog cap. */
  #admit(rows: number, requestId: string): boolean {
    if (this.#closing) {
      if (!this.#warnedClosed) {
        this.#warnedClosed = true;
        this.#logger.warn({ requestId }, 'store: closed, invocation records are dropped');
      }
      return false;
    }
    if (this.#writer.pendingRows + rows > this.#maxPendingRows) {
      if (this.#droppedRows === 0) {
        this.#logger.warn(
          { maxPendingRows: this.#maxPendingRows },
          'store: the writer cannot keep up; dropping invocation records and logs (warned once)',
        );
      }
      this.#droppedRows += rows;
      return false;
    }
    return true;
  }

  checkWritable(): Promise<void> {
    const now = Date.now();
    if (this.#writeCheck === undefined || now - this.#writeCheck.at > WRITE_CHECK_TTL_MS) {
      const result = this.#writer
        .run([['insertProbe', [[PROBE_REQUEST_ID, now, PROBE_TEXT]]], ['deleteProbe', [[PROBE_REQUEST_ID]]]], { durable: true })
        .then((outcome) => {
          if (outcome.rejected > 0) throw new Error(outcome.firstError ?? 'the write was refused');
        });
      result.catch(() => undefined);
      this.#writeCheck = { at: now, result };
    }
    return this.#writeCheck.result;
  }

  /** Rejects if a batch holding some of those rows failed its retry too (it was logged already). */
  flush(): Promise<void> {
    return this.#writer.commit();
  }

  getLogs(query: LogQuery): StoredLogLine[] {
    const limit = clampLimit(query.limit);
    if (limit === 0) return [];
    const { namespace, functionName, requestId } = query;
    const rows =
      requestId === undefined
        ? this.#reads.logsByFunction.all(namespace, functionName, limit)
        : this.#reads.logsByRequest.all(requestId, namespace, functionName, limit);
    // Sync invocations' frame lines are rendered from their records (store/framed-log.ts).
    let framed: InvocationColumns[];
    if (requestId === undefined) framed = this.#reads.framedByFunction.all(namespace, functionName, limit);
    else {
      const record = this.#reads.getRecord.get(requestId);
      framed = record !== undefined && record.namespace === namespace && record.function_name === functionName ? [record] : [];
    }
    return mergeFramedLog(rows.reverse().map(toStoredLogLine), framed.reverse().map(toInvocationRecord), limit);
  }

  getRecord(requestId: string): InvocationRecord | undefined {
    const row = this.#reads.getRecord.get(requestId);
    return row === undefined ? undefined : toInvocationRecord(row);
  }

  /** Newest first. */
  listRecords(query: RecordQuery): InvocationRecord[] {
    const limit = clampLimit(query.limit);
    if (limit === 0) return [];
    return this.#reads.listRecords.all(query.namespace, query.functionName, limit).map(toInvocationRecord);
  }

  /**
   * Synchronous, on the main thread, as the interface asks: for tests and admin calls. The store's own
   * hourly retention goes through the writer thread instead.
   */
  prune(olderThan: number): number {
    return this.#prune(olderThan);
  }

  /** Starts the writer thread and the first prune (see `#startRetention`). */
  warm(): void {
    if (this.#closing) return;
    this.#writer.warm();
    if (this.#firstPruneTimer !== undefined) this.#firstPrune();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    clearInterval(this.#sizeTimer);
    clearTimeout(this.#firstPruneTimer);
    this.#firstPruneTimer = undefined;
    try {
      await this.#writer.close();
    } finally {
      this.catalog.close();
      this.#ro.close();
      this.#rw.close();
    }
    if (this.#droppedRows > 0) {
      this.#logger.warn(
        { droppedRows: this.#droppedRows },
        'store: rows dropped since open because the writer fell behind',
      );
    }
  }

  /** Bytes of database pages in use (the file less its free pages): what retention by size bounds. */
  usedBytes(): number {
    const pages = Number(this.#ro.pragma('page_count', { simple: true })) - Number(this.#ro.pragma('freelist_count', { simple: true }));
    return pages * Number(this.#ro.pragma('page_size', { simple: true }));
  }

  #startRetention(): void {
    if (Number.isFinite(this.#logRetentionBytes)) {
      this.#sizeTimer = setInterval(() => this.#pruneBySize(), this.#sizeCheckIntervalMs).unref();
    }
    if (!Number.isFinite(this.#retentionMs)) return;
    // Not at once: the prune runs on the writer thread, whose start (a whole Node environment) would
    // share the CPU with the gateway's start-up. `warm()` runs it once the gateway serves.
    this.#firstPruneTimer = setTimeout(() => this.#firstPrune(), FIRST_PRUNE_DELAY_MS).unref();
    this.#pruneTimer = setInterval(() => this.#pruneInBackground(), PRUNE_INTERVAL_MS).unref();
  }

  #firstPrune(): void {
    clearTimeout(this.#firstPruneTimer);
    this.#firstPruneTimer = undefined;
    this.#pruneInBackground();
  }

  #pruneBySize(): void {
    if (this.#sizePruning || this.#closing || this.usedBytes() <= this.#logRetentionBytes) return;
    this.#sizePruning = true;
    this.#writer
      .run([['pruneOldestLogs', [[SIZE_PRUNE_SHARE]]]])
      .catch((error: unknown) => this.#logger.error({ err: error }, 'store: retention by size failed'))
      .finally(() => (this.#sizePruning = false));
  }

  #pruneInBackground(): void {
    const olderThan = this.#now() - this.#retentionMs;
    this.#writer
      .run([
        ['pruneInvocations', [[olderThan]]],
        ['pruneLogs', [[olderThan]]],
        ['pruneAsyncEvents', [[olderThan]]],
      ])
      .catch((error: unknown) => this.#logger.error({ err: error }, 'store: retention prune failed'));
  }
}

/** SQLite reads a negative LIMIT as "no limit"; a query's limit is a cap, never that. */
function clampLimit(limit: number): number {
  if (Number.isNaN(limit)) return 0;
  return Math.max(0, Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER));
}
