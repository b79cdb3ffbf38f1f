/** Aliases: a name routing to one version, or splitting traffic with a second by weight (SCF RoutingConfig). */
import type { CatalogAlias, CatalogFunction } from '../../store/types.ts';
import { compileAliasRoute } from '../deployments/alias-route.ts';
import { FnError } from '../errors.ts';
import { LATEST } from '../registry.ts';
import type { AliasRouting, AliasView, ListOptions, Page } from './contract.ts';
import { aliasView, pageOf, requireFunction, requireVersion, type LifecycleContext } from './context.ts';
import { ALIAS_PATTERN, ALIAS_RULE, MAX_ADDITIONAL_VERSIONS } from './limits.ts';
import { checkDescription, invalid } from './settings.ts';

/**
 * The routing checked against the function's versions (each must exist, one extra version at most); the
 * weights and repeats are the registry's own check (compileAliasRoute), made here before anything is stored.
 */
function checkRouting(context: LifecycleContext, fn: CatalogFunction, alias: string, routing: AliasRouting): CatalogAlias['additionalVersionWeights'] {
  if (routing.version !== LATEST) requireVersion(context, fn, routing.version);
  const extra = routing.additionalVersionWeights ?? [];
  if (extra.length > MAX_ADDITIONAL_VERSIONS) {
    throw invalid(`an alias routes to its version and at most ${MAX_ADDITIONAL_VERSIONS} more; ${extra.length} given`);
  }
  compileAliasRoute(alias, routing);
  for (const { version } of extra) if (version !== LATEST) requireVersion(context, fn, version);
  return extra.map(({ version, weight }) => ({ version, weight }));
}

export function getAlias(context: LifecycleContext, namespace: string, functionName: string, alias: string): AliasView {
  requireFunction(context, namespace, functionName);
  const row = context.catalog.getAlias(namespace, functionName, alias);
  if (!row) throw new FnError('QUALIFIER_NOT_FOUND', `alias ${alias} of function ${functionName} not found`);
  return aliasView(row);
}

export async function createAlias(
  context: LifecycleContext,
  namespace: string,
  functionName: string,
  alias: string,
  routing: AliasRouting,
  description = '',
): Promise<AliasView> {
  const fn = requireFunction(context, namespace, functionName);
  if (!ALIAS_PATTERN.test(alias)) throw invalid(`alias name "${alias}" is invalid: it must be ${ALIAS_RULE}`);
  checkDescription(description, `alias ${alias}`);
  if (context.catalog.getAlias(namespace, functionName, alias)) {
    throw new FnError('ALREADY_EXISTS', `alias ${alias} of function ${functionName} already exists`);
  }
  const weights = checkRouting(context, fn, alias, routing);
  const now = context.now();
  const row: CatalogAlias = { namespace, functionName, name: alias, version: routing.version, additionalVersionWeights: weights, description, addedAt: now, modifiedAt: now };
  await context.catalog.putAlias(row);
  context.deployments.setAlias(namespace, functionName, alias, { version: row.version, additionalVersionWeights: weights });
  return aliasView(row);
}

export async function updateAlias(
  context: LifecycleContext,
  namespace: string,
  functionName: string,
  alias: string,
  routing: Partial<AliasRouting>,
  description?: string,
): Promise<AliasView> {
  const fn = requireFunction(context, namespace, functionName);
  const current = context.catalog.getAlias(namespace, functionName, alias);
  if (!current) throw new FnError('QUALIFIER_NOT_FOUND', `alias ${alias} of function ${functionName} not found`);
  checkDescription(description, `alias ${alias}`);
  const merged: AliasRouting = {
    version: routing.version ?? current.version,
    additionalVersionWeights: routing.additionalVersionWeights ?? current.additionalVersionWeights,
  };
  const weights = checkRouting(context, fn, alias, merged);
  const row: CatalogAlias = { ...current, version: merged.version, additionalVersionWeights: weights, description: description ?? current.description, modifiedAt: context.now() };
  await context.catalog.putAlias(row);
  context.deployments.setAlias(namespace, functionName, alias, { version: row.version, additionalVersionWeights: weights });
  return aliasView(row);
}

export async function deleteAlias(context: LifecycleContext, namespace: string, functionName: string, alias: string): Promise<void> {
  getAlias(context, namespace, functionName, alias);
  await context.catalog.deleteAlias(namespace, functionName, alias);
  context.deployments.removeAlias(namespace, functionName, alias);
}

export function listAliases(
  context: LifecycleContext,
  namespace: string,
  functionName: string,
  options: ListOptions & { version?: string } = {},
): Page<AliasView> {
  requireFunction(context, namespace, functionName);
  const rows = context.catalog
    .listAliases(namespace, functionName)
    .filter((row) => options.version === undefined || row.version === options.version || row.additionalVersionWeights.some((extra) => extra.version === options.version));
  return pageOf(rows.map(aliasView), options, (view) => view.name);
}

/** The aliases that route any traffic to `version`. */
export function aliasesRoutingTo(context: LifecycleContext, namespace: string, functionName: string, version: string): string[] {
  return context.catalog
    .listAliases(namespace, functionName)
    .filter((row) => row.version === version || row.additionalVersionWeights.some((extra) => extra.version === version))
    .map((row) => row.name);
}
