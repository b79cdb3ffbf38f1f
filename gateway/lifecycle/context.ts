/**
 * What every part of the lifecycle service shares: the catalog, the code store, the registry (as
 * Deployments), a logger and a clock; and the conversions from catalog rows to the contract's views.
 */
import type { CatalogAlias, CatalogFunction, CatalogLayerVersion, CatalogNamespace, CatalogStore, CatalogVersion } from '../../store/types.ts';
import type { CodeStore } from '../code-store/store.ts';
import type { FunctionConfig } from '../config.ts';
import { FnError } from '../errors.ts';
import { LATEST } from '../registry.ts';
import type { AliasView, Deployments, FunctionVersionView, LayerVersionView, ListOptions, NamespaceView, Page } from './contract.ts';

export interface LifecycleLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface LifecycleContext {
  catalog: CatalogStore;
  code: CodeStore;
  deployments: Deployments;
  logger: LifecycleLogger;
  now: () => number;
}


/** The catalog's stored config, with `src` pointing at where its code is now (the data dir may have moved). */
export function runnableConfig(context: LifecycleContext, row: { config: unknown; code: CatalogFunction['code'] }): FunctionConfig {
  const config = row.config as FunctionConfig;
  const src = row.code.dir ?? context.code.dirOf(row.code.sha256);
  return config.src === src ? config : { ...config, src };
}

export function latestView(row: CatalogFunction): FunctionVersionView {
  const config = row.config as FunctionConfig;
  return {
    namespace: row.namespace,
    name: row.name,
    version: LATEST,
    description: config.description,
    config,
    codeSha256: row.code.sha256,
    codeSize: row.code.size,
    origin: row.origin,
    addedAt: row.addedAt,
    modifiedAt: row.modifiedAt,
  };
}

export function versionView(row: CatalogVersion, origin: CatalogFunction['origin']): FunctionVersionView {
  return {
    namespace: row.namespace,
    name: row.functionName,
    version: String(row.version),
    description: row.description,
    config: row.config as FunctionConfig,
    codeSha256: row.code.sha256,
    codeSize: row.code.size,
    origin,
    addedAt: row.addedAt,
    modifiedAt: row.addedAt,
  };
}

export const aliasView = (row: CatalogAlias): AliasView => ({
  namespace: row.namespace,
  functionName: row.functionName,
  name: row.name,
  version: row.version,
  ...(row.additionalVersionWeights.length > 0 ? { additionalVersionWeights: row.additionalVersionWeights } : {}),
  description: row.description,
  addedAt: row.addedAt,
  modifiedAt: row.modifiedAt,
});

export const namespaceView = (row: CatalogNamespace): NamespaceView => ({ ...row });

export const layerView = (row: CatalogLayerVersion): LayerVersionView => ({
  name: row.name,
  version: row.version,
  description: row.description,
  compatibleRuntimes: row.compatibleRuntimes,
  codeSha256: row.code.sha256,
  codeSize: row.code.size,
  addedAt: row.addedAt,
});

/** One page of `items`, after the `search` substring filter (by `nameOf`). */
export function pageOf<T>(items: T[], options: ListOptions = {}, nameOf?: (item: T) => string): Page<T> {
  const search = options.search?.toLowerCase();
  const matching = search && nameOf ? items.filter((item) => nameOf(item).toLowerCase().includes(search)) : items;
  const offset = Math.max(0, options.offset ?? 0);
  const limit = options.limit === undefined ? matching.length : Math.max(0, options.limit);
  return { items: matching.slice(offset, offset + limit), total: matching.length };
}

export function requireNamespace(context: LifecycleContext, namespace: string): CatalogNamespace {
  const row = context.catalog.getNamespace(namespace);
  if (!row) throw new FnError('NAMESPACE_NOT_FOUND', `namespace ${namespace} not found`);
  return row;
}

export function requireFunction(context: LifecycleContext, namespace: string, name: string): CatalogFunction {
  const row = context.catalog.getFunction(namespace, name);
  if (!row) throw new FnError('FUNCTION_NOT_FOUND', `function ${name} not found in namespace ${namespace}`);
  return row;
}

/** A published version number as a qualifier spells it ("1", "2", …), or undefined. */
export function versionNumber(qualifier: string): number | undefined {
  return /^[1-9]\d{0,9}$/.test(qualifier) ? Number(qualifier) : undefined;
}

export function requireVersion(context: LifecycleContext, fn: CatalogFunction, version: string): CatalogVersion {
  const number = versionNumber(version);
  const row = number === undefined ? undefined : context.catalog.getVersion(fn.namespace, fn.name, number);
  if (!row) throw new FnError('QUALIFIER_NOT_FOUND', `version ${version} of function ${fn.name} not found`);
  return row;
}
