/**
 * An SCF `serverless.yml` read as an fngate manifest, in its two forms:
 *
 * - the component form of serverless-cloud-framework (`component: scf`, `name`, `app`, `stage`, `inputs`):
 *   one function whose keys are the `inputs`. Variables: `${name}`, `${stage}`, `${app}`, `${org}` (any
 *   top-level value of the file), `${env:X}`. As the framework does: `stage` defaults to `dev`, `app` to
 *   `name`, and `${env:X}` reads the environment, then `.env.<stage>` and `.env` in the project folder,
 *   its parent and its grandparent (the first that sets X wins). `${output:…}` (another instance's
 *   outputs) and serverless v1 variables (`self`, `opt`, `file` …) cannot be resolved here.
 * - the serverless-tencent-scf plugin form (`service`, `provider: { name: tencent, runtime, memorySize,
 *   timeout, environment … }`, `functions:` with `events`): each function is deployed as
 *   `<service>-<stage>-<key>` (the plugin's name), settings fall back to `provider`, and the code is the
 *   whole project folder. Serverless Framework variables: `${self:a.b}`, `${env:X}`, `${sls:stage}`,
 *   `${opt:x}` (fngate takes no CLI options, so only its fallback applies), with fallbacks
 *   (`${env:X, 'default'}`, `${opt:stage, self:provider.stage}`, nesting). `provider.stage` defaults
 *   to `dev`; with `useDotenv: true`, `.env.<stage>` and `.env` are read.
 *
 * An unresolvable variable is a ConfigError naming the variable and the key that holds it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseEnv } from 'node:util';

export type Document = Record<string, unknown>;

export interface ServerlessManifest {
  /** An fngate.yml-shaped document. */
  document: Document;
  warnings: string[];
}

/** Raised for any problem of the file; the caller prefixes the file name. */
export class ServerlessYmlError extends Error {}

const DEFAULT_STAGE = 'dev';
/** serverless-tencent-scf's apigw defaults (provider/tencentProvider.js, deploy/lib/deployTrigger.js). */
const PLUGIN_APIGW_METHOD = 'GET';
const PLUGIN_SERVICE_TIMEOUT_S = 10;
/** Serverless Framework v1 variable sources the components CLI refuses (validateAgainstV1Variables). */
const V1_SOURCES = ['self', 'opt', 'sls', 'cf', 's3', 'ssm', 'file'];
/** Provider keys of the plugin form that only mean something on the cloud. */
const PROVIDER_CLOUD_KEYS = ['region', 'credentials', 'role', 'cosBucket', 'vpcConfig', 'apiGateway', 'enableRoleAuth', 'deploymentBucket'];
/** Function keys the plugin form maps itself; any other key is passed on as an fngate key. */
const PLUGIN_MAPPED_KEYS = new Set(['handler', 'runtime', 'memorySize', 'timeout', 'environment', 'events', 'description']);

export function isPluginForm(document: Document): boolean {
  return document.service !== undefined || document.provider !== undefined;
}

/** `root` is the project folder; `env` the process environment. */
export function fromServerlessYml(raw: Document, root: string, env: NodeJS.ProcessEnv): ServerlessManifest {
  return isPluginForm(raw) ? pluginForm(raw, root, env) : componentForm(raw, root, env);
}

// ---------------------------------------------------------------- component form

