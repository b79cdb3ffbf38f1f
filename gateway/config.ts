/**
 * Loads fngate.yml (or an SCF serverless.yml, either form: serverless-yml.ts) once, as a pure function of
 * the directory's files and the environment:
 * the result is fully filled and typed, and any error names the function and the key.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Issue } from './config-check.ts';
import {
  CLOUD_ONLY_KEYS,
  FUNCTION_NAME_PATTERN,
  functionSchema,
  manifestSchema,
  parseWith,
  type EventInput,
  type GatewayInput,
} from './config-schema.ts';
import { fromServerlessYml, ServerlessYmlError } from './serverless-yml.ts';

export type RuntimeKind = 'nodejs' | 'python' | 'php' | 'go' | 'java' | 'custom';

/** How a Node.js event function runs: in an isolated-vm isolate, or as a real Node.js child process. */
export type NodeRuntimeMode = 'isolate' | 'process';
/** `nodeRuntime` when a function does not set it. */
export const DEFAULT_NODE_RUNTIME: NodeRuntimeMode = 'isolate';

const RUNTIME_KINDS: ReadonlyArray<[RegExp, RuntimeKind]> = [
  [/^nodejs\d+(\.\d+)*$/i, 'nodejs'],
  [/^python3(\.\d+)*$/i, 'python'],
  [/^php\d+(\.\d+)*$/i, 'php'],
  [/^go1$/i, 'go'],
  [/^java(8|11|17)$/i, 'java'],
  [/^customruntime$/i, 'custom'],
];

const DEFAULT_HANDLERS: Record<RuntimeKind, string> = {
  nodejs: 'index.main_handler',
  python: 'index.main_handler',
  php: 'index.main_handler',
  go: 'main',
  java: 'example.Hello::mainHandler',
  custom: 'index.main_handler',
};

/** SCF: initTimeout defaults to 65 s for web functions and custom runtimes; otherwise the invoke timeout. */
export const DEFAULT_WEB_INIT_TIMEOUT_S = 65;
/** One in-flight request per event instance; web servers take many at once. */
export const DEFAULT_WEB_INSTANCE_CONCURRENCY = 100;

export interface FunctionConfig {
  namespace: string;
  name: string;
  description: string;
  runtime: string;
  runtimeKind: RuntimeKind;
  type: 'event' | 'web';
  handler: string;
  handlerStyle: 'scf' | 'functiongraph';
  initializer: string | undefined;
  /** Node.js event functions only; `isolate` for every other function. */
  nodeRuntime: NodeRuntimeMode;
  eventInvoke: 'handler' | 'http';
  /** `token`: invoking needs the credentials the management routes need; `none`: open (SCF auth type NONE). */
  invokeAuth: 'none' | 'token';
  /** Absolute code folder or .zip. */
  src: string;
  layers: Array<{ name: string; version: string; dir: string }>;
  memoryMb: number;
  timeoutMs: number;
  initTimeoutMs: number;
  environment: Record<string, string>;
  reservedConcurrency: number;
  provisionedConcurrency: number;
  instanceConcurrency: number;
  retryNum: number;
  maxEventAgeS: number;
  maxPendingEvents: number;
  events: EventInput[];
  domains: string[];
}

export interface GatewayConfig {
  /** The directory the manifest was read from. */
  root: string;
  gateway: GatewayInput;
  functions: FunctionConfig[];
  /** One line per ignored cloud-only key. */
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function runtimeKindOf(runtime: string): RuntimeKind | undefined {
  return RUNTIME_KINDS.find(([pattern]) => pattern.test(runtime))?.[1];
}

function formatIssues(where: string, issues: readonly Issue[]): string {
  return issues
    .map((issue) => {
      const key = issue.path.join('.') || '(root)';
      return `${where}: key "${key}": ${issue.message}`;
    })
    .join('\n');
}

function readManifest(root: string, env: NodeJS.ProcessEnv): { document: unknown; file: string; warnings: string[] } {
  const fngateFile = join(root, 'fngate.yml');
  if (existsSync(fngateFile)) return { document: parseYamlFile(fngateFile), file: fngateFile, warnings: [] };
  const serverlessFile = join(root, 'serverless.yml');
  if (existsSync(serverlessFile)) {
    const raw = parseYamlFile(serverlessFile);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError(`${serverlessFile}: key "(root)": a map is required`);
    }
    try {
      const { document, warnings } = fromServerlessYml(raw as Record<string, unknown>, root, env);
      return { document, file: serverlessFile, warnings };
    } catch (error) {
      if (error instanceof ServerlessYmlError) throw new ConfigError(`${serverlessFile}: ${error.message}`);
      throw error;
    }
  }
  throw new ConfigError(`${root}: neither fngate.yml nor serverless.yml found`);
}

function parseYamlFile(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
}

/** `env` resolves `${env:X}` in a serverless.yml. */
export function loadConfig(dir: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const root = resolve(dir);
  const { document, file, warnings } = readManifest(root, env);
  return configFromManifest(document, root, file, warnings);
}

