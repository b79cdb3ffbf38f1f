/**
 * Concurrency and async-retry configuration: Put/Get/DeleteReservedConcurrencyConfig,
 * Put/Get/DeleteProvisionedConcurrencyConfig, PutTotalConcurrencyConfig,
 * Get/UpdateFunctionEventInvokeConfig. The cloud counts concurrency in MB of memory (instances ×
 * memory size); fngate's configuration counts instances, so the actions convert.
 */
import { DEFAULT_RESERVED_CONCURRENCY } from '../config-schema.ts';
import { LATEST } from '../registry.ts';
import { lifecycleOf, readAll, type ActionContext, type ActionResult, type ActionTable } from './action.ts';
import { ApiError, invalidParameter, missingParameter } from './errors.ts';
import { namespaceOf, optionalObject, optionalObjects, optionalString, requiredInt, requiredString, type Params } from './params.ts';

/**
 * PutTotalConcurrencyConfig's MB per concurrent invocation: the smallest memory size, so the cloud's
 * default quota of 128,000 MB is fngate's default `gateway.concurrencyLimit` of 1,000.
 */
export const TOTAL_CONCURRENCY_MB_PER_SLOT = 128;

function target(params: Params): { namespace: string; name: string } {
  return { namespace: namespaceOf(params), name: requiredString(params, 'FunctionName') };
}

async function putReserved(params: Params, context: ActionContext): Promise<ActionResult> {
  const { namespace, name } = target(params);
  const memory = requiredInt(params, 'ReservedConcurrencyMem', { min: 0 });
  const lifecycle = lifecycleOf(context);
  const { memoryMb } = lifecycle.getFunction(namespace, name).config;
  if (memory % memoryMb !== 0) throw invalidParameter('ReservedConcurrencyMem', `ReservedConcurrencyMem: must be a multiple of the function's memory size (${memoryMb} MB)`);
  await lifecycle.updateFunctionConfiguration(namespace, name, { reservedConcurrency: memory / memoryMb });
  return {};
}

function getReserved(params: Params, context: ActionContext): ActionResult {
  const { namespace, name } = target(params);
  const { config } = lifecycleOf(context).getFunction(namespace, name);
  return { ReservedMem: config.reservedConcurrency * config.memoryMb };
}

async function deleteReserved(params: Params, context: ActionContext): Promise<ActionResult> {
  const { namespace, name } = target(params);
  await lifecycleOf(context).updateFunctionConfiguration(namespace, name, { reservedConcurrency: DEFAULT_RESERVED_CONCURRENCY });
  return {};
}

/**
 * Provisioned instances are part of a function's configuration in fngate, and a published version's
 * configuration is immutable: they are set on `$LATEST` (and a version published after keeps them).
 */
function latestOnly(qualifier: string): void {
  if (qualifier !== LATEST) {
    throw new ApiError('UnsupportedOperation', `Qualifier ${qualifier}: fngate sets provisioned concurrency on $LATEST; versions published after keep it`);
  }
}

async function putProvisioned(params: Params, context: ActionContext): Promise<ActionResult> {
  const { namespace, name } = target(params);
  const qualifier = requiredString(params, 'Qualifier');
  const count = requiredInt(params, 'VersionProvisionedConcurrencyNum', { min: 0 });
  latestOnly(qualifier);
  await lifecycleOf(context).updateFunctionConfiguration(namespace, name, { provisionedConcurrency: count });
  return {};
}

/** Ready provisioned instances of a version, from its pool (0 when it is not deployed). */
function readyProvisioned(context: ActionContext, namespace: string, name: string, version: string): number {
  try {
    return context.services.registry.lookup(namespace, name, version).pool.info().filter((info) => info.provisioned && info.state !== 'starting').length;
  } catch {
    return 0;
  }
}

