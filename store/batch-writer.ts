/**
 * Batches writes off the request path. Callers `push` rows (no I/O, no cloning on their tick) into the
 * open batch; one transaction runs at a time in a single piscina worker thread (store/writer-worker.mjs)
 * that owns its own connection. The open batch goes to the worker once it is due — someone awaits
 * `commit()` on it, or `flushIntervalMs` passed since its first row — and the worker is free (when a
 * transaction ends, or on the next turn of the event loop when idle), or as soon as it holds `batchRows`
 * rows. So accepts arriving during a transaction all go in the next one (group commit: the commit rate
 * adapts to load), while records and logs nobody waits for gather for `flushIntervalMs`.
 *
 * Every batch has one `done` promise, settled when its transaction commits or finally fails, shared by
 * everyone who awaits `commit()` on it. That is the hook for async events: push the event row, then
 * await `commit()` before answering 202. A transaction holding a `durable` row (accepts with
 * `asyncAcceptSync: full`) runs with `synchronous = FULL`, so the WAL is fsynced at its commit; the
 * others keep NORMAL (fsync at checkpoints only).
 * The writer never drops a pushed row by itself; drop policy for logs/records lives in the store.
 */
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { PACKED_GROUP, RowPacker, packable, sharedColumnsMask, type PackedRows } from './row-packing.mjs';
import type { Row } from './statements.ts';
import type { StoreLogger } from './types.ts';

/**
 * Rows grouped by the name of the statement they are parameters of, in execution order. A group named
 * `PACKED_GROUP` holds rows of the packed statements (`BatchWriterOptions.packed`) as bytes, each naming
 * its statement, in the order they were pushed (store/row-packing.mjs).
 */
export type StatementGroups = Array<[statement: string, rows: Row[] | PackedRows]>;

/** What one `writeBatch` call of the worker receives. */
export interface WriterTask {
  groups: StatementGroups;
  /** Commit with `synchronous = FULL`: the transaction survives a power cut once it resolves. */
  durable: boolean;
}

/** What one `writeBatch` call of the worker returns. */
export interface WriterResult {
  /** Rows inserted, replaced or deleted. */
  changes: number;
  /** Rows the schema refused; they were skipped, the rest of the batch committed. */
  rejected: number;
  firstError: string | undefined;
}

export interface BatchWriterOptions {
  dbPath: string;
  /** The statements the worker prepares, by name (store/statements.ts `WRITE_STATEMENTS`). */
  statements: Readonly<Record<string, string>>;
  logger: StoreLogger;
  /**
   * Cut a batch once this many rows are buffered; also the most rows merged into one transaction.
   * Bounds the structured-clone pause on the main thread when a batch is posted to the worker.
   * @default 2000
   */
  batchRows?: number;
  /** Longest a row waits in memory before its batch is cut. @default 20 */
  flushIntervalMs?: number;
  /** How long the writer's connection waits for a lock held by another connection. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * Statements whose rows are packed into bytes as they are pushed (the hot path's records and log
   * lines: store/row-packing.mjs says why), by name, with the indexes of their columns whose strings
   * repeat from row to row. Rows of other statements are held as they are. @default none
   */
  packed?: Readonly<Record<string, readonly number[]>>;
}

export const DEFAULT_BATCH_ROWS = 2000;
export const DEFAULT_FLUSH_INTERVAL_MS = 20;
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** Failed batches remembered for `commit`; older failures were reported to their committers already. */
const MAX_FAILURES_KEPT = 1000;

const WORKER_FILE = fileURLToPath(new URL('./writer-worker.mjs', import.meta.url));