/**
 * A manifest already in memory (fngate.yml's shape: `functions`, `layers`, `gateway`), e.g. inline function
 * definitions of an embedding application. `root` is where relative paths resolve from; `file` names the
 * source in error messages; `manifestWarnings` are those reading the manifest produced.
 */
export function configFromManifest(document: unknown, root: string, file: string, manifestWarnings: readonly string[] = []): GatewayConfig {
  const parsed = parseWith(manifestSchema, document ?? {});
  if (!parsed.success) throw new ConfigError(formatIssues(file, parsed.issues));
  const manifest = parsed.data;
  const warnings: string[] = [...manifestWarnings];
  const errors: string[] = [];
  const functions: FunctionConfig[] = [];
  const seen = new Set<string>();

  for (const [key, raw] of Object.entries(manifest.functions)) {
    const where = `${file}: function "${key}"`;
    const result = parseWith(functionSchema, raw ?? {});
    if (!result.success) {
      errors.push(formatIssues(where, result.issues));
      continue;
    }
    const input = result.data;
    const name = input.name ?? key;
    if (!FUNCTION_NAME_PATTERN.test(name)) {
      errors.push(`${where}: key "name": "${name}" must be 2-60 characters, start with a letter, hold letters, digits, _ or -, and end with a letter or digit`);
      continue;
    }
    const runtimeKind = runtimeKindOf(input.runtime);
    if (!runtimeKind) {
      errors.push(`${where}: key "runtime": unsupported runtime "${input.runtime}"`);
      continue;
    }
    const id = `${input.namespace}/${name}`;
    if (seen.has(id)) {
      errors.push(`${where}: key "name": function ${id} is declared twice`);
      continue;
    }
    seen.add(id);
    for (const cloudKey of CLOUD_ONLY_KEYS) {
      if ((input as Record<string, unknown>)[cloudKey] !== undefined) {
        warnings.push(`function "${name}": key "${cloudKey}" only applies on the cloud; ignored`);
      }
    }
    const srcPath = typeof input.src === 'string' ? input.src : (input.src?.src ?? `./${key}`);
    const src = resolve(root, srcPath);
    if (!existsSync(src)) {
      errors.push(`${where}: key "src": ${src} does not exist`);
      continue;
    }
    if (!statSync(src).isDirectory() && !src.endsWith('.zip')) {
      errors.push(`${where}: key "src": ${src} is neither a folder nor a .zip`);
      continue;
    }
    const layers: FunctionConfig['layers'] = [];
    for (const [index, layer] of input.layers.entries()) {
      const dir = manifest.layers[layer.name]?.[String(layer.version)];
      if (!dir) {
        errors.push(`${where}: key "layers.${index}": layer ${layer.name} version ${layer.version} is not declared under "layers"`);
        continue;
      }
      layers.push({ name: layer.name, version: String(layer.version), dir: resolve(root, dir) });
    }
    if (input.handlerStyle !== 'functiongraph' && input.initializer !== undefined) {
      errors.push(`${where}: key "initializer": only valid with handlerStyle: functiongraph`);
      continue;
    }
    const isWebLike = input.type === 'web' || runtimeKind === 'custom' || input.eventInvoke === 'http';
    if (input.nodeRuntime !== undefined && (runtimeKind !== 'nodejs' || isWebLike)) {
      const why = runtimeKind === 'nodejs' ? ' (a web function runs its own server process already)' : '';
      errors.push(`${where}: key "nodeRuntime": only valid for Node.js event functions${why}`);
      continue;
    }
    const initTimeoutS = input.initTimeout ?? (isWebLike ? DEFAULT_WEB_INIT_TIMEOUT_S : input.timeout);
    functions.push({
      namespace: input.namespace,
      name,
      description: input.description ?? '',
      runtime: input.runtime,
      runtimeKind,
      type: input.type,
      handler: input.handler ?? DEFAULT_HANDLERS[runtimeKind],
      handlerStyle: input.handlerStyle,
      initializer: input.initializer,
      nodeRuntime: input.nodeRuntime ?? DEFAULT_NODE_RUNTIME,
      eventInvoke: input.eventInvoke,
      invokeAuth: input.invokeAuth,
      src,
      layers,
      memoryMb: input.memorySize,
      timeoutMs: Math.round(input.timeout * 1000),
      initTimeoutMs: Math.round(initTimeoutS * 1000),
      environment: Object.fromEntries(
        Object.entries(input.environment.variables).map(([k, v]) => [k, String(v)]),
      ),
      reservedConcurrency: input.reservedConcurrency,
      provisionedConcurrency: input.provisionedConcurrency,
      instanceConcurrency: input.instanceConcurrency ?? (input.type === 'web' ? DEFAULT_WEB_INSTANCE_CONCURRENCY : 1),
      retryNum: input.retryNum,
      maxEventAgeS: input.maxEventAge,
      maxPendingEvents: input.maxPendingEvents,
      events: input.events,
      domains: input.domains,
    });
  }
  if (errors.length > 0) throw new ConfigError(errors.join('\n'));
  return { root, gateway: manifest.gateway, functions, warnings };
}
