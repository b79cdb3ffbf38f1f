/**
 * The functions the gateway serves: for each one `$LATEST` and its published versions (each its own
 * runtime spec and instance pool), its aliases, and one concurrency limiter its versions share (reserved
 * concurrency is per function). Lookups raise 435 / 442. Replacing a version retires its old pool:
 * requests in flight finish there, new ones get instances of the new one (runtimes/pool.ts `retire`).
 */
import type { AdapterSet } from '../runtimes/index.ts';
import { InstancePool, type ColdStart } from '../runtimes/pool.ts';
import type { RunGate } from '../runtimes/run-gate.ts';
import type { FunctionSpec, Instance, PlatformIdentity } from '../runtimes/runtime.ts';
import { ConcurrencyLimiter } from './concurrency.ts';
import type { FunctionConfig } from './config.ts';
import { compileAliasRoute, pickVersion, type AliasRoute } from './deployments/alias-route.ts';
import { FnError } from './errors.ts';
import type { AliasRouting, Deployments } from './lifecycle/contract.ts';
import type { SandboxNetworkSettings } from '../runtimes/sandbox/network.ts';

export const LATEST = '$LATEST';
/** SCF's default alias: `$LATEST` unless an alias of that name is set. */
export const DEFAULT_ALIAS = '$DEFAULT';
export const DEFAULT_NAMESPACE = 'default';

export interface DeployedFunction {
  config: FunctionConfig;
  /** `$LATEST` or the published version number: the version that runs (aliases resolve to one). */
  version: string;
  spec: FunctionSpec;
  pool: InstancePool;
  /** Requests in flight for this function, all versions together (reservedConcurrency × instanceConcurrency). */
  limiter: ConcurrencyLimiter;
  /** Its runtime's bound on event invocations running at once, machine-wide (runtimes/run-gate.ts); none: unbounded. */
  runGate: RunGate | undefined;
}

export interface RegistryOptions {
  adapters: AdapterSet;
  platform: PlatformIdentity;
  /** @default DEFAULT_SANDBOX_NETWORK */
  sandboxNetwork?: SandboxNetworkSettings;
  idleInstanceMs: number;
  /** Resolves a configured src (folder or zip) to a code folder, timing it as PullCode. */
  prepareCode: (config: FunctionConfig) => Promise<string>;
  /** A code folder no deployed version uses any more (its last pool ended): prepareCode's extractions can go. */
  releaseCode?: (codeDir: string) => void;
  onProvisioned?: (fn: DeployedFunction, instance: Instance, phases: ColdStart) => void;
  onBackgroundError?: (fn: DeployedFunction, error: unknown) => void;
}

interface FunctionEntry {
  versions: Map<string, DeployedFunction>;
  aliases: Map<string, AliasRoute>;
  limiter: ConcurrencyLimiter;
}

interface Built {
  fn: DeployedFunction;
  /** The most instances the runtime lets one function have. */
  placedMax: number;
}

/** `namespace/name`: how a function is named in maps and reconcile reports. */
export const functionKey = (namespace: string, name: string): string => `${namespace}/${name}`;

export class FunctionRegistry implements Deployments {
  #options: RegistryOptions;
  #functions = new Map<string, FunctionEntry>();
  /** Pools replaced or removed whose instances still finish their requests. */
  #retiring = new Set<DeployedFunction>();
  /** Changes of one function are applied one after the other. */
  #chains = new Map<string, Promise<unknown>>();
  #listeners = new Set<() => void>();
  #generation = 0;
  #closed = false;

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  /** Bumped by every change of what is served: routes and triggers built from `list()` rebuild when it moves. */
  get generation(): number {
    return this.#generation;
  }

