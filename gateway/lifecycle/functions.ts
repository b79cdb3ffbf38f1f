/**
 * Functions and their published versions. `$LATEST` is the editable configuration and code; a published
 * version is a snapshot of both, its code always copied into the code store, numbered past every version
 * the function ever had. Each write deploys first (the registry refuses what cannot run: an unavailable
 * runtime), then persists; when persisting fails the deployment is undone.
 */
import type { CatalogFunction } from '../../store/types.ts';
import type { FunctionConfig } from '../config.ts';
import { FnError } from '../errors.ts';
import { LATEST } from '../registry.ts';
import { aliasesRoutingTo } from './aliases.ts';
import type { CodeSource, FunctionSettings, FunctionVersionView, ListOptions, Page } from './contract.ts';
import {
  latestView,
  pageOf,
  requireFunction,
  requireNamespace,
  requireVersion,
  runnableConfig,
  versionNumber,
  versionView,
  type LifecycleContext,
} from './context.ts';
import { checkLayerRuntimes, resolveLayers } from './layers.ts';
import { buildConfig, checkDescription, checkFunctionName, checkSettings } from './settings.ts';

/** Deploys `config` as `$LATEST` and stores `row`; if storing fails, what ran before runs again. */
async function deployLatest(context: LifecycleContext, row: CatalogFunction, previous: CatalogFunction | undefined): Promise<void> {
  await context.deployments.putLatest(row.config as FunctionConfig);
  try {
    await context.catalog.putFunction(row);
  } catch (error) {
    if (previous) await context.deployments.putLatest(runnableConfig(context, previous));
    else await context.deployments.removeFunction(row.namespace, row.name);
    throw new FnError('STORE_UNAVAILABLE', `function ${row.name} could not be stored: ${(error as Error).message}`, { cause: error });
  }
}

/** An API change to a manifest function lasts until fngate.yml is applied again (start or reload). */
const changedBy = (current: CatalogFunction): Pick<CatalogFunction, 'origin' | 'apiChanged'> => ({
  origin: current.origin,
  apiChanged: current.origin === 'manifest',
});

export async function createFunction(
  context: LifecycleContext,
  namespace: string,
  name: string,
  settings: FunctionSettings,
  code: CodeSource,
): Promise<FunctionVersionView> {
  requireNamespace(context, namespace);
  checkFunctionName(name);
  const what = `function ${name}`;
  checkSettings(settings, what);
  if (context.catalog.getFunction(namespace, name)) throw new FnError('ALREADY_EXISTS', `function ${name} already exists in namespace ${namespace}`);
  const layers = resolveLayers(context, settings.layers);
  // API code is always stored: the function must not change when a folder it came from does.
  const stored = await context.code.put(code, what);
  const config = buildConfig(namespace, name, undefined, settings, stored.dir, layers);
  checkLayerRuntimes(context, config);
  const now = context.now();
  const row: CatalogFunction = {
    namespace,
    name,
    origin: 'api',
    config,
    code: { sha256: stored.sha256, size: stored.size },
    apiChanged: false,
    addedAt: now,
    modifiedAt: now,
  };
  await deployLatest(context, row, undefined);
  return latestView(row);
}

export function getFunction(context: LifecycleContext, namespace: string, name: string, qualifier: string = LATEST): FunctionVersionView {
  const fn = requireFunction(context, namespace, name);
  if (qualifier === LATEST) return latestView(fn);
  if (versionNumber(qualifier) !== undefined) return versionView(requireVersion(context, fn, qualifier), fn.origin);
  const alias = context.catalog.getAlias(namespace, name, qualifier);
  if (!alias) throw new FnError('QUALIFIER_NOT_FOUND', `version or alias ${qualifier} of function ${name} not found`);
  return getFunction(context, namespace, name, alias.version);
}

export function listFunctions(context: LifecycleContext, namespace: string, options?: ListOptions): Page<FunctionVersionView> {
  requireNamespace(context, namespace);
  return pageOf(context.catalog.listFunctions(namespace).map(latestView), options, (view) => view.name);
}

