/**
 * fngate's views (ms, MB, camelCase; gateway/lifecycle/contract.ts) as the SDK's model shapes
 * (scf_models.d.ts: seconds, `TRUE`/`FALSE` strings, `YYYY-MM-DD HH:mm:ss` times), and back.
 */
import type { FunctionConfig } from '../config.ts';
import type { AliasRouting, AliasView, FunctionSettings, FunctionVersionView, LayerVersionView, NamespaceView } from '../lifecycle/contract.ts';
import { invalidParameter } from './errors.ts';
import { environmentOf, optionalArray, optionalEnum, optionalObjects, optionalInt, optionalNumber, optionalObject, optionalString, requiredInt, requiredString, type Params } from './params.ts';
import { triggersOf } from './triggers.ts';

/** The cloud's time format, `2026-11-29 14:00:00`; fngate gives UTC. */
export function cloudTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `2026-11-29 14:00:00` (taken as UTC) → epoch ms. */
export function parseCloudTime(text: string, name: string): number {
  const ms = Date.parse(`${text.trim().replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw invalidParameter(name, `${name}: expected a time as YYYY-MM-DD HH:mm:ss`);
  return ms;
}

const cloudType = (config: FunctionConfig): string => (config.type === 'web' ? 'HTTP' : 'Event');

function environmentView(variables: Record<string, string>): { Variables: Array<{ Key: string; Value: string }> } {
  return { Variables: Object.entries(variables).map(([Key, Value]) => ({ Key, Value })) };
}

function layersView(config: FunctionConfig): Array<Record<string, unknown>> {
  return config.layers.map((layer) => ({ LayerName: layer.name, LayerVersion: Number(layer.version), Status: 'Active' }));
}

/** GetFunction's Response (but RequestId). */
export function functionDetail(view: FunctionVersionView): Record<string, unknown> {
  const { config } = view;
  return {
    FunctionName: view.name,
    Namespace: view.namespace,
    FunctionVersion: view.version,
    Qualifier: view.version,
    Description: view.description,
    Runtime: config.runtime,
    Handler: config.handler,
    Type: cloudType(config),
    MemorySize: config.memoryMb,
    Timeout: config.timeoutMs / 1000,
    InitTimeout: config.initTimeoutMs / 1000,
    Environment: environmentView(config.environment),
    CodeSize: view.codeSize,
    CodeInfo: view.codeSha256,
    CodeResult: 'success',
    CodeError: '',
    ErrNo: 0,
    Layers: layersView(config),
    Triggers: triggersOf(config.events),
    InstanceConcurrencyConfig: { MaxConcurrency: config.instanceConcurrency },
    Status: 'Active',
    StatusDesc: '',
    AvailableStatus: 'Available',
    AddTime: cloudTime(view.addedAt),
    ModTime: cloudTime(view.modifiedAt),
    Role: '',
    InstallDependency: 'FALSE',
    AsyncRunEnable: 'FALSE',
    TraceEnable: 'FALSE',
    Tags: [],
  };
}

/** One entry of ListFunctions' `Functions`. */
export function functionSummary(view: FunctionVersionView): Record<string, unknown> {
  const { config } = view;
  return {
    FunctionName: view.name,
    FunctionId: `${view.namespace}/${view.name}`,
    Namespace: view.namespace,
    Description: view.description,
    Runtime: config.runtime,
    Type: cloudType(config),
    Status: 'Active',
    StatusDesc: '',
    AddTime: cloudTime(view.addedAt),
    ModTime: cloudTime(view.modifiedAt),
    ReservedConcurrencyMem: config.reservedConcurrency * config.memoryMb,
    TotalProvisionedConcurrencyMem: config.provisionedConcurrency * config.memoryMb,
    AsyncRunEnable: 'FALSE',
    TraceEnable: 'FALSE',
    Tags: [],
  };
}

/** One entry of ListVersionByFunction's `Versions`. */
export function versionSummary(view: FunctionVersionView): Record<string, unknown> {
  return { Version: view.version, Description: view.description, AddTime: cloudTime(view.addedAt), ModTime: cloudTime(view.modifiedAt), Status: 'Active' };
}

export function routingView(routing: AliasRouting): Record<string, unknown> {
  return {
    AdditionalVersionWeights: (routing.additionalVersionWeights ?? []).map((entry) => ({ Version: entry.version, Weight: entry.weight })),
    AddtionVersionMatchs: [],
  };
}

export function aliasView(alias: AliasView): Record<string, unknown> {
  return {
    Name: alias.name,
    FunctionVersion: alias.version,
    RoutingConfig: routingView(alias),
    Description: alias.description,
    AddTime: cloudTime(alias.addedAt),
    ModTime: cloudTime(alias.modifiedAt),
  };
}

export function namespaceView(namespace: NamespaceView): Record<string, unknown> {
  return { Name: namespace.name, Description: namespace.description, AddTime: cloudTime(namespace.addedAt), ModTime: cloudTime(namespace.modifiedAt), Type: 'default' };
}

export function layerVersionInfo(layer: LayerVersionView): Record<string, unknown> {
  return {
    LayerName: layer.name,
    LayerVersion: layer.version,
    Description: layer.description,
    CompatibleRuntimes: layer.compatibleRuntimes,
    AddTime: cloudTime(layer.addedAt),
    Status: 'Active',
    LicenseInfo: '',
    Stamp: '',
    Tags: [],
  };
}

/**
 * `RoutingConfig` → AliasRouting's weights. Routing by key (`AddtionVersionMatchs`, the SDK's spelling)
 * is not something the catalog does: refused rather than silently ignored.
 */
export function routingOf(params: Params): AliasRouting['additionalVersionWeights'] {
  const routing = optionalObject(params, 'RoutingConfig');
  if (routing === undefined) return undefined;
  if ((optionalArray(routing, 'RoutingConfig.AddtionVersionMatchs') ?? []).length > 0) {
    throw invalidParameter('RoutingConfig', 'RoutingConfig.AddtionVersionMatchs: routing by key is not supported by fngate; use AdditionalVersionWeights');
  }
  const weights = optionalObjects(routing, 'RoutingConfig.AdditionalVersionWeights') ?? [];
  return weights.map((entry, index) => {
    const name = `RoutingConfig.AdditionalVersionWeights[${index}]`;
    const weight = entry.Weight;
    if (typeof weight !== 'number' || !(weight > 0 && weight < 1)) throw invalidParameter('AdditionalVersionWeights', `${name}.Weight: expected a number between 0 and 1`);
    return { version: requiredString(entry, `${name}.Version`), weight };
  });
}

/**
 * The configuration fields CreateFunction and UpdateFunctionConfiguration share, as FunctionSettings.
 * Only what the request gives is set: an update leaves the rest as it is.
 */
export function settingsOf(params: Params): FunctionSettings {
  const settings: FunctionSettings = {};
  const description = optionalString(params, 'Description');
  if (description !== undefined) settings.description = description;
  const runtime = optionalString(params, 'Runtime');
  if (runtime) settings.runtime = runtime;
  const handler = optionalString(params, 'Handler');
  if (handler) settings.handler = handler;
  const type = optionalEnum(params, 'Type', ['Event', 'HTTP'] as const);
  if (type !== undefined) settings.type = type === 'HTTP' ? 'web' : 'event';
  const memory = optionalInt(params, 'MemorySize', { min: 1 });
  if (memory !== undefined) settings.memoryMb = memory;
  const timeout = optionalNumber(params, 'Timeout');
  if (timeout !== undefined) settings.timeoutMs = Math.round(timeout * 1000);
  const initTimeout = optionalNumber(params, 'InitTimeout');
  if (initTimeout !== undefined) settings.initTimeoutMs = Math.round(initTimeout * 1000);
  const environment = environmentOf(params);
  if (environment !== undefined) settings.environment = environment;
  const layers = optionalObjects(params, 'Layers');
  if (layers !== undefined) {
    settings.layers = layers.map((entry, index) => ({
      name: requiredString(entry, `Layers[${index}].LayerName`),
      version: requiredInt(entry, `Layers[${index}].LayerVersion`, { min: 1 }),
    }));
  }
  const instanceConcurrency = optionalObject(params, 'InstanceConcurrencyConfig');
  if (instanceConcurrency !== undefined) {
    const max = optionalInt(instanceConcurrency, 'InstanceConcurrencyConfig.MaxConcurrency', { min: 1 });
    if (max !== undefined) settings.instanceConcurrency = max;
  }
  return settings;
}
