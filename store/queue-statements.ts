/**
 * The async queue's SQL (table `async_events`, migration 2) and its row conversions. Like
 * store/statements.ts: the write statements go to the writer thread by name, reads run on the store's
 * read-only connection.
 *
 * Every change of an event's state after its insert is one `updateAsyncEvent` row that carries the
 * whole mutable state. One statement name matters: the writer runs a batch's rows grouped by statement,
 * so two different statements touching the same event in one batch could run out of order.
 */
import type { Row } from './statements.ts';

/**
 * queued: waiting to run (never failed since it was accepted or redriven);
 * running: claimed by a dispatcher, under a lease;
 * retrying: an attempt failed, the next one waits for its backoff;
 * succeeded; terminated: cancelled through the API;
 * dead: retries exhausted, expired: older than maxEventAge — both are the dead-letter queue;
 * failed: a dead letter that was purged (final, kept for its history until retention removes it).
 */
export type AsyncEventStatus =
  | 'queued'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'dead'
  | 'expired'
  | 'terminated';

export const ASYNC_EVENT_STATUSES: readonly AsyncEventStatus[] = [
  'queued', 'running', 'retrying', 'succeeded', 'failed', 'dead', 'expired', 'terminated',
];

export function isAsyncEventStatus(value: unknown): value is AsyncEventStatus {
  return typeof value === 'string' && (ASYNC_EVENT_STATUSES as readonly string[]).includes(value);
}

/** What an event is accepted with (the dispatcher's EnqueueItem). */
export interface AsyncEventInput {
  requestId: string;
  namespace: string;
  functionName: string;
  qualifier: string;
  /** `invoke`, `timer:<trigger>`, `cmq:<topic>`, `ckafka:<topic>`. */
  source: string;
  /** The event as JSON text, already validated. */
  payload: string;
}

/** A new event with the time it was accepted. */
export interface NewAsyncEvent extends AsyncEventInput {
  /** Epoch ms. */
  enqueuedAt: number;
}

/** The mutable part of an event: written whole on every transition. Times are epoch ms. */
export interface AsyncEventState {
  requestId: string;
  status: AsyncEventStatus;
  availableAt: number;
  leaseUntil: number | null;
  attempts: number;
  failures: number;
  throttles: number;
  redrives: number;
  queuedAt: number;
  lastStartedAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** The last successful result, JSON text (cut to MAX_STORED_RESULT_CHARS). */
  result: string | null;
  finishedAt: number | null;
  deadReason: string | null;
}

export type AttemptOutcome = 'succeeded' | 'failed' | 'throttled' | 'interrupted' | 'terminated' | 'redriven';

/** One entry of an event's history. */
export interface AttemptEntry {
  /** The attempt number (1-based); for a redrive, the attempts made before it. */
  attempt: number;
  outcome: AttemptOutcome;
  startedAt: number;
  endedAt: number | null;
  durationMs?: number;
  statusCode?: number;
  errorMessage?: string;
}

export interface AsyncEventRecord extends NewAsyncEvent, AsyncEventState {
  history: AttemptEntry[];
}

/**
 * What a restart loads back: everything but the history, and the payload only where it was loaded with
 * it (QueueStore.loadPending's budget; the others are read when the event runs).
 */
export type PendingAsyncEvent = Omit<AsyncEventRecord, 'payload' | 'history'> & { payload?: string };

/** Longest result kept on the event record; a longer one is replaced by a note (the log has the run). */
export const MAX_STORED_RESULT_CHARS = 64 * 1024;
/** Longest error message kept per attempt. */
export const MAX_STORED_ERROR_CHARS = 2000;

