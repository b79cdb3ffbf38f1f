/**
 * The async queue's persistence: accepted events, their state transitions, the dead-letter queue and
 * topic offsets, in the store's SQLite database. Writes go through the store's one writer thread, so
 * they batch with records and logs; reads use the store's read-only connection.
 *
 * Durability (what fsyncs when):
 * - `insert` pushes the event rows and awaits the commit of the transaction holding them, so the caller
 *   answers 202 only once the event is in SQLite. Accepts that arrive while a transaction is in flight
 *   are merged into the next one (group commit). With `fsync` (the store's `acceptSync: 'full'`) that
 *   transaction runs with synchronous = FULL and the WAL is fsynced first (one fsync per group);
 *   otherwise it is committed to the WAL file without an fsync (synchronous = NORMAL): safe from a crash
 *   of fngate, not from a power cut.
 * - `update` (claims, results, retries, dead letters) is not fsynced: a crash of fngate keeps it (WAL
 *   frames are in the OS), a power cut may lose the last ones, and the event then runs again —
 *   at-least-once, never lost, because its insert was fsynced.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { BatchWriter } from './batch-writer.ts';
import {
  QUEUE_READ_STATEMENTS,
  insertEventRow,
  toEventRecord,
  toPendingEvent,
  updateEventRow,
  type AsyncEventColumns,
  type AsyncEventInput,
  type AsyncEventRecord,
  type AsyncEventState,
  type AsyncEventStatus,
  type AttemptEntry,
  type NewAsyncEvent,
  type PendingAsyncEvent,
} from './queue-statements.ts';

export interface AsyncEventQuery {
  /** Both or neither. */
  namespace?: string;
  functionName?: string;
  status?: AsyncEventStatus;
  limit: number;
}

export interface DeadLetterQuery {
  namespace: string;
  functionName: string;
  limit: number;
}

interface Reads {
  pendingEvents: Statement<[number], AsyncEventColumns>;
  pendingEventsAfter: Statement<[number, number], AsyncEventColumns>;
  payload: Statement<[string], { payload: string }>;
  payloads: Statement<[string], { request_id: string; payload: string }>;
  getEvent: Statement<[string], AsyncEventColumns>;
  listAll: Statement<[number], AsyncEventColumns>;
  listByStatus: Statement<[string, number], AsyncEventColumns>;
  listByFunction: Statement<[string, string, number], AsyncEventColumns>;
  listByFunctionAndStatus: Statement<[string, string, string, number], AsyncEventColumns>;
  deadLetters: Statement<[string, string, number], AsyncEventColumns>;
  countDeadLetters: Statement<[string, string], { count: number }>;
  countByStatus: Statement<[string, string], { status: string; count: number }>;
  topicOffsets: Statement<[], { topic: string; next_offset: number }>;
}

export class QueueStore {
  #writer: BatchWriter;
  #reads: Reads;
  #fsync: boolean;