function componentForm(raw: Document, root: string, env: NodeJS.ProcessEnv): ServerlessManifest {
  if (raw.component !== undefined && raw.component !== 'scf') {
    throw new ServerlessYmlError(`key "component": only the scf component is supported (found "${String(raw.component)}")`);
  }
  const top: Document = { ...raw, stage: raw.stage ?? DEFAULT_STAGE };
  top.app ??= top.name;
  const stage = String(top.stage);
  const dotenv = lazyDotenv(root, stage, 3);
  const resolved = resolveTree(top, (variable) => {
    const source = sourceOf(variable.address);
    if (source === 'env') return lookupEnv(variable.address.slice(4), env, dotenv);
    if (source === 'output') {
      throw new ServerlessYmlError(`variable "${variable.text}" at key "${variable.key}": outputs of other instances cannot be resolved by fngate; put the value in the file or in an env variable`);
    }
    if (source !== undefined && V1_SOURCES.includes(source)) {
      throw new ServerlessYmlError(`variable "${variable.text}" at key "${variable.key}": serverless components do not support this variable (only \${name}, \${stage}, \${app}, \${org}, \${env:X}, \${output:…})`);
    }
    if (source === undefined && variable.address in top && typeof top[variable.address] !== 'object') return top[variable.address];
    return undefined;
  }) as Document;
  const inputs = (resolved.inputs ?? {}) as Document;
  const name = inputs.name ?? resolved.app ?? resolved.name;
  if (typeof name !== 'string') throw new ServerlessYmlError('key "inputs.name": a function name is required');
  // The component packs the project folder when inputs.src is left out.
  return { document: { functions: { [name]: { src: './', ...inputs } } }, warnings: [] };
}

// ---------------------------------------------------------------- plugin form

function pluginForm(raw: Document, root: string, env: NodeJS.ProcessEnv): ServerlessManifest {
  const provider0 = (raw.provider ?? {}) as Document;
  // The framework fills provider.stage before variables are read, so ${self:provider.stage} is `dev`.
  const top: Document = { ...raw, provider: { ...provider0, stage: provider0.stage ?? DEFAULT_STAGE } };
  let dotenv: (() => Record<string, string>) | undefined;
  const resolved = resolveTree(top, (variable, resolveAt) => {
    const source = sourceOf(variable.address);
    const rest = source === undefined ? '' : variable.address.slice(source.length + 1);
    switch (source) {
      case 'self':
        return resolveAt(rest);
      case 'env': {
        if (top.useDotenv === true) dotenv ??= lazyDotenv(root, stageOf(resolveAt), 1);
        return lookupEnv(rest, env, dotenv);
      }
      case 'sls':
        if (rest === 'stage') return stageOf(resolveAt);
        return undefined;
      case 'opt':
        // No CLI options: only a fallback can resolve it.
        return undefined;
      default:
        throw new ServerlessYmlError(`variable "${variable.text}" at key "${variable.key}": the source "${source ?? variable.address}" is not supported by fngate (self, env, sls:stage, opt with a fallback)`);
    }
  }) as Document;
  const provider = (resolved.provider ?? {}) as Document;
  if (provider.name !== undefined && provider.name !== 'tencent') {
    throw new ServerlessYmlError(`key "provider.name": only the tencent provider is supported (found "${String(provider.name)}")`);
  }
  if (typeof resolved.service !== 'string' || resolved.service === '') throw new ServerlessYmlError('key "service": a service name is required');
  const warnings: string[] = [];
  for (const key of PROVIDER_CLOUD_KEYS) {
    if (provider[key] !== undefined) warnings.push(`provider: key "${key}" only applies on the cloud; ignored`);
  }
  const stage = String(provider.stage);
  const functions: Document = {};
  for (const [key, value] of Object.entries(functionsOf(resolved.functions))) {
    const fn = (value ?? {}) as Document;
    const name = `${resolved.service}-${stage}-${key}`;
    const mapped: Document = {
      name,
      src: './',
      handler: fn.handler ?? 'index.main_handler',
      memorySize: fn.memorySize ?? provider.memorySize ?? 128,
      timeout: fn.timeout ?? provider.timeout ?? 3,
      environment: { variables: { ...variablesOf(provider.environment), ...variablesOf(fn.environment) } },
      events: pluginEvents(fn.events, name, key, warnings),
    };
    const runtime = fn.runtime ?? provider.runtime;
    if (runtime !== undefined) mapped.runtime = runtime;
    const description = fn.description ?? provider.description;
    if (description !== undefined) mapped.description = description;
    for (const [k, v] of Object.entries(fn)) if (!PLUGIN_MAPPED_KEYS.has(k)) mapped[k] = v;
    functions[key] = mapped;
  }
  return { document: { functions }, warnings };
}