export const QUEUE_WRITE_STATEMENTS = {
  insertAsyncEvent: `INSERT INTO async_events (request_id, namespace, function_name, qualifier, source, payload,
      status, enqueued_at, queued_at, available_at)
    VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
  // The history entry is bound twice (anonymous parameters only): NULL appends nothing.
  updateAsyncEvent: `UPDATE async_events SET status = ?, available_at = ?, lease_until = ?, attempts = ?,
      failures = ?, throttles = ?, redrives = ?, queued_at = ?, last_started_at = ?, last_status_code = ?,
      last_error = ?, result = ?, finished_at = ?, dead_reason = ?,
      history = CASE WHEN ? IS NULL THEN history ELSE json_insert(history, '$[#]', json(?)) END
    WHERE request_id = ?`,
  purgeDeadLetters: `UPDATE async_events SET status = 'failed'
    WHERE namespace = ? AND function_name = ? AND status IN ('dead', 'expired')`,
  // Finished events (dead letters included) leave with the logs of their age.
  pruneAsyncEvents: `DELETE FROM async_events WHERE finished_at < ?`,
  setTopicOffset: `INSERT INTO topic_offsets (topic, next_offset) VALUES (?, ?)
    ON CONFLICT (topic) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)`,
} as const;

const LIST_COLUMNS = `request_id, namespace, function_name, qualifier, source, status, enqueued_at, queued_at,
  available_at, lease_until, attempts, failures, throttles, redrives, last_started_at, last_status_code, last_error,
  finished_at, dead_reason, history`;

const PENDING_COLUMNS = `rowid AS seq, request_id, namespace, function_name, qualifier, source, status, enqueued_at,
  queued_at, available_at, lease_until, attempts, failures, throttles, redrives, last_started_at, last_status_code,
  last_error, finished_at, dead_reason`;

export const QUEUE_READ_STATEMENTS = {
  // What a start takes over, oldest first, with the payloads of at most the given bytes each
  // (octet_length reads the size from the record header, not the text), until the caller has enough:
  // then it goes on after the last row it took with pendingEventsAfter, which reads no payload.
  pendingEvents: `SELECT ${PENDING_COLUMNS}, CASE WHEN octet_length(payload) <= ? THEN payload END AS payload
    FROM async_events WHERE status IN ('queued', 'retrying', 'running') ORDER BY enqueued_at, rowid`,
  pendingEventsAfter: `SELECT ${PENDING_COLUMNS}
    FROM async_events WHERE status IN ('queued', 'retrying', 'running') AND (enqueued_at, rowid) > (?, ?)
    ORDER BY enqueued_at, rowid`,
  payload: `SELECT payload FROM async_events WHERE request_id = ?`,
  // Many at once: one statement call for the next events to run (the IDs as one JSON array).
  payloads: `SELECT request_id, payload FROM async_events WHERE request_id IN (SELECT value FROM json_each(?))`,
  getEvent: `SELECT * FROM async_events WHERE request_id = ?`,
  listAll: `SELECT ${LIST_COLUMNS} FROM async_events ORDER BY enqueued_at DESC LIMIT ?`,
  listByStatus: `SELECT ${LIST_COLUMNS} FROM async_events WHERE status = ? ORDER BY enqueued_at DESC LIMIT ?`,
  listByFunction: `SELECT ${LIST_COLUMNS} FROM async_events WHERE namespace = ? AND function_name = ?
    ORDER BY enqueued_at DESC LIMIT ?`,
  listByFunctionAndStatus: `SELECT ${LIST_COLUMNS} FROM async_events
    WHERE namespace = ? AND function_name = ? AND +status = ? ORDER BY enqueued_at DESC LIMIT ?`,
  deadLetters: `SELECT * FROM async_events WHERE namespace = ? AND function_name = ? AND status IN ('dead', 'expired')
    ORDER BY finished_at LIMIT ?`,
  countDeadLetters: `SELECT count(*) AS count FROM async_events
    WHERE namespace = ? AND function_name = ? AND status IN ('dead', 'expired')`,
  countByStatus: `SELECT status, count(*) AS count FROM async_events WHERE namespace = ? AND function_name = ?
    GROUP BY status`,
  topicOffsets: `SELECT topic, next_offset FROM topic_offsets`,
} as const;

/** The parameters of `insertAsyncEvent`: a new event is queued and available at once. */
export function insertEventRow(event: AsyncEventInput, enqueuedAt: number): Row {
  return [
    event.requestId,
    event.namespace,
    event.functionName,
    event.qualifier,
    event.source,
    event.payload,
    enqueuedAt,
    enqueuedAt,
    enqueuedAt,
  ];
}

/** The parameters of `updateAsyncEvent`. */
export function updateEventRow(state: AsyncEventState, entry: AttemptEntry | undefined): Row {
  const entryJson = entry === undefined ? null : attemptJson(entry);
  return [
    state.status,
    state.availableAt,
    state.leaseUntil,
    state.attempts,
    state.failures,
    state.throttles,
    state.redrives,
    state.queuedAt,
    state.lastStartedAt,
    state.lastStatusCode,
    state.lastError,
    state.result,
    state.finishedAt,
    state.deadReason,
    entryJson,
    entryJson,
    state.requestId,
  ];
}

/** A JSON number (JSON.stringify writes a non-finite one as null). */
const jsonNumber = (value: number): string => (Number.isFinite(value) ? String(value) : 'null');

/**
 * `JSON.stringify(entry)`, the same text (keys in AttemptEntry's order), written out: every executed
 * event appends one, and the generic serialiser cost more than the rest of the row.
 */
export function attemptJson(entry: AttemptEntry): string {
  let json = `{"attempt":${jsonNumber(entry.attempt)},"outcome":${JSON.stringify(entry.outcome)},"startedAt":${jsonNumber(entry.startedAt)},"endedAt":${entry.endedAt === null ? 'null' : jsonNumber(entry.endedAt)}`;
  if (entry.durationMs !== undefined) json += `,"durationMs":${jsonNumber(entry.durationMs)}`;
  if (entry.statusCode !== undefined) json += `,"statusCode":${jsonNumber(entry.statusCode)}`;
  if (entry.errorMessage !== undefined) json += `,"errorMessage":${JSON.stringify(entry.errorMessage)}`;
  return `${json}}`;
}

/** A row of `async_events` as better-sqlite3 returns it (list queries leave out payload and result). */
export interface AsyncEventColumns {
  /** The rowid (pendingEvents only). */
  seq?: number;
  request_id: string;
  namespace: string;
  function_name: string;
  qualifier: string;
  source: string;
  payload?: string;
  status: string;
  enqueued_at: number;
  queued_at: number;
  available_at: number;
  lease_until: number | null;
  attempts: number;
  failures: number;
  throttles: number;
  redrives: number;
  last_started_at: number | null;
  last_status_code?: number | null;
  last_error?: string | null;
  result?: string | null;
  finished_at?: number | null;
  dead_reason?: string | null;
  history?: string;
}

function statusOf(value: string): AsyncEventStatus {
  // The table has no CHECK constraint (see migrations.ts); a foreign value reads as failed.
  return isAsyncEventStatus(value) ? value : 'failed';
}

export function toPendingEvent(row: AsyncEventColumns): PendingAsyncEvent {
  return {
    requestId: row.request_id,
    namespace: row.namespace,
    functionName: row.function_name,
    qualifier: row.qualifier,
    source: row.source,
    enqueuedAt: row.enqueued_at,
    status: statusOf(row.status),
    queuedAt: row.queued_at,
    availableAt: row.available_at,
    leaseUntil: row.lease_until,
    attempts: row.attempts,
    failures: row.failures,
    throttles: row.throttles,
    redrives: row.redrives,
    lastStartedAt: row.last_started_at,
    lastStatusCode: row.last_status_code ?? null,
    lastError: row.last_error ?? null,
    result: row.result ?? null,
    finishedAt: row.finished_at ?? null,
    deadReason: row.dead_reason ?? null,
  };
}

export function toEventRecord(row: AsyncEventColumns): AsyncEventRecord {
  let history: AttemptEntry[] = [];
  try {
    history = JSON.parse(row.history ?? '[]') as AttemptEntry[];
  } catch {
    // A history that is not JSON (written by hand) reads as empty rather than failing the listing.
  }
  return { ...toPendingEvent(row), payload: row.payload ?? '', history };
}
