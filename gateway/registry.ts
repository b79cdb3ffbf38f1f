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

export class FunctionRegistry {
  #options: RegistryOptions;
  #functions = new Map<string, Map<string, DeployedFunction>>();

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  /** Deploy `$LATEST` of each function: build its spec and pool, start provisioned instances. */
  async deploy(configs: FunctionConfig[]): Promise<void> {
    const deployed: DeployedFunction[] = [];
    for (const config of configs) {
      // [web] type web / eventInvoke http pick the web adapter, which may cap instances (no namespaces: 1).
      const placed = await this.#options.adapters.forFunction(config);
      if (!placed) throw new FnError('INVALID_PARAMETER', `function ${config.name}: runtime ${config.runtime} is not available`);
      const { adapter } = placed;
      const maxInstances = Math.min(config.reservedConcurrency, placed.maxInstances);
      const spec = this.#specOf(config, LATEST, await this.#options.prepareCode(config));
      const fn: DeployedFunction = {
        config,
        version: LATEST,
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
      const versions = new Map([[LATEST, fn]]);
      this.#functions.set(keyOf(config.namespace, config.name), versions);
      deployed.push(fn);
    }
    await Promise.all(deployed.map((fn) => fn.pool.start(fn.config.provisionedConcurrency)));
  }

  lookup(namespace: string, name: string, qualifier: string = LATEST): DeployedFunction {
    const versions = this.#functions.get(keyOf(namespace, name));
    if (!versions) throw new FnError('FUNCTION_NOT_FOUND', `function ${name} not found in namespace ${namespace}`);
    const fn = versions.get(qualifier);
    if (!fn) throw new FnError('QUALIFIER_NOT_FOUND', `version or alias ${qualifier} of function ${name} not found`);
    return fn;
  }

  list(): DeployedFunction[] {
    return [...this.#functions.values()].map((versions) => versions.get(LATEST)!);
  }

  async close(): Promise<void> {
    const pools = [...this.#functions.values()].flatMap((versions) => [...versions.values()].map((fn) => fn.pool));
    this.#functions.clear();
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