function stageOf(resolveAt: (path: string) => unknown): string {
  return String(resolveAt('provider.stage') ?? DEFAULT_STAGE);
}

/** `functions:` is a map, or (serverless's file includes) a list of maps. */
function functionsOf(value: unknown): Document {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) return Object.assign({}, ...value.map((item) => (item ?? {}) as Document));
  if (typeof value === 'object') return value as Document;
  throw new ServerlessYmlError('key "functions": a map of functions is required');
}

/** `environment: { variables: {…} }` (the plugin's form) or a flat map (the framework's). */
function variablesOf(value: unknown): Document {
  if (value === undefined || value === null) return {};
  const map = value as Document;
  if (typeof map.variables === 'object' && map.variables !== null) return map.variables as Document;
  return map;
}

function pluginEvents(events: unknown, cloudName: string, key: string, warnings: string[]): unknown[] {
  if (events === undefined || events === null) return [];
  if (!Array.isArray(events)) throw new ServerlessYmlError(`key "functions.${key}.events": a list is required`);
  const out: unknown[] = [];
  for (const event of events as Document[]) {
    if (event && typeof event === 'object' && 'apigw' in event) {
      const apigw = (event.apigw ?? {}) as Document;
      const parameters = (apigw.parameters ?? {}) as Document;
      if (parameters.enable === false) continue;
      const endpoint: Document = {
        path: parameters.path ?? `/${cloudName}`,
        method: parameters.httpMethod ?? PLUGIN_APIGW_METHOD,
        function: { isIntegratedResponse: parameters.integratedResponse === true },
        serviceTimeout: parameters.serviceTimeout ?? PLUGIN_SERVICE_TIMEOUT_S,
      };
      if (parameters.enableCORS !== undefined) endpoint.enableCORS = parameters.enableCORS;
      out.push({
        apigw: {
          ...(apigw.name !== undefined ? { name: apigw.name } : {}),
          parameters: {
            ...(parameters.serviceId ? { serviceId: parameters.serviceId } : {}),
            environment: parameters.stageName ?? 'release',
            endpoints: [endpoint],
          },
        },
      });
    } else if (event && typeof event === 'object' && 'cos' in event) {
      warnings.push(`function "${key}": cos triggers only apply on the cloud; ignored`);
    } else {
      out.push(event);
    }
  }
  return out;
}

// ---------------------------------------------------------------- variables

interface VariableRef {
  /** `${env:X, 'd'}` as written. */
  text: string;
  /** `env:X` */
  address: string;
  /** Where it was found, `inputs.name`. */
  key: string;
}

/** Returns the value, or undefined when the source does not have it (a fallback, or the error, follows). */
type Lookup = (variable: VariableRef, resolveAt: (path: string) => unknown) => unknown;

function sourceOf(address: string): string | undefined {
  const match = /^([A-Za-z][\w-]*):/.exec(address);
  return match ? match[1] : undefined;
}