interface Batch {
  /** Batches run in this order; a commit waits for the last one and checks failures by range. */
  seq: number;
  groups: StatementGroups;
  rows: number;
  /** Runs in a transaction of its own, so its result is its own (prune reports the rows it removed). */
  alone: boolean;
  /** Holds a row pushed as durable: its transaction is fsynced. */
  durable: boolean;
  /**
   * May go to the worker as soon as it is free: someone awaits its commit, or it waited its
   * flushIntervalMs. Rows nobody waits for (records, logs) keep filling it until then, so they are
   * written in few, large transactions instead of one per transaction that ends.
   */
  due: boolean;
  /** Where its packed rows go in `groups` (filled in when it is cut), or -1 while it has none. */
  packedAt: number;
  done: Promise<WriterResult>;
  resolve: (result: WriterResult) => void;
  reject: (error: unknown) => void;
}

function newBatch(seq: number, groups: StatementGroups, rows: number, alone: boolean, durable: boolean): Batch {
  let resolve!: Batch['resolve'];
  let reject!: Batch['reject'];
  const done = new Promise<WriterResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failure is logged by the writer; nobody has to be waiting on a batch.
  done.catch(() => {});
  return { seq, groups, rows, alone, durable, due: alone, packedAt: -1, done, resolve, reject };
}

export class BatchWriter {
  /** The worker thread, started on first use or by `warm()` (see `start`). */
  #pool: Promise<Piscina> | undefined;
  /** Closed: its last commit is done, and no thread may start any more. */
  #closed = false;
  #options: BatchWriterOptions;
  #logger: StoreLogger;
  #batchRows: number;
  #flushIntervalMs: number;
  /**
   * The batch being filled (its groups grow in place, by statement name through #openGroups), or
   * undefined. One batch object and one promise per transaction, whatever the number of rows or of
   * committers waiting on it: every commit() while a transaction is in flight waits on this one.
   */
  #open: Batch | undefined;
  #openGroups = new Map<string, Row[]>();
  /** The open batch's packed rows. */
  #packer = new RowPacker();
  /** The packed statements, by name, with their shared columns (row-packing.mjs sharedColumnsMask). */
  #packed: ReadonlyMap<string, number>;
  #pendingRows = 0;
  /** Cut, waiting for the worker. */
  #queued: Batch[] = [];
  /** In the transaction the worker is running now. */
  #inFlight: Batch[] = [];
  #timer: NodeJS.Timeout | undefined;
  #nextSeq = 0;
  /** Recent failed batches, for `commit` (bounded: failures are rare and logged). */
  #failures: Array<{ seq: number; error: unknown }> = [];
  #pumpScheduled = false;
  #transactions = 0;
  #closing: Promise<void> | undefined;

  private constructor(options: BatchWriterOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    this.#flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.#packed = new Map(Object.entries(options.packed ?? {}).map(([statement, shared]) => [statement, sharedColumnsMask(shared)]));
  }

  /**
   * A writer whose thread starts on the first write or on `warm()`. Why not at once: a worker thread boots
   * a whole Node environment (~100 ms of CPU with --no-node-snapshot), which the gateway's start-up would
   * otherwise wait for or share its core with; nothing is written before the gateway serves.
   */
  static async start(options: BatchWriterOptions): Promise<BatchWriter> {
    return new BatchWriter(options);
  }

