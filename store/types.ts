/**
 * What the gateway asks of its store. One implementation (SQLite, better-sqlite3) lives in this folder;
 * tests use it for real in a temp dir.
 */

/** Cold-start phases of the instance that served an invocation (SPEC §6 `Init Report`). */
export interface ColdStartPhases {
  coldStartMs: number;
  pullCodeMs: number;
  initRuntimeMs: number;
  initFunctionMs: number;
}

export interface InvocationRecord {
  requestId: string;
  namespace: string;
  functionName: string;
  version: string;
  /** 'sync' | 'async' (issue 5 adds async). */
  mode: 'sync' | 'async';
  /** Epoch ms the invocation started. */
  startedAt: number;
  durationMs: number;
  /** Duration rounded up to the whole ms. */
  billedDurationMs: number;
  /** Configured memory size. */
  memoryMb: number;
  /** Memory the instance used, bytes. */
  memUsageBytes: number;
  statusCode: number;
  errorMessage: string | undefined;
  /** Present on cold starts. */
  coldStart: ColdStartPhases | undefined;
  /**
   * When START and END were framed (epoch ms). Set: the store renders START/END/Report (and Init Report)
   * from this record when the log is read, and the log lines given with it are the user's lines only.
   * Unset: the given lines are the whole framed log (store/framed-log.ts).
   */
  frame?: InvocationFrame;
}

export interface InvocationFrame {
  startedAt: number;
  endedAt: number;
}

export interface StoredLogLine {
  requestId: string;
  /** Epoch ms. */
  time: number;
  /** The framed line, exactly as printed (SPEC §6). */
  line: string;
}

export interface LogQuery {
  namespace: string;
  functionName: string;
  requestId?: string;
  /** Most recent lines first are cut to this many, returned oldest first. */
  limit: number;
}

export interface RecordQuery {
  namespace: string;
  functionName: string;
  limit: number;
}

export interface Store {
  /** Queue a finished invocation and its framed log lines; written in batches off the request path. */
  recordInvocation(record: InvocationRecord, logLines: StoredLogLine[]): void;
  /** Queue log lines that belong to no invocation (a provisioned instance's `Provisioned Report`). */
  recordLogs(fn: { namespace: string; functionName: string }, logLines: StoredLogLine[]): void;
  /** Resolves when everything queued so far is committed. */
  flush(): Promise<void>;
  getLogs(query: LogQuery): StoredLogLine[];
  getRecord(requestId: string): InvocationRecord | undefined;
  listRecords(query: RecordQuery): InvocationRecord[];
  /**
   * Resolves when the store takes a durable write now; rejects (disk full, read-only, I/O error) when
   * it cannot. A real write, cached briefly: `/healthz` asks it on every call.
   */
  checkWritable(): Promise<void>;
  /** Delete records and logs older than `olderThan` (epoch ms); returns rows removed. */
  prune(olderThan: number): number;
  close(): Promise<void>;
}

/** The part of a pino logger the store uses; the gateway passes its own logger. */
export interface StoreLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