/** Resolve every `${…}` in the values of `tree`; `${self:…}`-style paths resolve against the same tree. */
function resolveTree(tree: Document, lookup: Lookup): unknown {
  const done = new Map<string, unknown>();
  const active = new Set<string>();

  const valueAt = (path: string): unknown => {
    let node: unknown = tree;
    for (const part of path.split('.')) {
      if (part === '') continue;
      if (node === null || typeof node !== 'object') return undefined;
      node = (node as Document)[part];
    }
    return node;
  };

  const resolveAt = (path: string): unknown => {
    if (done.has(path)) return done.get(path);
    if (active.has(path)) throw new ServerlessYmlError(`key "${path}": its variables refer to each other in a loop`);
    active.add(path);
    const value = walk(valueAt(path), path);
    active.delete(path);
    done.set(path, value);
    return value;
  };

  const walk = (value: unknown, key: string): unknown => {
    if (typeof value === 'string') return resolveString(value, key);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, join2(key, String(i))));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, join2(key, k))]));
    }
    return value;
  };

  const resolveString = (text: string, key: string): unknown => {
    const parts = splitVariables(text);
    if (parts.length === 1 && typeof parts[0] !== 'string') return resolveVariable(parts[0]!.inner, key, parts[0]!.text);
    return parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const value = resolveVariable(part.inner, key, part.text);
        if (value !== null && typeof value === 'object') {
          throw new ServerlessYmlError(`variable "${part.text}" at key "${key}": an object cannot be part of a string`);
        }
        return String(value);
      })
      .join('');
  };

  const resolveVariable = (inner: string, key: string, text: string): unknown => {
    const candidates = splitTopLevel(inner);
    for (const candidate of candidates) {
      const value = resolveCandidate(candidate.trim(), key, text);
      if (value !== undefined) return value;
    }
    throw new ServerlessYmlError(`variable "${text}" at key "${key}" cannot be resolved${hint(candidates[0]!.trim())}`);
  };

  const resolveCandidate = (candidate: string, key: string, text: string): unknown => {
    const quoted = /^(['"])(.*)\1$/s.exec(candidate);
    if (quoted) return quoted[2];
    if (/^-?\d+(\.\d+)?$/.test(candidate)) return Number(candidate);
    if (candidate === 'true' || candidate === 'false') return candidate === 'true';
    if (candidate.startsWith('${')) return resolveString(candidate, key);
    // A nested variable inside the address (`${env:${self:custom.name}}`) resolves first.
    const address = candidate.includes('${') ? String(resolveString(candidate, key)) : candidate;
    const value = lookup({ text, address, key }, resolveAt);
    return value === null ? undefined : value;
  };

  return walk(tree, '');
}

const join2 = (key: string, part: string): string => (key ? `${key}.${part}` : part);

function hint(address: string): string {
  const source = sourceOf(address);
  if (source === 'env') return `: the environment variable ${address.slice(4)} is not set`;
  if (source === 'opt') return ': fngate takes no CLI options; give a fallback';
  return '';
}

/** `a-${x}-b` → ['a-', {inner:'x'}, '-b'], honouring nested `${…}`. */
function splitVariables(text: string): Array<string | { inner: string; text: string }> {
  const parts: Array<string | { inner: string; text: string }> = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('${', i)) {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new ServerlessYmlError(`"${text}": a variable is not closed with }`);
      if (literal) parts.push(literal);
      literal = '';
      parts.push({ inner: text.slice(i + 2, end), text: text.slice(i, end + 1) });
      i = end + 1;
    } else {
      literal += text[i];
      i++;
    }
  }
  if (literal || parts.length === 0) parts.push(literal);
  return parts;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Split `a, 'b, c', ${d, e}` on its top-level commas. */
function splitTopLevel(inner: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '{') depth++;
    else if (ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(inner.slice(start));
  return parts;
}

// ---------------------------------------------------------------- environment

function lookupEnv(name: string, env: NodeJS.ProcessEnv, dotenv: (() => Record<string, string>) | undefined): string | undefined {
  return env[name] ?? dotenv?.()[name];
}

/** `.env.<stage>` then `.env`, in `root` and up to `levels - 1` parents; the first file that sets a name wins. */
function lazyDotenv(root: string, stage: string, levels: number): () => Record<string, string> {
  let values: Record<string, string> | undefined;
  return () => {
    if (values) return values;
    values = {};
    let dir = root;
    for (let level = 0; level < levels; level++) {
      for (const file of [join(dir, `.env.${stage}`), join(dir, '.env')]) {
        if (!existsSync(file)) continue;
        const parsed = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
        for (const [k, v] of Object.entries(parsed)) if (!(k in values)) values[k] = v;
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    return values;
  };
}