  /** Start the worker thread now, in the background (the gateway calls this once it is ready). */
  warm(): void {
    if (this.#closing) return;
    this.#workerPool().catch((error: unknown) => this.#logger.error({ err: error }, 'store: the writer thread failed to start'));
  }

  /** The running worker pool; a start that failed is tried again on the next call. */
  #workerPool(): Promise<Piscina> {
    // After close a write must fail, not start a thread on a database that may be gone by now.
    if (this.#closed && this.#pool === undefined) return Promise.reject(new Error('store: writer is closed'));
    this.#pool ??= startWorkerPool(this.#options).catch((error: unknown) => {
      this.#pool = undefined;
      throw error;
    });
    return this.#pool;
  }

  /** Rows pushed and not yet committed (or finally failed). */
  get pendingRows(): number {
    return this.#pendingRows;
  }

  /** Transactions committed since start (group commit: far fewer than the commits awaited under load). */
  get transactions(): number {
    return this.#transactions;
  }

  /**
   * Buffer one row for `statement`. Synchronous and I/O-free: safe on the request path. A `durable` row
   * makes the transaction that holds it fsync at commit (`synchronous = FULL`).
   */
  push(statement: string, row: Row, durable = false): void {
    if (this.#closing) throw new Error('store: writer is closed');
    let batch = this.#open;
    if (batch === undefined) {
      batch = this.#open = newBatch(this.#nextSeq++, [], 0, false, false);
      this.#timer = setTimeout(this.#onTimer, this.#flushIntervalMs).unref();
    }
    const shared = this.#packed.get(statement);
    if (shared !== undefined && packable(row)) {
      if (batch.packedAt < 0) batch.packedAt = batch.groups.push([PACKED_GROUP, []]) - 1;
      this.#packer.push(statement, row, shared);
    } else {
      let rows = this.#openGroups.get(statement);
      if (rows === undefined) {
        rows = [];
        this.#openGroups.set(statement, rows);
        batch.groups.push([statement, rows]);
      }
      rows.push(row);
    }
    if (durable) batch.durable = true;
    batch.rows++;
    this.#pendingRows++;
    if (batch.rows >= this.#batchRows) {
      this.#cut();
      this.#schedulePump();
    }
  }

  /**
   * Resolves when the transaction holding every row pushed so far has committed; rejects if one of them
   * failed (after its retry). Async accepts await this before answering 202. While a transaction is in
   * flight, every commit waits on the one open batch, which goes to the worker as soon as that
   * transaction ends (group commit); when the writer is idle the open batch goes on the next turn of the
   * event loop, so the accepts read in the same turn share it.
   */
  commit(): Promise<void> {
    const last = this.#open ?? this.#queued.at(-1) ?? this.#inFlight.at(-1);
    if (last === undefined) return Promise.resolve();
    const first = this.#inFlight[0] ?? this.#queued[0] ?? last;
    if (this.#open !== undefined) {
      this.#open.due = true;
      if (this.#inFlight.length === 0) this.#schedulePump();
    }
    // Batches settle in order, so the last one settling means all of them have.
    return last.done.then(
      () => this.#failureIn(first.seq, last.seq),
      () => this.#failureIn(first.seq, last.seq),
    );
  }

  #failureIn(firstSeq: number, lastSeq: number): void {
    for (const entry of this.#failures) {
      if (entry.seq >= firstSeq && entry.seq <= lastSeq) throw entry.error;
    }
  }

  /** Run `groups` in a transaction of their own, after everything pushed so far. */
  run(groups: StatementGroups, options: { durable?: boolean } = {}): Promise<WriterResult> {
    if (this.#closing) return Promise.reject(new Error('store: writer is closed'));
    this.#cut();
    const rows = groups.reduce((sum, [, groupRows]) => sum + (Array.isArray(groupRows) ? groupRows.length : groupRows.rows), 0);
    const batch = newBatch(this.#nextSeq++, groups, rows, true, options.durable ?? false);
    this.#pendingRows += rows;
    this.#queued.push(batch);
    this.#pump();
    return batch.done;
  }

  /** Commit what is pending, then stop the worker. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await this.commit();
    } catch {
      // Already logged by #write; closing goes on.
    }
    this.#closed = true;
    // A writer that never wrote never started its thread: nothing to stop.
    const pool = await this.#pool?.catch(() => undefined);
    if (pool === undefined) return;
    try {
      await pool.run(null, { name: 'closeDb' });
    } catch (error) {
      this.#logger.warn({ err: error }, 'store: the writer thread failed to close its connection');
    }
    await pool.destroy();
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#open !== undefined) this.#open.due = true;
    this.#pump();
  };

  /** Move the open batch to the queue. */
  #cut(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#open === undefined) return;
    const packed = this.#packer.take();
    if (packed !== undefined) this.#open.groups[this.#open.packedAt] = [PACKED_GROUP, packed];
    this.#queued.push(this.#open);
    this.#open = undefined;
    this.#openGroups.clear();
  }

  /** Post the next transaction on a later tick: posting clones the rows, which the caller must not pay. */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Start the next transaction if none is in flight: the queued batches, else the open one once due. */
  #pump(): void {
    if (this.#inFlight.length > 0) return;
    if (this.#queued.length === 0 && this.#open?.due) this.#cut();
    if (this.#queued.length === 0) return;
    const batches = [this.#queued.shift()!];
    let rows = batches[0]!.rows;
    if (!batches[0]!.alone) {
      while (this.#queued.length > 0) {
        const next = this.#queued[0]!;
        if (next.alone || rows + next.rows > this.#batchRows) break;
        batches.push(this.#queued.shift()!);
        rows += next.rows;
      }
    }
    this.#inFlight = batches;
    void this.#write(batches, rows).finally(() => {
      this.#inFlight = [];
      this.#pump();
    });
  }

  async #write(batches: Batch[], rows: number): Promise<void> {
    const task: WriterTask =
      batches.length === 1
        ? { groups: batches[0]!.groups, durable: batches[0]!.durable }
        : { groups: batches.flatMap((batch) => batch.groups), durable: batches.some((batch) => batch.durable) };
    let result: WriterResult;
    try {
      result = await this.#runWithRetry(task, rows);
    } catch (error) {
      this.#pendingRows -= rows;
      for (const batch of batches) this.#failures.push({ seq: batch.seq, error });
      if (this.#failures.length > MAX_FAILURES_KEPT) this.#failures.splice(0, this.#failures.length - MAX_FAILURES_KEPT);
      for (const batch of batches) batch.reject(error);
      return;
    }
    this.#pendingRows -= rows;
    this.#transactions++;
    if (result.rejected > 0) {
      this.#logger.warn(
        { rejected: result.rejected, firstError: result.firstError },
        'store: rows refused by the schema were skipped',
      );
    }
    for (const batch of batches) batch.resolve(result);
  }

  /** Transient failures (lock timeout, a crashed worker thread, which piscina replaces) get one retry. */
  async #runWithRetry(task: WriterTask, rows: number): Promise<WriterResult> {
    try {
      return (await (await this.#workerPool()).run(task, { name: 'writeBatch' })) as WriterResult;
    } catch (error) {
      this.#logger.error({ err: error, rows }, 'store: batch write failed, retrying once');
    }
    try {
      return (await (await this.#workerPool()).run(task, { name: 'writeBatch' })) as WriterResult;
    } catch (error) {
      this.#logger.error({ err: error, rows }, 'store: batch write failed twice, its rows are lost');
      throw error;
    }
  }
}

/** Starts the writer thread and waits until it has opened the database. */
async function startWorkerPool(options: BatchWriterOptions): Promise<Piscina> {
  const { Piscina } = await import('piscina');
  const pool = new Piscina({
    filename: WORKER_FILE,
    minThreads: 1,
    // One writer: SQLite allows one write transaction at a time anyway, and batches stay in order.
    maxThreads: 1,
    // The worker is plain JavaScript: do not load the parent's tsx loader (or other flags) into it.
    execArgv: [],
    recordTiming: false,
    workerData: {
      dbPath: options.dbPath,
      statements: options.statements,
      busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    },
  });
  // A worker that fails outside a task (its database gone) is reported by the task that meets it; without a
  // listener piscina's 'error' event would be an uncaught exception of the gateway.
  pool.on('error', () => undefined);
  try {
    await pool.run(null, { name: 'ping' });
  } catch (error) {
    await pool.destroy();
    throw new Error(`store: the writer thread failed to start: ${(error as Error).message}`, { cause: error });
  }
  return pool;
}
