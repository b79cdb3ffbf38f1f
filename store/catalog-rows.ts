/** The catalog tables' row shapes and their conversion to the store's types (catalog-store.ts). */
import type { CatalogAlias, CatalogCode, CatalogFunction, CatalogLayerVersion, CatalogNamespace, CatalogVersion } from './types.ts';

export interface NamespaceColumns {
  name: string;
  description: string;
  added_at: number;
  modified_at: number;
}

export interface CodeColumns {
  code_sha256: string;
  code_size: number;
  code_dir?: string | null;
}

export interface FunctionColumns extends CodeColumns {
  namespace: string;
  name: string;
  origin: string;
  config: string;
  api_changed: number;
  added_at: number;
  modified_at: number;
}

export interface VersionColumns extends CodeColumns {
  namespace: string;
  function_name: string;
  version: number;
  description: string;
  config: string;
  added_at: number;
}

export interface AliasColumns {
  namespace: string;
  function_name: string;
  name: string;
  version: string;
  weights: string;
  description: string;
  added_at: number;
  modified_at: number;
}

export interface LayerColumns extends CodeColumns {
  name: string;
  version: number;
  description: string;
  compatible_runtimes: string;
  added_at: number;
}

export const codeOf = (row: CodeColumns): CatalogCode =>
  row.code_dir ? { sha256: row.code_sha256, size: row.code_size, dir: row.code_dir } : { sha256: row.code_sha256, size: row.code_size };

export const toNamespace = (row: NamespaceColumns): CatalogNamespace => ({
  name: row.name,
  description: row.description,
  addedAt: row.added_at,
  modifiedAt: row.modified_at,
});

export const toFunction = (row: FunctionColumns): CatalogFunction => ({
  namespace: row.namespace,
  name: row.name,
  origin: row.origin === 'manifest' ? 'manifest' : 'api',
  config: JSON.parse(row.config),
  code: codeOf(row),
  apiChanged: row.api_changed !== 0,
  addedAt: row.added_at,
  modifiedAt: row.modified_at,
});

export const toVersion = (row: VersionColumns): CatalogVersion => ({
  namespace: row.namespace,
  functionName: row.function_name,
  version: row.version,
  description: row.description,
  config: JSON.parse(row.config),
  code: codeOf(row),
  addedAt: row.added_at,
});

export const toAlias = (row: AliasColumns): CatalogAlias => ({
  namespace: row.namespace,
  functionName: row.function_name,
  name: row.name,
  version: row.version,
  additionalVersionWeights: JSON.parse(row.weights),
  description: row.description,
  addedAt: row.added_at,
  modifiedAt: row.modified_at,
});

export const toLayer = (row: LayerColumns): CatalogLayerVersion => ({
  name: row.name,
  version: row.version,
  description: row.description,
  compatibleRuntimes: JSON.parse(row.compatible_runtimes),
  code: codeOf(row),
  addedAt: row.added_at,
});
