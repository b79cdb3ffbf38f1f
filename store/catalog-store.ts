/**
 * The function catalog on SQLite: a connection of its own on the main thread with synchronous = FULL,
 * so a write is on disk (the WAL fsynced) when its promise resolves. Catalog writes are rare management
 * calls; doing them on the main thread keeps each one a plain transaction that reads what it writes
 * (the next version number), which the batching writer thread, built for logs, does not offer.
 */
import DatabaseConstructor, { type Database, type Statement } from 'better-sqlite3';
import { DEFAULT_BUSY_TIMEOUT_MS } from './batch-writer.ts';
import {
  toAlias,
  toFunction,
  toLayer,
  toNamespace,
  toVersion,
  type AliasColumns,
  type FunctionColumns,
  type LayerColumns,
  type NamespaceColumns,
  type VersionColumns,
} from './catalog-rows.ts';
import type { CatalogAlias, CatalogFunction, CatalogLayerVersion, CatalogNamespace, CatalogStore, CatalogVersion } from './types.ts';

/**
 * A synchronous write as the promise the interface asks for (rejected, not thrown, on failure).
 * Transactions that read before they write run IMMEDIATE: they take the write lock at BEGIN, where the
 * busy timeout waits for the writer thread; a deferred one would fail at once (SQLITE_BUSY_SNAPSHOT) when
 * the writer committed between its read and its write.
 */
function settled<T>(write: () => T): Promise<T> {
  try {
    return Promise.resolve(write());
  } catch (error) {
    return Promise.reject(error);
  }
}

export class SqliteCatalogStore implements CatalogStore {
  #db: Database;
  #statements = new Map<string, Statement>();

  private constructor(db: Database) {
    this.#db = db;
  }

  /** Opens a connection of its own to the (already migrated) database at `dbPath`. */
  static open(dbPath: string): SqliteCatalogStore {
    const db = new DatabaseConstructor(dbPath);
    try {
      db.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
      // FULL: the WAL is fsynced at each commit, so a resolved write survives a power cut.
      db.pragma('synchronous = FULL');
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteCatalogStore(db);
  }

  close(): void {
    this.#db.close();
  }

  #run(sql: string, ...params: unknown[]): void {
    this.#statement(sql).run(...params);
  }

