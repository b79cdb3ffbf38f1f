/**
 * Every SQL statement of the store, and the conversion between the public types and table rows.
 * The write statements are handed to the writer thread by name, so all SQL stays in this one file and
 * the worker stays a generic "run these named statements in one transaction" loop.
 */
import type { InvocationRecord, StoredLogLine } from './types.ts';

/** A row of bound parameters, in the order of the statement's placeholders. */
export type Row = readonly unknown[];

/**
 * Retention by age, per function: the (namespace, function_name, <time>) index each table has for its
 * readers serves it, so no index on the time alone is kept up to date on every insert for an hourly
 * delete. The functions are found by skipping through that index (a few seeks per function, not a scan).
 */
function pruneByFunction(table: string, time: string): string {
  const first = (where: string, column: string): string => `(SELECT ${column} FROM ${table} WHERE ${where} ORDER BY ${column} LIMIT 1)`;
  return `WITH RECURSIVE fns(ns, fn) AS (
      SELECT * FROM (SELECT namespace, function_name FROM ${table} ORDER BY namespace, function_name LIMIT 1)
      UNION ALL
      SELECT
        CASE WHEN ${first('namespace = ns AND function_name > fn', 'function_name')} IS NOT NULL THEN ns
          ELSE ${first('namespace > ns', 'namespace')} END,
        coalesce(${first('namespace = ns AND function_name > fn', 'function_name')},
          ${first(`namespace = ${first('namespace > ns', 'namespace')}`, 'function_name')})
      FROM fns WHERE ns IS NOT NULL
    )
    DELETE FROM ${table} WHERE (namespace, function_name) IN (SELECT ns, fn FROM fns WHERE ns IS NOT NULL) AND ${time} < ?`;
}

/** Statements the writer thread prepares; the keys are the names batches refer to. */
export const WRITE_STATEMENTS = {
  // REPLACE: an async event retried under the same request ID keeps its latest attempt.
  insertInvocation: `INSERT OR REPLACE INTO invocations (request_id, namespace, function_name, version, mode,
      started_at, duration_ms, billed_ms, memory_mb, mem_usage_bytes, status_code, error_message,
      cold_start_ms, pull_code_ms, init_runtime_ms, init_function_ms, frame_start, frame_end)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /**
   * Pushed before an async attempt's record, whose INSERT OR REPLACE replaces the earlier attempt of its
   * event (same request ID): that attempt's frame, rendered from its record until now, becomes log lines
   * in the text store/framed-log.ts renders (printf's %.2f is toFixed(2)), so the log keeps every attempt's
   * frame. No row (a first attempt, an older row whose frame lines are stored): nothing is inserted.
   * (Migrations 6–7: this was a trigger on every insert; sync records never need it.)
   */
  keepReplacedFrame: `WITH replaced AS (SELECT * FROM invocations WHERE request_id = ? AND frame_end IS NOT NULL)
    INSERT INTO logs (request_id, namespace, function_name, time, line)
      SELECT request_id, namespace, function_name, frame_start, 'START RequestId: ' || request_id FROM replaced
      UNION ALL
      SELECT request_id, namespace, function_name, frame_end, 'END RequestId: ' || request_id FROM replaced
      UNION ALL
      SELECT request_id, namespace, function_name, frame_end,
          printf('Report RequestId: %s Duration:%.2fms Memory:%sMB MemUsage:%.2fMB',
            request_id, duration_ms, memory_mb, mem_usage_bytes / 1048576.0)
        FROM replaced
      UNION ALL
      SELECT request_id, namespace, function_name, frame_end,
          printf('Init Report RequestId: %s Coldstart:%.2fms PullCode:%.2fms InitRuntime:%.2fms InitFunction:%.2fms',
            request_id, cold_start_ms, coalesce(pull_code_ms, 0), coalesce(init_runtime_ms, 0), coalesce(init_function_ms, 0))
        FROM replaced WHERE cold_start_ms IS NOT NULL`,
  insertLog: `INSERT INTO logs (request_id, namespace, function_name, time, line) VALUES (?, ?, ?, ?, ?)`,
  pruneInvocations: pruneByFunction('invocations', 'started_at'),
  pruneLogs: pruneByFunction('logs', 'time'),
  /** checkWritable: a row large enough to need a fresh page, deleted in the same transaction. */
  insertProbe: `INSERT INTO logs (request_id, namespace, function_name, time, line) VALUES (?, '', '', ?, ?)`,
  deleteProbe: `DELETE FROM logs WHERE request_id = ? AND namespace = ''`,
  /** The oldest share (0..1) of the log rows, by id: retention by size deletes these until under the cap. */
  pruneOldestLogs: `DELETE FROM logs WHERE id <= (SELECT min(id) + CAST((max(id) - min(id) + 1) * ? AS INTEGER) FROM logs)`,
} as const;

export type WriteStatementName = keyof typeof WRITE_STATEMENTS;

/**
 * The statements of the hot path, packed into bytes as they are pushed (store/row-packing.mjs), with the
 * indexes of their parameters whose strings repeat from row to row (namespace, function name, version, mode).
 */
export const PACKED_STATEMENTS: Readonly<Partial<Record<WriteStatementName, readonly number[]>>> = {
  insertInvocation: [1, 2, 3, 4],
  keepReplacedFrame: [],
  insertLog: [1, 2],
};

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
