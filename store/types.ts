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
  /**
   * Start what the store runs in the background (threads, pools) now rather than on first use: the
   * gateway calls it once it serves, so start-up never waits for it.
   */
  warm?(): void;
  close(): Promise<void>;
}

/** The part of a pino logger the store uses; the gateway passes its own logger. */
export interface StoreLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * The function catalog (gateway/lifecycle/): namespaces, functions (`$LATEST`), published versions,
 * aliases and layer versions. Writes are durable when they resolve (the catalog is the source of truth
 * for functions made through the API). Reads are synchronous: the catalog is small and read on every
 * management call; a store on a remote database keeps it in memory, loaded at open, written through.
 */
export interface CatalogStore {
  listNamespaces(): CatalogNamespace[];
  getNamespace(name: string): CatalogNamespace | undefined;
  putNamespace(namespace: CatalogNamespace): Promise<void>;
  deleteNamespace(name: string): Promise<void>;

  /** Every function, or those of one namespace, by name. */
  listFunctions(namespace?: string): CatalogFunction[];
  getFunction(namespace: string, name: string): CatalogFunction | undefined;
  /** Inserts or replaces the function's `$LATEST` (its versions and aliases stay). */
  putFunction(fn: CatalogFunction): Promise<void>;
  /** Removes the function with its versions and aliases. */
  deleteFunction(namespace: string, name: string): Promise<void>;

  /** Oldest first. */
  listVersions(namespace: string, functionName: string): CatalogVersion[];
  getVersion(namespace: string, functionName: string, version: number): CatalogVersion | undefined;
  /**
   * Adds a version numbered past every version the function ever had (numbers are never reused, as on
   * the cloud) and returns it.
   */
  addVersion(version: Omit<CatalogVersion, 'version'>): Promise<CatalogVersion>;
  deleteVersion(namespace: string, functionName: string, version: number): Promise<void>;

  listAliases(namespace: string, functionName: string): CatalogAlias[];
  getAlias(namespace: string, functionName: string, name: string): CatalogAlias | undefined;
  /** Inserts or replaces. */
  putAlias(alias: CatalogAlias): Promise<void>;
  deleteAlias(namespace: string, functionName: string, name: string): Promise<void>;

  /** Every version of every layer, or of one layer; by name, then version, oldest first. */
  listLayerVersions(name?: string): CatalogLayerVersion[];
  getLayerVersion(name: string, version: number): CatalogLayerVersion | undefined;
  /** Adds a version of the layer numbered past every version it ever had, and returns it. */
  addLayerVersion(layer: Omit<CatalogLayerVersion, 'version'>): Promise<CatalogLayerVersion>;
  deleteLayerVersion(name: string, version: number): Promise<void>;

  /** A gateway-wide setting made through the API (JSON text), or undefined. */
  getSetting(key: string): string | undefined;
  /** Inserts or replaces; `undefined` removes it. */
  putSetting(key: string, value: string | undefined, at: number): Promise<void>;
}

export interface CatalogNamespace {
  name: string;
  description: string;
  /** Epoch ms. */
  addedAt: number;
  modifiedAt: number;
}

/** Where a function's code is: a content-addressed folder of the code store, or a folder used in place. */
export interface CatalogCode {
  /** SHA-256 (hex) of the stored code; empty for a folder used in place. */
  sha256: string;
  /** Bytes: the zip's size, or the folder's files. */
  size: number;
  /** A folder used in place (a manifest function's `src`, which hot reload edits), else undefined. */
  dir?: string;
}

export interface CatalogFunction {
  namespace: string;
  name: string;
  /** fngate.yml (declared, reconciled at start and reload) or the API. */
  origin: 'manifest' | 'api';
  /** The `$LATEST` configuration (gateway FunctionConfig), as JSON. */
  config: unknown;
  code: CatalogCode;
  /** A manifest function changed through the API since fngate.yml was last applied. */
  apiChanged: boolean;
  addedAt: number;
  modifiedAt: number;
}

export interface CatalogVersion {
  namespace: string;
  functionName: string;
  version: number;
  description: string;
  /** The configuration snapshot (gateway FunctionConfig), as JSON. */
  config: unknown;
  /** Always stored code: a version never runs from a folder that can change. */
  code: CatalogCode;
  addedAt: number;
}

export interface CatalogAlias {
  namespace: string;
  functionName: string;
  name: string;
  /** The main version: `$LATEST` or a version number. */
  version: string;
  additionalVersionWeights: Array<{ version: string; weight: number }>;
  description: string;
  addedAt: number;
  modifiedAt: number;
}

export interface CatalogLayerVersion {
  name: string;
  version: number;
  description: string;
  compatibleRuntimes: string[];
  code: CatalogCode;
  addedAt: number;
}
