/**
 * FunctionSettings (what an API caller sets) to FunctionConfig (what the gateway runs), through the same
 * parser fngate.yml goes through (config.ts `configFromManifest`): defaults, derived values (handler per
 * runtime, initTimeout, instanceConcurrency) and the manifest's checks live there once. On top, the API
 * checks SCF's own limits (limits.ts) for the fields a caller sets: a manifest may go past them (a
 * 4 GB function on your own machine), the API takes what the cloud takes.
 */
import {
  ConfigError,
  configFromManifest,
  DEFAULT_WEB_INIT_TIMEOUT_S,
  DEFAULT_WEB_INSTANCE_CONCURRENCY,
  runtimeKindOf,
  type FunctionConfig,
  type RuntimeKind,
} from '../config.ts';
import { FnError } from '../errors.ts';
import type { FunctionSettings } from './contract.ts';
import {
  FUNCTION_NAME_PATTERN,
  FUNCTION_NAME_RULE,
  MAX_DESCRIPTION_CHARS,
  MAX_LAYERS,
  MAX_TIMEOUT_MS,
  MEMORY_SIZES_MB,
  MIN_TIMEOUT_MS,
  NAMESPACE_PATTERN,
  NAMESPACE_RULE,
} from './limits.ts';

/** A layer version a function binds, with the folder it is stacked from. */
export type BoundLayer = FunctionConfig['layers'][number];

const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A bad parameter of the request (436), with a message naming it. */
export const invalid = (message: string): FnError => new FnError('INVALID_PARAMETER', message);

export function checkNamespaceName(name: string): void {
  if (!NAMESPACE_PATTERN.test(name)) throw invalid(`namespace "${name}" is invalid: it must be ${NAMESPACE_RULE}`);
}

export function checkFunctionName(name: string): void {
  if (!FUNCTION_NAME_PATTERN.test(name)) throw invalid(`function name "${name}" is invalid: it must be ${FUNCTION_NAME_RULE}`);
}

export function checkDescription(description: string | undefined, of: string): void {
  if (description !== undefined && description.length > MAX_DESCRIPTION_CHARS) {
    throw invalid(`${of}: the description is ${description.length} characters, over the limit of ${MAX_DESCRIPTION_CHARS}`);
  }
}

/** SCF's limits on the fields `settings` sets. */
export function checkSettings(settings: FunctionSettings, of: string): void {
  checkDescription(settings.description, of);
  if (settings.memoryMb !== undefined && !MEMORY_SIZES_MB.includes(settings.memoryMb)) {
    throw invalid(`${of}: memory size ${settings.memoryMb} MB is not one SCF offers: 64, or 128 to 3072 in steps of 128`);
  }
  if (settings.timeoutMs !== undefined && !(Number.isInteger(settings.timeoutMs) && settings.timeoutMs >= MIN_TIMEOUT_MS && settings.timeoutMs <= MAX_TIMEOUT_MS)) {
    throw invalid(`${of}: timeout ${settings.timeoutMs / 1000} s is out of range: 1 to ${MAX_TIMEOUT_MS / 1000} s`);
  }
  if (settings.runtime !== undefined && runtimeKindOf(settings.runtime) === undefined) {
    throw invalid(`${of}: unsupported runtime "${settings.runtime}" (Nodejs*, Python3.*, Php7|Php8*, Go1, Java8|11|17, CustomRuntime)`);
  }
  if (settings.handler !== undefined && settings.handler.trim() === '') throw invalid(`${of}: the handler is empty`);
  for (const key of Object.keys(settings.environment ?? {})) {
    if (!ENV_NAME_PATTERN.test(key)) throw invalid(`${of}: environment variable name "${key}" is invalid: letters, digits and _, not starting with a digit`);
  }
  if (settings.layers !== undefined && settings.layers.length > MAX_LAYERS) {
    throw invalid(`${of}: ${settings.layers.length} layers bound, over the limit of ${MAX_LAYERS}`);
  }
}

/** fngate.yml's function keys that give `config` back (derived values left out, so they derive again). */
export function manifestInputOf(config: FunctionConfig): Record<string, unknown> {
  const webLike = config.type === 'web' || config.runtimeKind === 'custom' || config.eventInvoke === 'http';
  const derivedInitTimeoutMs = webLike ? DEFAULT_WEB_INIT_TIMEOUT_S * 1000 : config.timeoutMs;
  const derivedInstanceConcurrency = config.type === 'web' ? DEFAULT_WEB_INSTANCE_CONCURRENCY : 1;
  return {
    namespace: config.namespace,
    description: config.description,
    src: config.src,
    handler: config.handler,
    runtime: config.runtime,
    type: config.type,
    memorySize: config.memoryMb,
    timeout: config.timeoutMs / 1000,
    ...(config.initTimeoutMs === derivedInitTimeoutMs ? {} : { initTimeout: config.initTimeoutMs / 1000 }),
    environment: { variables: { ...config.environment } },
    layers: config.layers.map((layer) => ({ name: layer.name, version: layer.version })),
    events: config.events,
    reservedConcurrency: config.reservedConcurrency,
    provisionedConcurrency: config.provisionedConcurrency,
    ...(config.instanceConcurrency === derivedInstanceConcurrency ? {} : { instanceConcurrency: config.instanceConcurrency }),
    retryNum: config.retryNum,
    maxEventAge: config.maxEventAgeS,
    maxPendingEvents: config.maxPendingEvents,
    handlerStyle: config.handlerStyle,
    ...(config.initializer === undefined ? {} : { initializer: config.initializer }),
    ...(config.nodeRuntime === 'process' ? { nodeRuntime: 'process' } : {}),
    eventInvoke: config.eventInvoke,
    invokeAuth: config.invokeAuth,
    domains: config.domains,
  };
}