  #all<R>(sql: string, ...params: unknown[]): R[] {
    return this.#statement(sql).all(...params) as R[];
  }

  #get<R>(sql: string, ...params: unknown[]): R | undefined {
    return this.#statement(sql).get(...params) as R | undefined;
  }

  #statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  getSetting(key: string): string | undefined {
    return this.#get<{ value: string }>('SELECT value FROM catalog_settings WHERE key = ?', key)?.value;
  }

  putSetting(key: string, value: string | undefined, at: number): Promise<void> {
    return settled(() =>
      value === undefined
        ? this.#run('DELETE FROM catalog_settings WHERE key = ?', key)
        : this.#run('INSERT OR REPLACE INTO catalog_settings (key, value, modified_at) VALUES (?, ?, ?)', key, value, at),
    );
  }

  listNamespaces(): CatalogNamespace[] {
    return this.#all<NamespaceColumns>('SELECT * FROM catalog_namespaces ORDER BY name').map(toNamespace);
  }

  getNamespace(name: string): CatalogNamespace | undefined {
    const row = this.#get<NamespaceColumns>('SELECT * FROM catalog_namespaces WHERE name = ?', name);
    return row && toNamespace(row);
  }

  putNamespace(namespace: CatalogNamespace): Promise<void> {
    return settled(() =>
      this.#run(
        'INSERT OR REPLACE INTO catalog_namespaces (name, description, added_at, modified_at) VALUES (?, ?, ?, ?)',
        namespace.name,
        namespace.description,
        namespace.addedAt,
        namespace.modifiedAt,
      ),
    );
  }

  deleteNamespace(name: string): Promise<void> {
    return settled(() => this.#run('DELETE FROM catalog_namespaces WHERE name = ?', name));
  }

  listFunctions(namespace?: string): CatalogFunction[] {
    const rows =
      namespace === undefined
        ? this.#all<FunctionColumns>('SELECT * FROM catalog_functions ORDER BY namespace, name')
        : this.#all<FunctionColumns>('SELECT * FROM catalog_functions WHERE namespace = ? ORDER BY name', namespace);
    return rows.map(toFunction);
  }

  getFunction(namespace: string, name: string): CatalogFunction | undefined {
    const row = this.#get<FunctionColumns>('SELECT * FROM catalog_functions WHERE namespace = ? AND name = ?', namespace, name);
    return row && toFunction(row);
  }

  putFunction(fn: CatalogFunction): Promise<void> {
    // An upsert, not REPLACE: next_version must survive an update of $LATEST.
    return settled(() =>
      this.#run(
        `INSERT INTO catalog_functions (namespace, name, origin, config, code_sha256, code_size, code_dir, api_changed, added_at, modified_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (namespace, name) DO UPDATE SET origin = excluded.origin, config = excluded.config,
           code_sha256 = excluded.code_sha256, code_size = excluded.code_size, code_dir = excluded.code_dir,
           api_changed = excluded.api_changed, modified_at = excluded.modified_at`,
        fn.namespace,
        fn.name,
        fn.origin,
        JSON.stringify(fn.config),
        fn.code.sha256,
        fn.code.size,
        fn.code.dir ?? null,
        fn.apiChanged ? 1 : 0,
        fn.addedAt,
        fn.modifiedAt,
      ),
    );
  }

  deleteFunction(namespace: string, name: string): Promise<void> {
    return settled(() =>
      this.#db.transaction(() => {
        this.#run('DELETE FROM catalog_aliases WHERE namespace = ? AND function_name = ?', namespace, name);
        this.#run('DELETE FROM catalog_versions WHERE namespace = ? AND function_name = ?', namespace, name);
        this.#run('DELETE FROM catalog_functions WHERE namespace = ? AND name = ?', namespace, name);
      }).immediate(),
    );
  }

  listVersions(namespace: string, functionName: string): CatalogVersion[] {
    return this.#all<VersionColumns>(
      'SELECT * FROM catalog_versions WHERE namespace = ? AND function_name = ? ORDER BY version',
      namespace,
      functionName,
    ).map(toVersion);
  }

  getVersion(namespace: string, functionName: string, version: number): CatalogVersion | undefined {
    const row = this.#get<VersionColumns>(
      'SELECT * FROM catalog_versions WHERE namespace = ? AND function_name = ? AND version = ?',
      namespace,
      functionName,
      version,
    );
    return row && toVersion(row);
  }

  addVersion(version: Omit<CatalogVersion, 'version'>): Promise<CatalogVersion> {
    return settled(() =>
      this.#db.transaction((): CatalogVersion => {
        const next = this.#get<{ next_version: number }>(
          'SELECT next_version FROM catalog_functions WHERE namespace = ? AND name = ?',
          version.namespace,
          version.functionName,
        );
        if (!next) throw new Error(`function ${version.namespace}/${version.functionName} is not in the catalog`);
        const added: CatalogVersion = { ...version, version: next.next_version };
        this.#run(
          `INSERT INTO catalog_versions (namespace, function_name, version, description, config, code_sha256, code_size, added_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          added.namespace,
          added.functionName,
          added.version,
          added.description,
          JSON.stringify(added.config),
          added.code.sha256,
          added.code.size,
          added.addedAt,
        );
        this.#run(
          'UPDATE catalog_functions SET next_version = ? WHERE namespace = ? AND name = ?',
          added.version + 1,
          added.namespace,
          added.functionName,
        );
        return added;
      }).immediate(),
    );
  }

  deleteVersion(namespace: string, functionName: string, version: number): Promise<void> {
    return settled(() =>
      this.#run('DELETE FROM catalog_versions WHERE namespace = ? AND function_name = ? AND version = ?', namespace, functionName, version),
    );
  }

  listAliases(namespace: string, functionName: string): CatalogAlias[] {
    return this.#all<AliasColumns>(
      'SELECT * FROM catalog_aliases WHERE namespace = ? AND function_name = ? ORDER BY name',
      namespace,
      functionName,
    ).map(toAlias);
  }

  getAlias(namespace: string, functionName: string, name: string): CatalogAlias | undefined {
    const row = this.#get<AliasColumns>(
      'SELECT * FROM catalog_aliases WHERE namespace = ? AND function_name = ? AND name = ?',
      namespace,
      functionName,
      name,
    );
    return row && toAlias(row);
  }

  putAlias(alias: CatalogAlias): Promise<void> {
    return settled(() =>
      this.#run(
        `INSERT OR REPLACE INTO catalog_aliases (namespace, function_name, name, version, weights, description, added_at, modified_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        alias.namespace,
        alias.functionName,
        alias.name,
        alias.version,
        JSON.stringify(alias.additionalVersionWeights),
        alias.description,
        alias.addedAt,
        alias.modifiedAt,
      ),
    );
  }

  deleteAlias(namespace: string, functionName: string, name: string): Promise<void> {
    return settled(() =>
      this.#run('DELETE FROM catalog_aliases WHERE namespace = ? AND function_name = ? AND name = ?', namespace, functionName, name),
    );
  }

  listLayerVersions(name?: string): CatalogLayerVersion[] {
    const rows =
      name === undefined
        ? this.#all<LayerColumns>('SELECT * FROM catalog_layer_versions ORDER BY name, version')
        : this.#all<LayerColumns>('SELECT * FROM catalog_layer_versions WHERE name = ? ORDER BY version', name);
    return rows.map(toLayer);
  }

  getLayerVersion(name: string, version: number): CatalogLayerVersion | undefined {
    const row = this.#get<LayerColumns>('SELECT * FROM catalog_layer_versions WHERE name = ? AND version = ?', name, version);
    return row && toLayer(row);
  }

  addLayerVersion(layer: Omit<CatalogLayerVersion, 'version'>): Promise<CatalogLayerVersion> {
    return settled(() =>
      this.#db.transaction((): CatalogLayerVersion => {
        const next = this.#get<{ next_version: number }>('SELECT next_version FROM catalog_layers WHERE name = ?', layer.name)?.next_version ?? 1;
        const added: CatalogLayerVersion = { ...layer, version: next };
        this.#run('INSERT OR REPLACE INTO catalog_layers (name, next_version) VALUES (?, ?)', layer.name, next + 1);
        this.#run(
          `INSERT INTO catalog_layer_versions (name, version, description, compatible_runtimes, code_sha256, code_size, added_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
          added.name,
          added.version,
          added.description,
          JSON.stringify(added.compatibleRuntimes),
          added.code.sha256,
          added.code.size,
          added.addedAt,
        );
        return added;
      }).immediate(),
    );
  }

  deleteLayerVersion(name: string, version: number): Promise<void> {
    return settled(() => this.#run('DELETE FROM catalog_layer_versions WHERE name = ? AND version = ?', name, version));
  }
}
