/**
 * fngate.yml against the catalog, at start and on every reload. Which wins:
 * - fngate.yml is the declared state of the functions it names. Applying it makes `$LATEST` of each of
 *   them what the file says (origin `manifest`), whatever the API did to them in between; it logs one
 *   warning line naming each function whose API changes it replaces (or that the API made and the file
 *   now declares). Published versions and aliases are the API's: applying the file keeps them.
 * - A function the file named before and no longer names is removed, with its versions and aliases.
 * - Functions made through the API (origin `api`) are left alone.
 * A manifest function whose configuration and code did not change (and that is not `touched`) keeps its
 * deployment, so its warm instances stay.
 */
import type { CatalogFunction } from '../../store/types.ts';
import { ConfigError, type FunctionConfig, type GatewayConfig } from '../config.ts';
import { FnError } from '../errors.ts';
import type { ManifestReconciler, ReconcileReport } from './contract.ts';
import { functionKey } from '../registry.ts';
import { runnableConfig, type LifecycleContext } from './context.ts';
import { ensureNamespace } from './layers.ts';

const sameConfig = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export class ManifestSync implements ManifestReconciler {
  #context: LifecycleContext;
  #serialize: <T>(work: () => Promise<T>) => Promise<T>;
  /** Manifest functions this process deployed: only those can be left as they are. */
  #live = new Set<string>();

  constructor(context: LifecycleContext, serialize: <T>(work: () => Promise<T>) => Promise<T>) {
    this.#context = context;
    this.#serialize = serialize;
  }

  reconcile(config: GatewayConfig, touched: ReadonlySet<string> = new Set()): Promise<ReconcileReport> {
    return this.#serialize(() => this.#reconcile(config, touched));
  }

  async #reconcile(config: GatewayConfig, touched: ReadonlySet<string>): Promise<ReconcileReport> {
    const context = this.#context;
    const report: ReconcileReport = { deployed: [], removed: [], unchanged: [] };
    for (const namespace of new Set(config.functions.map((fn) => fn.namespace))) await ensureNamespace(context, namespace);
    // Side by side: functions with provisioned instances start them at the same time.
    const outcomes = await Promise.all(config.functions.map((fn) => this.#apply(fn, touched)));
    for (const [i, outcome] of outcomes.entries()) report[outcome].push(functionKey(config.functions[i]!.namespace, config.functions[i]!.name));
    const declared = new Set(config.functions.map((fn) => functionKey(fn.namespace, fn.name)));
    for (const fn of context.catalog.listFunctions()) {
      const key = functionKey(fn.namespace, fn.name);
      if (fn.origin !== 'manifest' || declared.has(key)) continue;
      await context.catalog.deleteFunction(fn.namespace, fn.name);
      await context.deployments.removeFunction(fn.namespace, fn.name);
      this.#live.delete(key);
      report.removed.push(key);
    }
    return report;
  }

  /** Makes one declared function's `$LATEST` what fngate.yml says. */
  async #apply(fn: FunctionConfig, touched: ReadonlySet<string>): Promise<'deployed' | 'unchanged'> {
    const context = this.#context;
    const key = functionKey(fn.namespace, fn.name);
    const { config: resolved, code } = await this.#resolveCode(fn);
    const current = context.catalog.getFunction(fn.namespace, fn.name);
    // The catalog already holds this (a restart with the same fngate.yml): nothing to write.
    const stored = current !== undefined && current.origin === 'manifest' && !current.apiChanged && sameConfig(current.config, resolved) && sameConfig(current.code, code);
    if (stored && this.#live.has(key) && !touched.has(key)) return 'unchanged';
    if (current?.apiChanged) context.logger.warn({ function: key }, `function ${key}: fngate.yml replaces the changes made to it through the API`);
    else if (current?.origin === 'api') context.logger.warn({ function: key }, `function ${key}: made through the API, now declared in fngate.yml, which wins`);
    await context.deployments.putLatest(resolved);
    this.#live.add(key);
    if (!stored) {
      const now = context.now();
      await context.catalog.putFunction({
        namespace: fn.namespace,
        name: fn.name,
        origin: 'manifest',
        config: resolved,
        code,
        apiChanged: false,
        addedAt: current?.addedAt ?? now,
        modifiedAt: now,
      });
    }
    return 'deployed';
  }

  /**
   * A zip `src` is extracted into the code store; a folder is used in place. A zip the store refuses is a
   * configuration error (of fngate.yml), named like the others: `fngate serve` prints it and stops.
   */
  async #resolveCode(fn: FunctionConfig): Promise<{ config: FunctionConfig; code: CatalogFunction['code'] }> {
    if (!fn.src.endsWith('.zip')) return { config: fn, code: { sha256: '', size: 0, dir: fn.src } };
    try {
      const stored = await this.#context.code.putZipFile(fn.src, `function "${fn.name}": key "src": ${fn.src}`);
      return { config: { ...fn, src: stored.dir }, code: { sha256: stored.sha256, size: stored.size } };
    } catch (error) {
      if (error instanceof FnError) throw new ConfigError(error.message);
      throw error;
    }
  }
}

/**
 * At start, after fngate.yml was applied: deploys what only the catalog knows, the API-made functions'
 * `$LATEST`, and every published version and alias. One that cannot be deployed (its runtime is gone)
 * is logged and skipped: the others still start.
 */
export async function deployCatalog(context: LifecycleContext): Promise<void> {
  await Promise.all(
    context.catalog.listFunctions().map(async (fn) => {
      const key = functionKey(fn.namespace, fn.name);
      try {
        if (fn.origin === 'api') await context.deployments.putLatest(runnableConfig(context, fn));
        for (const version of context.catalog.listVersions(fn.namespace, fn.name)) {
          await context.deployments.putVersion(runnableConfig(context, version), String(version.version));
        }
        for (const alias of context.catalog.listAliases(fn.namespace, fn.name)) {
          context.deployments.setAlias(fn.namespace, fn.name, alias.name, { version: alias.version, additionalVersionWeights: alias.additionalVersionWeights });
        }
      } catch (error) {
        context.logger.error({ err: error, function: key }, `function ${key} from the catalog could not be deployed; it is skipped`);
      }
    }),
  );
}

/** Every SHA-256 the catalog refers to: the code store keeps these and drops the rest. */
export function referencedCode(context: LifecycleContext): Set<string> {
  const keep = new Set<string>();
  for (const fn of context.catalog.listFunctions()) {
    if (fn.code.sha256) keep.add(fn.code.sha256);
    for (const version of context.catalog.listVersions(fn.namespace, fn.name)) keep.add(version.code.sha256);
  }
  for (const layer of context.catalog.listLayerVersions()) keep.add(layer.code.sha256);
  return keep;
}