/**
 * Each FunctionSettings key, the fngate.yml key it is (REST bodies use those too), and the factor from the
 * fngate.yml unit (s) to fngate's (ms) where they differ. `environment` and `layers` are mapped apart.
 */
const SETTING_KEYS: ReadonlyArray<readonly [keyof FunctionSettings, string, number?]> = [
  ['description', 'description'],
  ['runtime', 'runtime'],
  ['type', 'type'],
  ['handler', 'handler'],
  ['initializer', 'initializer'],
  ['nodeRuntime', 'nodeRuntime'],
  ['memoryMb', 'memorySize'],
  ['timeoutMs', 'timeout', 1000],
  ['initTimeoutMs', 'initTimeout', 1000],
  ['reservedConcurrency', 'reservedConcurrency'],
  ['provisionedConcurrency', 'provisionedConcurrency'],
  ['instanceConcurrency', 'instanceConcurrency'],
  ['retryNum', 'retryNum'],
  ['maxEventAgeS', 'maxEventAge'],
  ['events', 'events'],
  ['invokeAuth', 'invokeAuth'],
];

/** Settings given with fngate.yml's keys and units (a REST body); `environment` is a flat map there. */
export function settingsFromManifestKeys(body: Readonly<Record<string, unknown>>): FunctionSettings {
  const settings: Record<string, unknown> = {};
  for (const [key, manifestKey, factor] of SETTING_KEYS) {
    const value = body[manifestKey];
    if (value !== undefined) settings[key] = factor === undefined ? value : Math.round((value as number) * factor);
  }
  if (body.environment !== undefined) settings.environment = body.environment;
  if (body.layers !== undefined) settings.layers = body.layers;
  return settings as FunctionSettings;
}

/** `input` (manifest keys) with `settings` laid over it. */
function applySettings(input: Record<string, unknown>, settings: FunctionSettings): Record<string, unknown> {
  const next = { ...input };
  if (settings.runtime !== undefined && settings.runtime !== input.runtime) {
    // Another runtime: its own default handler and nodeRuntime, unless given.
    if (settings.handler === undefined && runtimeKindOf(settings.runtime) !== runtimeKindOf(String(input.runtime))) delete next.handler;
    if (runtimeKindOf(settings.runtime) !== 'nodejs') delete next.nodeRuntime;
  }
  for (const [key, manifestKey, factor] of SETTING_KEYS) {
    const value = settings[key];
    if (value !== undefined) next[manifestKey] = factor === undefined ? value : (value as number) / factor;
  }
  if (settings.environment !== undefined) next.environment = { variables: { ...settings.environment } };
  return next;
}

/**
 * The configuration of function `name` in `namespace`: `base` (the current one, if any) with `settings`
 * over it, running code from `src` with `layers` (when given, they replace the bound ones). Invalid
 * settings are an INVALID_PARAMETER naming the key.
 */
export function buildConfig(
  namespace: string,
  name: string,
  base: FunctionConfig | undefined,
  settings: FunctionSettings,
  src: string,
  layers: BoundLayer[] | undefined,
): FunctionConfig {
  const input = applySettings(base ? manifestInputOf(base) : { namespace }, settings);
  input.namespace = namespace;
  input.src = src;
  const bound = layers ?? base?.layers ?? [];
  input.layers = bound.map((layer) => ({ name: layer.name, version: layer.version }));
  const layerDirs: Record<string, Record<string, string>> = {};
  for (const layer of bound) (layerDirs[layer.name] ??= {})[layer.version] = layer.dir;
  try {
    const config = configFromManifest({ functions: { [name]: input }, layers: layerDirs }, src, 'settings').functions[0]!;
    checkHandlerFormat(config);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) throw invalid(error.message.replace(/^settings: /gm, '').split('\n').join('; '));
    throw error;
  }
}

/** Runtimes whose handler is SCF's `<file>.<function>`; Go names an executable, Java `package.Class::method`. */
const FILE_DOT_FUNCTION_KINDS = new Set<RuntimeKind>(['nodejs', 'python', 'php']);

/** Refused as the cloud refuses it, rather than deployed to fail every invocation with 437. */
function checkHandlerFormat(config: FunctionConfig): void {
  if (config.type === 'web' || config.eventInvoke === 'http' || !FILE_DOT_FUNCTION_KINDS.has(config.runtimeKind)) return;
  const at = config.handler.lastIndexOf('.');
  if (at <= 0 || at === config.handler.length - 1) {
    throw invalid(`function ${config.name}: handler "${config.handler}" must be <file>.<function>, e.g. index.main_handler`);
  }
}
