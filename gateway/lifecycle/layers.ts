/**
 * Namespaces and layer versions. A layer version is immutable stored code (zip or folder), numbered 1, 2,
 * … per layer and never renumbered; functions bind up to 5, stacked under /opt in binding order.
 */
import type { CatalogLayerVersion } from '../../store/types.ts';
import { runtimeKindOf, type FunctionConfig } from '../config.ts';
import { FnError } from '../errors.ts';
import { DEFAULT_NAMESPACE } from '../registry.ts';
import type { CodeSource, FunctionSettings, LayerVersionView, ListOptions, NamespaceView, Page } from './contract.ts';
import { layerView, namespaceView, pageOf, requireNamespace, type LifecycleContext } from './context.ts';
import { LAYER_NAME_PATTERN, LAYER_NAME_RULE } from './limits.ts';
import { checkDescription, checkNamespaceName, invalid, type BoundLayer } from './settings.ts';

export async function createNamespace(context: LifecycleContext, name: string, description = ''): Promise<NamespaceView> {
  checkNamespaceName(name);
  checkDescription(description, `namespace ${name}`);
  if (context.catalog.getNamespace(name)) throw new FnError('ALREADY_EXISTS', `namespace ${name} already exists`);
  const now = context.now();
  const row = { name, description, addedAt: now, modifiedAt: now };
  await context.catalog.putNamespace(row);
  return namespaceView(row);
}

/** Namespaces fngate.yml names exist without being created (as `default` always does). */
export async function ensureNamespace(context: LifecycleContext, name: string): Promise<void> {
  if (context.catalog.getNamespace(name)) return;
  const now = context.now();
  await context.catalog.putNamespace({ name, description: '', addedAt: now, modifiedAt: now });
}

export function listNamespaces(context: LifecycleContext, options?: ListOptions): Page<NamespaceView> {
  return pageOf(context.catalog.listNamespaces().map(namespaceView), options, (view) => view.name);
}

export async function deleteNamespace(context: LifecycleContext, name: string): Promise<void> {
  if (name === DEFAULT_NAMESPACE) throw invalid(`namespace ${DEFAULT_NAMESPACE} cannot be deleted`);
  requireNamespace(context, name);
  const functions = context.catalog.listFunctions(name);
  if (functions.length > 0) {
    const names = functions.slice(0, 5).map((fn) => fn.name).join(', ');
    throw new FnError('RESOURCE_IN_USE', `namespace ${name} holds ${functions.length} function(s) (${names}${functions.length > 5 ? ', …' : ''}); delete them first`);
  }
  await context.catalog.deleteNamespace(name);
}

function requireLayer(context: LifecycleContext, name: string, version: number): CatalogLayerVersion {
  const row = context.catalog.getLayerVersion(name, version);
  if (!row) throw new FnError('LAYER_NOT_FOUND', `layer ${name} has no version ${version}`);
  return row;
}

export async function publishLayerVersion(
  context: LifecycleContext,
  name: string,
  code: CodeSource,
  compatibleRuntimes: string[],
  description = '',
): Promise<LayerVersionView> {
  if (!LAYER_NAME_PATTERN.test(name)) throw invalid(`layer name "${name}" is invalid: it must be ${LAYER_NAME_RULE}`);
  checkDescription(description, `layer ${name}`);
  if (compatibleRuntimes.length === 0) throw invalid(`layer ${name}: name at least one compatible runtime`);
  for (const runtime of compatibleRuntimes) {
    if (runtimeKindOf(runtime) === undefined) throw invalid(`layer ${name}: unknown compatible runtime "${runtime}"`);
  }
  const stored = await context.code.put(code, `layer ${name}`);
  const row = await context.catalog.addLayerVersion({
    name,
    description,
    compatibleRuntimes,
    code: { sha256: stored.sha256, size: stored.size },
    addedAt: context.now(),
  });
  return layerView(row);
}

/** The newest version of each layer (as SCF's ListLayers), optionally of those compatible with a runtime. */
export function listLayers(context: LifecycleContext, options: ListOptions & { compatibleRuntime?: string } = {}): Page<LayerVersionView> {
  const newest = new Map<string, CatalogLayerVersion>();
  for (const row of context.catalog.listLayerVersions()) newest.set(row.name, row);
  const wanted = options.compatibleRuntime?.toLowerCase();
  const rows = [...newest.values()].filter((row) => wanted === undefined || row.compatibleRuntimes.some((runtime) => runtime.toLowerCase() === wanted));
  return pageOf(rows.map(layerView), options, (view) => view.name);
}

/** Newest first. */
export function listLayerVersions(context: LifecycleContext, name: string): LayerVersionView[] {
  const rows = context.catalog.listLayerVersions(name);
  if (rows.length === 0) throw new FnError('LAYER_NOT_FOUND', `layer ${name} not found`);
  return rows.reverse().map(layerView);
}

export function getLayerVersion(context: LifecycleContext, name: string, version: number): LayerVersionView {
  return layerView(requireLayer(context, name, version));
}

export async function deleteLayerVersion(context: LifecycleContext, name: string, version: number): Promise<void> {
  requireLayer(context, name, version);
  const users: string[] = [];
  for (const fn of context.catalog.listFunctions()) {
    const bound = (config: unknown): boolean => ((config as { layers: BoundLayer[] }).layers ?? []).some((layer) => layer.name === name && layer.version === String(version));
    if (bound(fn.config)) users.push(`${fn.name} ($LATEST)`);
    for (const published of context.catalog.listVersions(fn.namespace, fn.name)) {
      if (bound(published.config)) users.push(`${fn.name} (version ${published.version})`);
    }
  }
  if (users.length > 0) throw new FnError('RESOURCE_IN_USE', `layer ${name} version ${version} is bound to ${users.join(', ')}; unbind it first`);
  await context.catalog.deleteLayerVersion(name, version);
}

/** The layer versions `settings.layers` names, with their folders, in binding order. */
export function resolveLayers(context: LifecycleContext, layers: FunctionSettings['layers']): BoundLayer[] | undefined {
  return layers?.map(({ name, version }) => ({ name, version: String(version), dir: context.code.dirOf(requireLayer(context, name, version).code.sha256) }));
}

/**
 * Refuses a function whose runtime a bound layer does not list among its compatible runtimes (as the
 * console only offers such layers). Layers that are fngate.yml folders, not catalog versions, are not checked.
 */
export function checkLayerRuntimes(context: LifecycleContext, config: FunctionConfig): void {
  for (const layer of config.layers) {
    const row = context.catalog.getLayerVersion(layer.name, Number(layer.version));
    if (!row || context.code.dirOf(row.code.sha256) !== layer.dir) continue;
    if (row.compatibleRuntimes.some((runtime) => runtime.toLowerCase() === config.runtime.toLowerCase())) continue;
    throw invalid(`layer ${layer.name} version ${layer.version} is compatible with ${row.compatibleRuntimes.join(', ')}, not with ${config.runtime}`);
  }
}