export async function updateFunctionCode(
  context: LifecycleContext,
  namespace: string,
  name: string,
  code: CodeSource,
  settings: FunctionSettings = {},
): Promise<FunctionVersionView> {
  const current = requireFunction(context, namespace, name);
  checkSettings(settings, `function ${name}`);
  const layers = resolveLayers(context, settings.layers);
  const stored = await context.code.put(code, `function ${name}`);
  const config = buildConfig(namespace, name, current.config as FunctionConfig, settings, stored.dir, layers);
  checkLayerRuntimes(context, config);
  const row: CatalogFunction = { ...current, ...changedBy(current), config, code: { sha256: stored.sha256, size: stored.size }, modifiedAt: context.now() };
  await deployLatest(context, row, current);
  return latestView(row);
}

export async function updateFunctionConfiguration(
  context: LifecycleContext,
  namespace: string,
  name: string,
  settings: FunctionSettings,
): Promise<FunctionVersionView> {
  const current = requireFunction(context, namespace, name);
  checkSettings(settings, `function ${name}`);
  const layers = resolveLayers(context, settings.layers);
  const base = runnableConfig(context, current);
  const config = buildConfig(namespace, name, base, settings, base.src, layers);
  checkLayerRuntimes(context, config);
  const row: CatalogFunction = { ...current, ...changedBy(current), config, modifiedAt: context.now() };
  await deployLatest(context, row, current);
  return latestView(row);
}

export async function deleteFunction(context: LifecycleContext, namespace: string, name: string, qualifier: string = LATEST): Promise<void> {
  const fn = requireFunction(context, namespace, name);
  if (qualifier !== LATEST) return deleteVersion(context, namespace, name, qualifier);
  await context.catalog.deleteFunction(namespace, name);
  await context.deployments.removeFunction(namespace, name);
  if (fn.origin === 'manifest') {
    context.logger.warn({ function: name, namespace }, `function ${namespace}/${name} was deleted through the API; fngate.yml declares it, so it comes back at the next start or reload`);
  }
}

export async function publishVersion(context: LifecycleContext, namespace: string, name: string, description = ''): Promise<FunctionVersionView> {
  const fn = requireFunction(context, namespace, name);
  checkDescription(description, `version of function ${name}`);
  const latest = runnableConfig(context, fn);
  // A folder used in place (a manifest function's src) is copied in: a version never changes.
  const code = fn.code.dir === undefined ? { ...fn.code, dir: context.code.dirOf(fn.code.sha256) } : await context.code.putDir(fn.code.dir, `function ${name}`);
  const config: FunctionConfig = { ...latest, src: code.dir };
  const row = await context.catalog.addVersion({
    namespace,
    functionName: name,
    description,
    config,
    code: { sha256: code.sha256, size: code.size },
    addedAt: context.now(),
  });
  try {
    await context.deployments.putVersion(config, String(row.version));
  } catch (error) {
    await context.catalog.deleteVersion(namespace, name, row.version);
    throw error;
  }
  return versionView(row, fn.origin);
}

/** `$LATEST` first, then the published versions, oldest first. */
export function listVersions(context: LifecycleContext, namespace: string, name: string, options?: ListOptions): Page<FunctionVersionView> {
  const fn = requireFunction(context, namespace, name);
  const views = [latestView(fn), ...context.catalog.listVersions(namespace, name).map((row) => versionView(row, fn.origin))];
  return pageOf(views, options, (view) => view.version);
}

export async function deleteVersion(context: LifecycleContext, namespace: string, name: string, version: string): Promise<void> {
  const fn = requireFunction(context, namespace, name);
  if (version === LATEST) throw new FnError('INVALID_PARAMETER', `$LATEST is not a published version; delete the function ${name} instead`);
  const row = requireVersion(context, fn, version);
  const aliases = aliasesRoutingTo(context, namespace, name, version);
  if (aliases.length > 0) {
    throw new FnError('RESOURCE_IN_USE', `version ${version} of function ${name} cannot be deleted: alias ${aliases.join(', ')} routes to it`);
  }
  await context.catalog.deleteVersion(namespace, name, row.version);
  await context.deployments.removeVersion(namespace, name, version);
}