  /** Called after every change of what is served (deploys, removals, aliases). Returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Deploy `$LATEST` of each function at start: build every pool, then start the provisioned instances. */
  async deploy(configs: FunctionConfig[]): Promise<void> {
    const built: Built[] = [];
    for (const config of configs) built.push(await this.#build(config, LATEST));
    for (const item of built) this.#install(item);
    await Promise.all(built.map(({ fn }) => fn.pool.start(fn.config.provisionedConcurrency)));
  }

  putLatest(config: FunctionConfig): Promise<void> {
    return this.#put(config, LATEST);
  }

  putVersion(config: FunctionConfig, version: string): Promise<void> {
    return this.#put(config, version);
  }

  removeVersion(namespace: string, name: string, version: string): Promise<void> {
    return this.#serial(functionKey(namespace, name), async () => {
      const entry = this.#functions.get(functionKey(namespace, name));
      const fn = entry?.versions.get(version);
      if (!entry || !fn) return;
      entry.versions.delete(version);
      if (entry.versions.size === 0) this.#functions.delete(functionKey(namespace, name));
      this.#changed();
      await this.#retire(fn, undefined);
    });
  }

  removeFunction(namespace: string, name: string): Promise<void> {
    return this.#serial(functionKey(namespace, name), async () => {
      const entry = this.#functions.get(functionKey(namespace, name));
      if (!entry) return;
      this.#functions.delete(functionKey(namespace, name));
      this.#changed();
      await Promise.all([...entry.versions.values()].map((fn) => this.#retire(fn, undefined)));
    });
  }

  setAlias(namespace: string, name: string, alias: string, routing: AliasRouting): void {
    const entry = this.#entry(namespace, name);
    const route = compileAliasRoute(alias, routing);
    for (const version of route.versions) {
      if (!entry.versions.has(version)) {
        throw new FnError('QUALIFIER_NOT_FOUND', `alias ${alias}: version ${version} of function ${name} is not deployed`);
      }
    }
    entry.aliases.set(alias, route);
    this.#changed();
  }

  removeAlias(namespace: string, name: string, alias: string): void {
    if (this.#functions.get(functionKey(namespace, name))?.aliases.delete(alias)) this.#changed();
  }

  /** The version a request runs: `$LATEST`, a version number, or an alias (weights drawn per call). Hot path. */
  lookup(namespace: string, name: string, qualifier: string = LATEST): DeployedFunction {
    const entry = this.#functions.get(functionKey(namespace, name));
    if (!entry) throw new FnError('FUNCTION_NOT_FOUND', `function ${name} not found in namespace ${namespace}`);
    const fn = entry.versions.get(qualifier);
    if (fn) return fn;
    const route = entry.aliases.get(qualifier);
    const picked = route ? entry.versions.get(pickVersion(route)) : qualifier === DEFAULT_ALIAS ? entry.versions.get(LATEST) : undefined;
    if (picked) return picked;
    throw new FnError('QUALIFIER_NOT_FOUND', `version or alias ${qualifier} of function ${name} not found`);
  }

  /** `$LATEST` of every function. */
  list(): DeployedFunction[] {
    const latest: DeployedFunction[] = [];
    for (const entry of this.#functions.values()) {
      const fn = entry.versions.get(LATEST);
      if (fn) latest.push(fn);
    }
    return latest;
  }

  /** Every deployed version of a function (`$LATEST` first), or none. */
  versionsOf(namespace: string, name: string): DeployedFunction[] {
    return [...(this.#functions.get(functionKey(namespace, name))?.versions.values() ?? [])];
  }

  async close(): Promise<void> {
    this.#closed = true;
    const fns = [...this.#functions.values()].flatMap((entry) => [...entry.versions.values()]);
    fns.push(...this.#retiring);
    this.#functions.clear();
    this.#retiring.clear();
    await Promise.allSettled(fns.map((fn) => fn.pool.close()));
  }

  #entry(namespace: string, name: string): FunctionEntry {
    const entry = this.#functions.get(functionKey(namespace, name));
    if (!entry) throw new FnError('FUNCTION_NOT_FOUND', `function ${name} not found in namespace ${namespace}`);
    return entry;
  }

  /** Build the new version, warm its provisioned instances, then swap it in and retire the one it replaces. */
  #put(config: FunctionConfig, version: string): Promise<void> {
    return this.#serial(functionKey(config.namespace, config.name), async () => {
      const built = await this.#build(config, version);
      await built.fn.pool.start(config.provisionedConcurrency);
      if (this.#closed) {
        await built.fn.pool.close();
        return;
      }
      const previous = this.#install(built);
      if (previous) void this.#retire(previous, built.fn.pool);
    });
  }

  async #build(config: FunctionConfig, version: string): Promise<Built> {
    // [web] type web / eventInvoke http pick the web adapter, which may cap instances (no namespaces: 1).
    const placed = await this.#options.adapters.forFunction(config);
    if (!placed) throw new FnError('INVALID_PARAMETER', `function ${config.name}: runtime ${config.runtime} is not available`);
    const maxInstances = Math.min(config.reservedConcurrency, placed.maxInstances);
    const spec = this.#specOf(config, version, await this.#options.prepareCode(config));
    const fn: DeployedFunction = {
      config,
      version,
      spec,
      limiter: undefined as unknown as ConcurrencyLimiter,
      pool: undefined as unknown as InstancePool,
      runGate: placed.adapter.runGate,
    };
    fn.pool = new InstancePool({
      spec,
      adapter: placed.adapter,
      maxInstances,
      perInstanceConcurrency: config.instanceConcurrency,
      idleMs: this.#options.idleInstanceMs,
      onProvisioned: (instance, timings, coldStartMs) => this.#options.onProvisioned?.(fn, instance, { ...timings, coldStartMs }),
      onBackgroundError: (error) => this.#options.onBackgroundError?.(fn, error),
    });
    return { fn, placedMax: placed.maxInstances };
  }

  /** Makes `built` the served version; returns the one it replaced. `$LATEST` sets the function's limit. */
  #install({ fn, placedMax }: Built): DeployedFunction | undefined {
    const { config } = fn;
    const limit = Math.min(config.reservedConcurrency, placedMax) * config.instanceConcurrency;
    const key = functionKey(config.namespace, config.name);
    let entry = this.#functions.get(key);
    if (!entry) {
      entry = { versions: new Map(), aliases: new Map(), limiter: new ConcurrencyLimiter(limit) };
      this.#functions.set(key, entry);
    } else if (fn.version === LATEST) {
      entry.limiter.setLimit(limit);
    }
    fn.limiter = entry.limiter;
    const previous = entry.versions.get(fn.version);
    entry.versions.set(fn.version, fn);
    this.#changed();
    return previous;
  }

  async #retire(fn: DeployedFunction, successor: InstancePool | undefined): Promise<void> {
    this.#retiring.add(fn);
    await fn.pool.retire(successor);
    this.#retiring.delete(fn);
    const { codeDir } = fn.spec;
    if (this.#closed || !this.#options.releaseCode) return;
    const inUse = (other: DeployedFunction): boolean => other.spec.codeDir === codeDir;
    for (const entry of this.#functions.values()) {
      for (const other of entry.versions.values()) if (inUse(other)) return;
    }
    for (const other of this.#retiring) if (inUse(other)) return;
    this.#options.releaseCode(codeDir);
  }

  #serial(key: string, task: () => Promise<void>): Promise<void> {
    const run = (this.#chains.get(key) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => undefined);
    this.#chains.set(key, settled);
    void settled.then(() => {
      if (this.#chains.get(key) === settled) this.#chains.delete(key);
    });
    return run;
  }

  #changed(): void {
    this.#generation++;
    for (const listener of this.#listeners) listener();
  }

  #specOf(config: FunctionConfig, version: string, codeDir: string): FunctionSpec {
    return {
      namespace: config.namespace,
      name: config.name,
      version,
      runtime: config.runtime,
      type: config.type,
      handler: config.handler,
      handlerStyle: config.handlerStyle,
      initializer: config.initializer,
      codeDir,
      layerDirs: config.layers.map((layer) => layer.dir),
      memoryMb: config.memoryMb,
      timeoutMs: config.timeoutMs,
      initTimeoutMs: config.initTimeoutMs,
      environment: config.environment,
      platform: this.#options.platform,
      sandboxNetwork: this.#options.sandboxNetwork,
    };
  }
}