  /** Made by the SQLite store over its own writer and read-only connection (`SqliteStore.queue`). */
  constructor(writer: BatchWriter, ro: Database, options: { fsync: boolean }) {
    this.#writer = writer;
    this.#fsync = options.fsync;
    this.#reads = Object.fromEntries(
      Object.entries(QUEUE_READ_STATEMENTS).map(([name, sql]) => [name, ro.prepare(sql)]),
    ) as unknown as Reads;
  }

  /**
   * Insert new events (and move topic offsets) durably: resolves once the transaction holding them is
   * committed (and fsynced, with `fsync`). Rejects if it failed; some of the rows may still have
   * committed (see `exists`).
   */
  insert(events: readonly NewAsyncEvent[], topicOffsets: ReadonlyArray<[topic: string, next: number]> = []): Promise<void> {
    for (const event of events) this.#writer.push('insertAsyncEvent', insertEventRow(event, event.enqueuedAt), this.#fsync);
    return this.#commitWith(topicOffsets);
  }

  /** `insert` of events all accepted at `enqueuedAt` (the dispatcher's accept path: no copy per event). */
  accept(events: readonly AsyncEventInput[], enqueuedAt: number, topicOffsets: ReadonlyArray<[topic: string, next: number]> = []): Promise<void> {
    for (const event of events) this.#writer.push('insertAsyncEvent', insertEventRow(event, enqueuedAt), this.#fsync);
    return this.#commitWith(topicOffsets);
  }

  #commitWith(topicOffsets: ReadonlyArray<[topic: string, next: number]>): Promise<void> {
    for (const offset of topicOffsets) this.#writer.push('setTopicOffset', offset, this.#fsync);
    return this.#writer.commit();
  }

  /** Queue a state transition (and an entry for the event's history); written with the next batch. */
  update(state: AsyncEventState, entry?: AttemptEntry): void {
    this.#writer.push('updateAsyncEvent', updateEventRow(state, entry));
  }

  /** Dead letters of a function become `failed`; resolves with how many. */
  async purgeDeadLetters(namespace: string, functionName: string): Promise<number> {
    const result = await this.#writer.run([['purgeDeadLetters', [[namespace, functionName]]]]);
    return result.changes;
  }

  /** Rows (of any kind: records and logs too) waiting for the writer thread. */
  get writeBacklog(): number {
    return this.#writer.pendingRows;
  }

  /** Resolves once every write queued so far is committed: reads after it see them. */
  flush(): Promise<void> {
    return this.#writer.commit();
  }

  exists(requestId: string): boolean {
    return this.#reads.payload.get(requestId) !== undefined;
  }

  /** The payloads of several events in one read; an event whose row is gone is left out. */
  payloads(requestIds: readonly string[]): Map<string, string> {
    const found = new Map<string, string>();
    for (const row of this.#reads.payloads.all(JSON.stringify(requestIds))) found.set(row.request_id, row.payload);
    return found;
  }

  get(requestId: string): AsyncEventRecord | undefined {
    const row = this.#reads.getEvent.get(requestId);
    return row === undefined ? undefined : toEventRecord(row);
  }

  /** Newest first, without payloads. */
  list(query: AsyncEventQuery): AsyncEventRecord[] {
    const limit = Math.max(0, Math.floor(query.limit));
    const { namespace, functionName, status } = query;
    let rows: AsyncEventColumns[];
    if (namespace !== undefined && functionName !== undefined) {
      rows =
        status === undefined
          ? this.#reads.listByFunction.all(namespace, functionName, limit)
          : this.#reads.listByFunctionAndStatus.all(namespace, functionName, status, limit);
    } else {
      rows = status === undefined ? this.#reads.listAll.all(limit) : this.#reads.listByStatus.all(status, limit);
    }
    return rows.map(toEventRecord);
  }

  /** Oldest death first, with payloads. */
  deadLetters(query: DeadLetterQuery): AsyncEventRecord[] {
    return this.#reads.deadLetters.all(query.namespace, query.functionName, Math.max(0, Math.floor(query.limit))).map(toEventRecord);
  }

  countDeadLetters(namespace: string, functionName: string): number {
    return this.#reads.countDeadLetters.get(namespace, functionName)?.count ?? 0;
  }

  /** How many events of a function are in each status. */
  countByStatus(namespace: string, functionName: string): Partial<Record<AsyncEventStatus, number>> {
    const counts: Partial<Record<AsyncEventStatus, number>> = {};
    for (const { status, count } of this.#reads.countByStatus.all(namespace, functionName)) {
      counts[status as AsyncEventStatus] = count;
    }
    return counts;
  }

  /**
   * Every event not yet final, oldest first: what a dispatcher takes over when it starts. The oldest
   * come with their payload (each of at most `maxPayloadBytes`, `payloadChars` of them in all), so a
   * drain after a restart reads none of those again; past that budget no payload is read at all.
   */
  loadPending(payloadChars = 0, maxPayloadBytes = 0): PendingAsyncEvent[] {
    const pending: PendingAsyncEvent[] = [];
    let room = payloadChars;
    let last: AsyncEventColumns | undefined;
    if (room > 0) {
      for (const row of this.#reads.pendingEvents.iterate(maxPayloadBytes)) {
        const event = toPendingEvent(row);
        if (row.payload != null) {
          room -= row.payload.length;
          event.payload = row.payload;
        }
        pending.push(event);
        last = row;
        // Leaving the loop ends the statement: the rest is read without payloads.
        if (room <= 0) break;
      }
      if (room > 0) return pending;
    }
    const rest = last === undefined ? this.#reads.pendingEventsAfter.all(Number.MIN_SAFE_INTEGER, 0) : this.#reads.pendingEventsAfter.all(last.enqueued_at, last.seq!);
    for (const row of rest) pending.push(toPendingEvent(row));
    return pending;
  }

  topicOffsets(): Map<string, number> {
    return new Map(this.#reads.topicOffsets.all().map((row) => [row.topic, row.next_offset]));
  }
}
