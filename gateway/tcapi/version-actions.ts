/**
 * Versions and aliases: PublishVersion, ListVersionByFunction, DeleteFunctionVersion, CreateAlias,
 * GetAlias, UpdateAlias, DeleteAlias, ListAliases.
 */
import type { AliasRouting } from '../lifecycle/contract.ts';
import { LATEST } from '../registry.ts';
import { lifecycleOf, readAll, type ActionContext, type ActionResult, type ActionTable } from './action.ts';
import { invalidParameter } from './errors.ts';
import { namespaceOf, optionalEnum, optionalObject, optionalString, pageOf, requiredString, type Params } from './params.ts';
import { aliasView, routingOf, versionSummary } from './shapes.ts';

async function publishVersion(params: Params, context: ActionContext): Promise<ActionResult> {
  const view = await lifecycleOf(context).publishVersion(namespaceOf(params), requiredString(params, 'FunctionName'), optionalString(params, 'Description'));
  return {
    FunctionVersion: view.version,
    CodeSize: view.codeSize,
    MemorySize: view.config.memoryMb,
    Description: view.description,
    Handler: view.config.handler,
    Timeout: view.config.timeoutMs / 1000,
    Runtime: view.config.runtime,
    Namespace: view.namespace,
  };
}

/** `$LATEST` first, then the published versions (the cloud lists both). */
function listVersionByFunction(params: Params, context: ActionContext): ActionResult {
  const namespace = namespaceOf(params);
  const name = requiredString(params, 'FunctionName');
  const { offset, limit } = pageOf(params);
  const order = optionalEnum(params, 'Order', ['ASC', 'DESC'] as const) ?? 'ASC';
  optionalEnum(params, 'OrderBy', ['AddTime'] as const);
  const lifecycle = lifecycleOf(context);
  const published = readAll((options) => lifecycle.listVersions(namespace, name, options)).filter((view) => view.version !== LATEST);
  published.sort((a, b) => (order === 'ASC' ? 1 : -1) * (Number(a.version) - Number(b.version)));
  const all = [lifecycle.getFunction(namespace, name, LATEST), ...published];
  return { FunctionVersion: all.map((view) => view.version), Versions: all.slice(offset, offset + limit).map(versionSummary), TotalCount: all.length };
}

async function deleteFunctionVersion(params: Params, context: ActionContext): Promise<ActionResult> {
  const qualifier = requiredString(params, 'Qualifier');
  if (qualifier === LATEST) throw invalidParameter('Qualifier', 'Qualifier: $LATEST is deleted with DeleteFunction');
  await lifecycleOf(context).deleteVersion(namespaceOf(params), requiredString(params, 'FunctionName'), qualifier);
  return {};
}

async function createAlias(params: Params, context: ActionContext): Promise<ActionResult> {
  const routing: AliasRouting = { version: requiredString(params, 'FunctionVersion') };
  const weights = routingOf(params);
  if (weights !== undefined) routing.additionalVersionWeights = weights;
  await lifecycleOf(context).createAlias(namespaceOf(params), requiredString(params, 'FunctionName'), requiredString(params, 'Name'), routing, optionalString(params, 'Description'));
  return {};
}

function getAlias(params: Params, context: ActionContext): ActionResult {
  return aliasView(lifecycleOf(context).getAlias(namespaceOf(params), requiredString(params, 'FunctionName'), requiredString(params, 'Name')));
}

/** What the request gives replaces what the alias had: without RoutingConfig the weights stay. */
async function updateAlias(params: Params, context: ActionContext): Promise<ActionResult> {
  const routing: Partial<AliasRouting> = { version: requiredString(params, 'FunctionVersion') };
  if (optionalObject(params, 'RoutingConfig') !== undefined) routing.additionalVersionWeights = routingOf(params) ?? [];
  await lifecycleOf(context).updateAlias(namespaceOf(params), requiredString(params, 'FunctionName'), requiredString(params, 'Name'), routing, optionalString(params, 'Description'));
  return {};
}

async function deleteAlias(params: Params, context: ActionContext): Promise<ActionResult> {
  await lifecycleOf(context).deleteAlias(namespaceOf(params), requiredString(params, 'FunctionName'), requiredString(params, 'Name'));
  return {};
}

function listAliases(params: Params, context: ActionContext): ActionResult {
  const namespace = namespaceOf(params);
  const name = requiredString(params, 'FunctionName');
  const { offset, limit } = pageOf(params);
  const version = optionalString(params, 'FunctionVersion') || undefined;
  const lifecycle = lifecycleOf(context);
  const aliases = readAll((options) => lifecycle.listAliases(namespace, name, { ...options, version }));
  return { Aliases: aliases.slice(offset, offset + limit).map(aliasView), TotalCount: aliases.length };
}

export const versionActions: ActionTable = {
  PublishVersion: publishVersion,
  ListVersionByFunction: listVersionByFunction,
  DeleteFunctionVersion: deleteFunctionVersion,
  CreateAlias: createAlias,
  GetAlias: getAlias,
  UpdateAlias: updateAlias,
  DeleteAlias: deleteAlias,
  ListAliases: listAliases,
};