function getProvisioned(params: Params, context: ActionContext): ActionResult {
  const { namespace, name } = target(params);
  const qualifier = optionalString(params, 'Qualifier') || undefined;
  const lifecycle = lifecycleOf(context);
  const latest = lifecycle.getFunction(namespace, name);
  const versions = [latest, ...readAll((options) => lifecycle.listVersions(namespace, name, options)).filter((view) => view.version !== LATEST)];
  const allocated = versions.filter((view) => view.config.provisionedConcurrency > 0 && (qualifier === undefined || view.version === qualifier));
  const total = allocated.reduce((sum, view) => sum + view.config.provisionedConcurrency, 0);
  return {
    UnallocatedConcurrencyNum: Math.max(0, latest.config.reservedConcurrency - total),
    Allocated: allocated.map((view) => {
      const ready = readyProvisioned(context, namespace, name, view.version);
      return {
        Qualifier: view.version,
        AllocatedProvisionedConcurrencyNum: view.config.provisionedConcurrency,
        AvailableProvisionedConcurrencyNum: ready,
        Status: ready >= view.config.provisionedConcurrency ? 'Done' : 'InProgress',
        StatusReason: '',
        TriggerActions: [],
      };
    }),
  };
}

async function deleteProvisioned(params: Params, context: ActionContext): Promise<ActionResult> {
  const { namespace, name } = target(params);
  latestOnly(requiredString(params, 'Qualifier'));
  await lifecycleOf(context).updateFunctionConfiguration(namespace, name, { provisionedConcurrency: 0 });
  return {};
}

/** The gateway-wide limit (fngate has one for every namespace), kept across restarts (gateway/lifecycle/account.ts). */
async function putTotal(params: Params, context: ActionContext): Promise<ActionResult> {
  const memory = requiredInt(params, 'TotalConcurrencyMem', { min: TOTAL_CONCURRENCY_MB_PER_SLOT });
  await lifecycleOf(context).putTotalConcurrency(Math.floor(memory / TOTAL_CONCURRENCY_MB_PER_SLOT));
  return {};
}

function getEventInvokeConfig(params: Params, context: ActionContext): ActionResult {
  const { namespace, name } = target(params);
  const { config } = lifecycleOf(context).getFunction(namespace, name, optionalString(params, 'Qualifier') || undefined);
  return { AsyncTriggerConfig: { RetryConfig: [{ RetryNum: config.retryNum }], MsgTTL: config.maxEventAgeS } };
}

async function updateEventInvokeConfig(params: Params, context: ActionContext): Promise<ActionResult> {
  const { namespace, name } = target(params);
  const trigger = optionalObject(params, 'AsyncTriggerConfig');
  if (trigger === undefined) throw missingParameter('AsyncTriggerConfig');
  const first = (optionalObjects(trigger, 'AsyncTriggerConfig.RetryConfig') ?? [])[0];
  const retryNum = first === undefined ? undefined : requiredInt(first, 'AsyncTriggerConfig.RetryConfig[0].RetryNum', { min: 0 });
  const msgTtl = requiredInt(trigger, 'AsyncTriggerConfig.MsgTTL', { min: 1 });
  await lifecycleOf(context).updateFunctionConfiguration(namespace, name, { maxEventAgeS: msgTtl, ...(retryNum === undefined ? {} : { retryNum }) });
  return {};
}

export const configActions: ActionTable = {
  PutReservedConcurrencyConfig: putReserved,
  GetReservedConcurrencyConfig: getReserved,
  DeleteReservedConcurrencyConfig: deleteReserved,
  PutProvisionedConcurrencyConfig: putProvisioned,
  GetProvisionedConcurrencyConfig: getProvisioned,
  DeleteProvisionedConcurrencyConfig: deleteProvisioned,
  PutTotalConcurrencyConfig: putTotal,
  GetFunctionEventInvokeConfig: getEventInvokeConfig,
  UpdateFunctionEventInvokeConfig: updateEventInvokeConfig,
};
