/**
 * The schema, as an ordered list of steps. Step i (0-based) brings the database to `user_version` i + 1.
 * Steps are append-only: never edit a shipped step, add a new one.
 */
import type { Database } from 'better-sqlite3';

export interface Migration {
  /** Shown in the error if the step fails. */
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'invocations and logs',
    // No CHECK constraints: a batch is one transaction, and a row the schema refuses is skipped by the
    // writer, so validation belongs to the types, not the table.
    sql: `
      CREATE TABLE invocations (
        request_id       TEXT PRIMARY KEY,
        namespace        TEXT NOT NULL,
        function_name    TEXT NOT NULL,
        version          TEXT NOT NULL,
        mode             TEXT NOT NULL,
        started_at       INTEGER NOT NULL,
        duration_ms      REAL NOT NULL,
        billed_ms        INTEGER NOT NULL,
        memory_mb        INTEGER NOT NULL,
        mem_usage_bytes  INTEGER NOT NULL,
        status_code      INTEGER NOT NULL,
        error_message    TEXT,
        cold_start_ms    REAL,
        pull_code_ms     REAL,
        init_runtime_ms  REAL,
        init_function_ms REAL
      );
      CREATE INDEX invocations_by_function ON invocations (namespace, function_name, started_at);
      -- prune deletes by age across all functions
      CREATE INDEX invocations_by_time ON invocations (started_at);

      CREATE TABLE logs (
        id            INTEGER PRIMARY KEY,
        request_id    TEXT NOT NULL,
        namespace     TEXT NOT NULL,
        function_name TEXT NOT NULL,
        time          INTEGER NOT NULL,
        line          TEXT NOT NULL
      );
      -- the rowid (id) ends every index, so "ORDER BY time DESC, id DESC" walks this index backwards
      CREATE INDEX logs_by_function ON logs (namespace, function_name, time);
      CREATE INDEX logs_by_request ON logs (request_id, time);
      CREATE INDEX logs_by_time ON logs (time);
    `,
  },
  {
    name: 'async event queue',
    // One row per accepted async event, from accept to its final state; the dead-letter queue is the
    // events in status dead or expired (store/queue-statements.ts). Times are epoch ms.
    sql: `
      CREATE TABLE async_events (
        request_id       TEXT PRIMARY KEY,
        namespace        TEXT NOT NULL,
        function_name    TEXT NOT NULL,
        qualifier        TEXT NOT NULL,
        -- invoke | timer:<trigger> | cmq:<topic> | ckafka:<topic>
        source           TEXT NOT NULL,
        payload          TEXT NOT NULL,
        status           TEXT NOT NULL,
        enqueued_at      INTEGER NOT NULL,
        -- maxEventAge counts from here; a redrive resets it
        queued_at        INTEGER NOT NULL,
        -- not run before this (retry backoff, throttling, a lease still held)
        available_at     INTEGER NOT NULL,
        -- set while running: past it, the claim is void and the event runs again
        lease_until      INTEGER,
        attempts         INTEGER NOT NULL DEFAULT 0,
        -- failed attempts since the last (re)drive: the retries spent
        failures         INTEGER NOT NULL DEFAULT 0,
        throttles        INTEGER NOT NULL DEFAULT 0,
        redrives         INTEGER NOT NULL DEFAULT 0,
        last_started_at  INTEGER,
        last_status_code INTEGER,
        last_error       TEXT,
        result           TEXT,
        finished_at      INTEGER,
        dead_reason      TEXT,
        -- JSON array of the attempts (and redrives), oldest first
        history          TEXT NOT NULL DEFAULT '[]'
      );
      -- what a restart loads back into the dispatcher
      CREATE INDEX async_events_pending ON async_events (status) WHERE status IN ('queued', 'retrying', 'running');
      CREATE INDEX async_events_by_function ON async_events (namespace, function_name, enqueued_at);
      CREATE INDEX async_events_dead ON async_events (namespace, function_name, finished_at)
        WHERE status IN ('dead', 'expired');
      -- retention deletes finished events by age
      CREATE INDEX async_events_finished ON async_events (finished_at) WHERE finished_at IS NOT NULL;

      -- the next offset of each internal topic (CKafka records carry it)
      CREATE TABLE topic_offsets (
        topic       TEXT PRIMARY KEY,
        next_offset INTEGER NOT NULL
      );
    `,
  },
  {
    name: 'framing rendered from the record',
    // When a sync invocation's START/END/Report lines were framed (epoch ms); NULL when they are stored as
    // log lines instead (older rows, async attempts) or the invocation never got as far as framing.
    // store/framed-log.ts renders the lines at read time: one row per invocation instead of four or more.
    sql: `
      ALTER TABLE invocations ADD COLUMN frame_start INTEGER;
      ALTER TABLE invocations ADD COLUMN frame_end INTEGER;
      -- the framed invocations of a function by when they ended: the frame lines of its latest log
      CREATE INDEX invocations_framed ON invocations (namespace, function_name, frame_end) WHERE frame_end IS NOT NULL;
    `,
  },
  {
    name: 'function catalog',
    // gateway/lifecycle/: what the API made (and what fngate.yml declared) survives a restart. Configs are
    // JSON (gateway FunctionConfig); code_dir is set for a folder used in place, else code_sha256 names a
    // folder of the code store (<data dir>/code/<sha256>). next_version never goes back: version numbers
    // are not reused after a deletion, as on the cloud.
    sql: `
      CREATE TABLE catalog_namespaces (
        name        TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        added_at    INTEGER NOT NULL,
        modified_at INTEGER NOT NULL
      );
      CREATE TABLE catalog_functions (
        namespace    TEXT NOT NULL,
        name         TEXT NOT NULL,
        origin       TEXT NOT NULL,
        config       TEXT NOT NULL,
        code_sha256  TEXT NOT NULL,
        code_size    INTEGER NOT NULL,
        code_dir     TEXT,
        api_changed  INTEGER NOT NULL DEFAULT 0,
        next_version INTEGER NOT NULL DEFAULT 1,
        added_at     INTEGER NOT NULL,
        modified_at  INTEGER NOT NULL,
        PRIMARY KEY (namespace, name)
      );
      CREATE TABLE catalog_versions (
        namespace     TEXT NOT NULL,
        function_name TEXT NOT NULL,
        version       INTEGER NOT NULL,
        description   TEXT NOT NULL,
        config        TEXT NOT NULL,
        code_sha256   TEXT NOT NULL,
        code_size     INTEGER NOT NULL,
        added_at      INTEGER NOT NULL,
        PRIMARY KEY (namespace, function_name, version)
      );
      CREATE TABLE catalog_aliases (
        namespace     TEXT NOT NULL,
        function_name TEXT NOT NULL,
        name          TEXT NOT NULL,
        version       TEXT NOT NULL,
        -- JSON array of {version, weight}
        weights       TEXT NOT NULL,
        description   TEXT NOT NULL,
        added_at      INTEGER NOT NULL,
        modified_at   INTEGER NOT NULL,
        PRIMARY KEY (namespace, function_name, name)
      );
      -- one row per layer name ever published: its next version number
      CREATE TABLE catalog_layers (
        name         TEXT PRIMARY KEY,
        next_version INTEGER NOT NULL
      );
      CREATE TABLE catalog_layer_versions (
        name                TEXT NOT NULL,
        version             INTEGER NOT NULL,
        description         TEXT NOT NULL,
        -- JSON array of runtime names
        compatible_runtimes TEXT NOT NULL,
        code_sha256         TEXT NOT NULL,
        code_size           INTEGER NOT NULL,
        added_at            INTEGER NOT NULL,
        PRIMARY KEY (name, version)
      );
    `,
  },
  {
    name: 'account settings',
    // Gateway-wide settings made through the API (PutTotalConcurrencyConfig), kept across restarts; the
    // value is JSON.
    sql: `
      CREATE TABLE catalog_settings (
        key         TEXT PRIMARY KEY,
        value       TEXT NOT NULL,
        modified_at INTEGER NOT NULL
      );
    `,
  },
  {
    name: 'frames of replaced async attempts',
    // Async attempts render START/END/Report from their record, as sync invocations do (one row per
    // attempt instead of four). A retry shares its event's request ID and replaces the record
    // (INSERT OR REPLACE), so just before that the replaced attempt's frame becomes log lines, in the
    // text store/framed-log.ts renders (printf's %.2f is toFixed(2)); the log keeps every attempt's frame.
    // Rows without a frame (older async attempts, whose frame lines are stored) add nothing; a first
    // attempt costs the one lookup of the WHEN clause.
    sql: `
      CREATE TRIGGER invocations_keep_replaced_frame BEFORE INSERT ON invocations
        WHEN NEW.mode = 'async' AND EXISTS (SELECT 1 FROM invocations WHERE request_id = NEW.request_id AND frame_end IS NOT NULL)
      BEGIN
        INSERT INTO logs (request_id, namespace, function_name, time, line)
          SELECT request_id, namespace, function_name, frame_start, 'START RequestId: ' || request_id
            FROM invocations WHERE request_id = NEW.request_id AND frame_end IS NOT NULL
          UNION ALL
          SELECT request_id, namespace, function_name, frame_end, 'END RequestId: ' || request_id
            FROM invocations WHERE request_id = NEW.request_id AND frame_end IS NOT NULL
          UNION ALL
          SELECT request_id, namespace, function_name, frame_end,
              printf('Report RequestId: %s Duration:%.2fms Memory:%sMB MemUsage:%.2fMB',
                request_id, duration_ms, memory_mb, mem_usage_bytes / 1048576.0)
            FROM invocations WHERE request_id = NEW.request_id AND frame_end IS NOT NULL
          UNION ALL
          SELECT request_id, namespace, function_name, frame_end,
              printf('Init Report RequestId: %s Coldstart:%.2fms PullCode:%.2fms InitRuntime:%.2fms InitFunction:%.2fms',
                request_id, cold_start_ms, coalesce(pull_code_ms, 0), coalesce(init_runtime_ms, 0), coalesce(init_function_ms, 0))
            FROM invocations WHERE request_id = NEW.request_id AND frame_end IS NOT NULL AND cold_start_ms IS NOT NULL;
      END;
    `,
  },
  {
    name: 'records without per-insert extras',
    // What every invocation's insert updated and no reader needed (each index is a B-tree insert on the
    // writer thread, which shares the server's CPU): retention by age goes through the by-function
    // indexes (store/statements.ts pruneByFunction), and the replaced async attempt's frame is kept by a
    // statement pushed before async records only (store/statements.ts keepReplacedFrame) instead of a
    // trigger that every sync insert ran too.
    sql: `
      DROP INDEX invocations_by_time;
      DROP INDEX logs_by_time;
      DROP TRIGGER invocations_keep_replaced_frame;
    `,
  },
];

/**
 * Apply the steps the database has not seen yet, each in its own transaction together with its
 * `user_version` bump, so a crash leaves the database at a step boundary. Returns the resulting version.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const readVersion = (): number => db.pragma('user_version', { simple: true }) as number;
  const current = readVersion();
  if (current > migrations.length) {
    throw new Error(
      `database schema version ${current} is newer than this fngate (${migrations.length}); refusing to open`,
    );
  }
  const apply = db.transaction((version: number, step: Migration) => {
    // Another process may have migrated between our read and this write lock.
    if (readVersion() >= version) return;
    db.exec(step.sql);
    // PRAGMA takes no bound parameters; `version` is a loop integer.
    db.pragma(`user_version = ${version}`);
  });
  for (let version = current + 1; version <= migrations.length; version++) {
    const step = migrations[version - 1]!;
    try {
      // IMMEDIATE takes the write lock up front, so two openers cannot both run the same step.
      apply.immediate(version, step);
    } catch (error) {
      throw new Error(`migration ${version} (${step.name}) failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return migrations.length;
}
