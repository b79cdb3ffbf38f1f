/** The store's public surface: the Store contract and its SQLite implementation. */
export type {
  CatalogAlias,
  CatalogCode,
  CatalogFunction,
  CatalogLayerVersion,
  CatalogNamespace,
  CatalogStore,
  CatalogVersion,
  ColdStartPhases,
  InvocationRecord,
  LogQuery,
  RecordQuery,
  Store,
  StoredLogLine,
  StoreLogger,
} from './types.ts';
export {
  DB_FILE_NAME,
  DEFAULT_ACCEPT_SYNC,
  type AcceptSync,
  DEFAULT_MAX_PENDING_ROWS,
  DEFAULT_RETENTION_MS,
  PRUNE_INTERVAL_MS,
  SqliteStore,
  openStore,
  type SqliteStoreOptions,
} from './sqlite-store.ts';
export { SqliteCatalogStore } from './catalog-store.ts';
export { StoreOpenError } from './open-error.ts';
export { MIGRATIONS, migrate, type Migration } from './migrations.ts';
export { QueueStore, type AsyncEventQuery, type DeadLetterQuery } from './queue-store.ts';
export {
  ASYNC_EVENT_STATUSES,
  isAsyncEventStatus,
  type AsyncEventRecord,
  type AsyncEventState,
  type AsyncEventStatus,
  type AttemptEntry,
  type AttemptOutcome,
  type NewAsyncEvent,
  type PendingAsyncEvent,
} from './queue-statements.ts';
