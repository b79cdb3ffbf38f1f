/**
 * The functions the gateway serves: for each one, its configuration, the runtime spec of each version,
 * an instance pool and its concurrency limiter. Lookups raise 435 / 442.
 */
import type { AdapterSet } from '../runtimes/index.ts';
import { InstancePool, type ColdStart } from '../runtimes/pool.ts';
import type { FunctionSpec, Instance, PlatformIdentity } from '../runtimes/runtime.ts';
import { ConcurrencyLimiter } from './concurrency.ts';
import type { FunctionConfig } from './config.ts';
import { FnError } from './errors.ts';
import type { AliasRouting, Deployments } from './lifecycle/contract.ts';

export const LATEST = '$LATEST';
export const DEFAULT_NAMESPACE = 'default';

export interface DeployedFunction {
  config: FunctionConfig;
  version: string;
  spec: FunctionSpec;
  pool: InstancePool;
  /** Requests in flight for this function (reservedConcurrency × instanceConcurrency). */
  limiter: ConcurrencyLimiter;
}

export interface RegistryOptions {
  adapters: AdapterSet;
  platform: PlatformIdentity;
  idleInstanceMs: number;
  /** Resolves a configured src (folder or zip) to a code folder, timing it as PullCode. */
  prepareCode: (config: FunctionConfig) => Promise<string>;
  onProvisioned?: (fn: DeployedFunction, instance: Instance, phases: ColdStart) => void;
  onBackgroundError?: (fn: DeployedFunction, error: unknown) => void;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;
/** How often a replaced deployment checks whether its last in-flight request finished. */
const RETIRE_POLL_MS = 50;

// [catalog] The Deployments methods below (putLatest … removeAlias, alias lookup) are the minimum the
// lifecycle service's tests need; the deploy helper's registry (qualifiers, weighted routing, graceful
// replacement) supersedes them. Lead: keep theirs, drop these.
export class FunctionRegistry implements Deployments {
  #options: RegistryOptions;
  #functions = new Map<string, Map<string, DeployedFunction>>();
  #aliases = new Map<string, Map<string, AliasRouting>>();

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  /** Deploy `$LATEST` of each function: build its spec and pool, start provisioned instances. */
  async deploy(configs: FunctionConfig[]): Promise<void> {
    const deployed: DeployedFunction[] = [];
    for (const config of configs) {
      const fn = await this.#build(config, LATEST);
      this.#functions.set(keyOf(config.namespace, config.name), new Map([[LATEST, fn]]));
      deployed.push(fn);
    }
    await Promise.all(deployed.map((fn) => fn.pool.start(fn.config.provisionedConcurrency)));
  }

  async putLatest(config: FunctionConfig): Promise<void> {
    await this.#put(config, LATEST);
  }

  async putVersion(config: FunctionConfig, version: string): Promise<void> {
    await this.#put(config, version);
  }

  async removeVersion(namespace: string, name: string, version: string): Promise<void> {
    const versions = this.#functions.get(keyOf(namespace, name));
    const fn = versions?.get(version);
    if (!versions || !fn) return;
    versions.delete(version);
    await this.#retire(fn);
  }

  async removeFunction(namespace: string, name: string): Promise<void> {
    const key = keyOf(namespace, name);
    const versions = this.#functions.get(key);
    this.#functions.delete(key);
    this.#aliases.delete(key);
    await Promise.all([...(versions?.values() ?? [])].map((fn) => this.#retire(fn)));
  }

  setAlias(namespace: string, name: string, alias: string, routing: AliasRouting): void {
    const key = keyOf(namespace, name);
    const aliases = this.#aliases.get(key) ?? new Map<string, AliasRouting>();
    aliases.set(alias, routing);
    this.#aliases.set(key, aliases);
  }

  removeAlias(namespace: string, name: string, alias: string): void {
    this.#aliases.get(keyOf(namespace, name))?.delete(alias);
  }

  async #put(config: FunctionConfig, version: string): Promise<void> {
    const key = keyOf(config.namespace, config.name);
    const fn = await this.#build(config, version);
    const versions = this.#functions.get(key) ?? new Map<string, DeployedFunction>();
    const previous = versions.get(version);
    versions.set(version, fn);
    this.#functions.set(key, versions);
    await fn.pool.start(config.provisionedConcurrency);
    if (previous) void this.#retire(previous);
  }

  /** Ends a deployment once its in-flight requests are done (or its timeout has passed). */
  async #retire(fn: DeployedFunction): Promise<void> {
    const deadline = Date.now() + fn.config.timeoutMs + 1000;
    while (fn.limiter.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, RETIRE_POLL_MS));
    await fn.pool.close();
  }

  async #build(config: FunctionConfig, version: string): Promise<DeployedFunction> {
    // [web] type web / eventInvoke http pick the web adapter, which may cap instances (no namespaces: 1).
    const placed = await this.#options.adapters.forFunction(config);
    if (!placed) throw new FnError('INVALID_PARAMETER', `function ${config.name}: runtime ${config.runtime} is not available`);
    const { adapter } = placed;
    const maxInstances = Math.min(config.reservedConcurrency, placed.maxInstances);
    const spec = this.#specOf(config, version, await this.#options.prepareCode(config));
    const fn: DeployedFunction = {
      config,
      version,
      spec,
      limiter: new ConcurrencyLimiter(maxInstances * config.instanceConcurrency),
      pool: undefined as unknown as InstancePool,
    };
    fn.pool = new InstancePool({
      spec,
      adapter,
      maxInstances,
      perInstanceConcurrency: config.instanceConcurrency,
      idleMs: this.#options.idleInstanceMs,
      onProvisioned: (instance, timings, coldStartMs) =>
        this.#options.onProvisioned?.(fn, instance, { ...timings, coldStartMs }),
      onBackgroundError: (error) => this.#options.onBackgroundError?.(fn, error),
    });
    return fn;
  }

  lookup(namespace: string, name: string, qualifier: string = LATEST): DeployedFunction {
    const versions = this.#functions.get(keyOf(namespace, name));
    if (!versions) throw new FnError('FUNCTION_NOT_FOUND', `function ${name} not found in namespace ${namespace}`);
    const fn = versions.get(this.#route(keyOf(namespace, name), qualifier));
    if (!fn) throw new FnError('QUALIFIER_NOT_FOUND', `version or alias ${qualifier} of function ${name} not found`);
    return fn;
  }

  /** The version an alias sends this request to (by weight), or the qualifier itself. */
  #route(key: string, qualifier: string): string {
    const routing = this.#aliases.get(key)?.get(qualifier);
    if (!routing) return qualifier;
    let draw = Math.random();
    for (const extra of routing.additionalVersionWeights ?? []) {
      if (draw < extra.weight) return extra.version;
      draw -= extra.weight;
    }
    return routing.version;
  }

  list(): DeployedFunction[] {
    return [...this.#functions.values()].map((versions) => versions.get(LATEST)!);
  }

  async close(): Promise<void> {
    const pools = [...this.#functions.values()].flatMap((versions) => [...versions.values()].map((fn) => fn.pool));
    this.#functions.clear();
    this.#aliases.clear();
    await Promise.allSettled(pools.map((pool) => pool.close()));
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
    };
  }
}
