/**
 * Every SQL statement of the store, and the conversion between the public types and table rows.
 * The write statements are handed to the writer thread by name, so all SQL stays in this one file and
 * the worker stays a generic "run these named statements in one transaction" loop.
 */
import type { InvocationRecord, StoredLogLine } from './types.ts';

/** A row of bound parameters, in the order of the statement's placeholders. */
export type Row = readonly unknown[];

/** Statements the writer thread prepares; the keys are the names batches refer to. */
export const WRITE_STATEMENTS = {
  // REPLACE: an async event retried under the same request ID keeps its latest attempt.
  insertInvocation: `INSERT OR REPLACE INTO invocations (request_id, namespace, function_name, version, mode,
      started_at, duration_ms, billed_ms, memory_mb, mem_usage_bytes, status_code, error_message,
      cold_start_ms, pull_code_ms, init_runtime_ms, init_function_ms, frame_start, frame_end)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertLog: `INSERT INTO logs (request_id, namespace, function_name, time, line) VALUES (?, ?, ?, ?, ?)`,
  pruneInvocations: `DELETE FROM invocations WHERE started_at < ?`,
  pruneLogs: `DELETE FROM logs WHERE time < ?`,
  /** checkWritable: a row large enough to need a fresh page, deleted in the same transaction. */
  insertProbe: `INSERT INTO logs (request_id, namespace, function_name, time, line) VALUES (?, '', '', ?, ?)`,
  deleteProbe: `DELETE FROM logs WHERE request_id = ? AND namespace = ''`,
  /** The oldest share (0..1) of the log rows, by id: retention by size deletes these until under the cap. */
  pruneOldestLogs: `DELETE FROM logs WHERE id <= (SELECT min(id) + CAST((max(id) - min(id) + 1) * ? AS INTEGER) FROM logs)`,
} as const;

export type WriteStatementName = keyof typeof WRITE_STATEMENTS;

export const READ_STATEMENTS = {
  getRecord: `SELECT * FROM invocations WHERE request_id = ?`,
  listRecords: `SELECT * FROM invocations WHERE namespace = ? AND function_name = ?
    ORDER BY started_at DESC LIMIT ?`,
  // Newest first so LIMIT keeps the most recent lines; the caller reverses to oldest first.
  logsByFunction: `SELECT request_id, time, line FROM logs WHERE namespace = ? AND function_name = ?
    ORDER BY time DESC, id DESC LIMIT ?`,
  // The unary + keeps SQLite (without ANALYZE statistics) from choosing logs_by_function, which would
  // walk every line of the function instead of the few of this request.
  framedByFunction: `SELECT * FROM invocations WHERE namespace = ? AND function_name = ? AND frame_end IS NOT NULL
    ORDER BY frame_end DESC, rowid DESC LIMIT ?`,
  logsByRequest: `SELECT request_id, time, line FROM logs
    WHERE request_id = ? AND +namespace = ? AND +function_name = ? ORDER BY time DESC, id DESC LIMIT ?`,
} as const;

/** The parameters of `insertInvocation`. */
export function invocationRow(record: InvocationRecord): Row {
  const cold = record.coldStart;
  return [
    record.requestId,
    record.namespace,
    record.functionName,
    record.version,
    record.mode,
    record.startedAt,
    record.durationMs,
    record.billedDurationMs,
    record.memoryMb,
    record.memUsageBytes,
    record.statusCode,
    record.errorMessage ?? null,
    cold?.coldStartMs ?? null,
    cold?.pullCodeMs ?? null,
    cold?.initRuntimeMs ?? null,
    cold?.initFunctionMs ?? null,
    record.frame?.startedAt ?? null,
    record.frame?.endedAt ?? null,
  ];
}

/** The parameters of `insertLog`. */
export function logRow(record: Pick<InvocationRecord, 'namespace' | 'functionName'>, line: StoredLogLine): Row {
  return [line.requestId, record.namespace, record.functionName, line.time, line.line];
}

/** A row of `invocations` as better-sqlite3 returns it. */
export interface InvocationColumns {
  request_id: string;
  namespace: string;
  function_name: string;
  version: string;
  mode: string;
  started_at: number;
  duration_ms: number;
  billed_ms: number;
  memory_mb: number;
  mem_usage_bytes: number;
  status_code: number;
  error_message: string | null;
  cold_start_ms: number | null;
  pull_code_ms: number | null;
  init_runtime_ms: number | null;
  init_function_ms: number | null;
  frame_start: number | null;
  frame_end: number | null;
}

export interface LogColumns {
  request_id: string;
  time: number;
  line: string;
}

export function toInvocationRecord(row: InvocationColumns): InvocationRecord {
  return {
    requestId: row.request_id,
    namespace: row.namespace,
    functionName: row.function_name,
    version: row.version,
    mode: row.mode === 'async' ? 'async' : 'sync',
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    billedDurationMs: row.billed_ms,
    memoryMb: row.memory_mb,
    memUsageBytes: row.mem_usage_bytes,
    statusCode: row.status_code,
    errorMessage: row.error_message ?? undefined,
    // The four phases are written together, so one NULL means "not a cold start".
    coldStart:
      row.cold_start_ms === null
        ? undefined
        : {
            coldStartMs: row.cold_start_ms,
            pullCodeMs: row.pull_code_ms ?? 0,
            initRuntimeMs: row.init_runtime_ms ?? 0,
            initFunctionMs: row.init_function_ms ?? 0,
          },
    frame: row.frame_start === null || row.frame_end === null ? undefined : { startedAt: row.frame_start, endedAt: row.frame_end },
  };
}

export function toStoredLogLine(row: LogColumns): StoredLogLine {
  return { requestId: row.request_id, time: row.time, line: row.line };
}
