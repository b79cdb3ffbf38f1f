/**
 * The LifecycleService over the catalog (store/types.ts CatalogStore), the code store and the registry
 * (Deployments); also the ManifestReconciler. Writes run one at a time, in the order they arrive: each
 * reads the catalog, may unpack code and deploy, then writes, and two of them interleaving (two publishes
 * of one function, an alias set while its version is deleted) would act on what the other is changing.
 * Reads answer from the catalog at once. The operations live in functions.ts, aliases.ts and layers.ts.
 */
import type { CatalogStore } from '../../store/types.ts';
import type { CodeStore } from '../code-store/store.ts';
import type { GatewayConfig } from '../config.ts';
import { FnError } from '../errors.ts';
import { DEFAULT_NAMESPACE } from '../registry.ts';
import { applyTotalConcurrency, putTotalConcurrency, type TotalConcurrencyLimit } from './account.ts';
import * as aliases from './aliases.ts';
import type {
  AliasRouting,
  AliasView,
  CodeSource,
  Deployments,
  FunctionSettings,
  FunctionVersionView,
  LayerVersionView,
  LifecycleService,
  ListOptions,
  ManifestReconciler,
  NamespaceView,
  Page,
  Qualifier,
  ReconcileReport,
} from './contract.ts';
import type { LifecycleContext, LifecycleLogger } from './context.ts';
import * as functions from './functions.ts';
import * as layers from './layers.ts';
import { deployCatalog, ManifestSync, referencedCode } from './reconcile.ts';

export interface CatalogServiceOptions {
  catalog: CatalogStore;
  code: CodeStore;
  deployments: Deployments;
  logger: LifecycleLogger;
  /** The gateway-wide limit PutTotalConcurrencyConfig sets; without one that action is refused. */
  totalConcurrency?: TotalConcurrencyLimit;
  /** @default Date.now */
  now?: () => number;
}

export class CatalogService implements LifecycleService, ManifestReconciler {
  #context: LifecycleContext;
  #manifest: ManifestSync;
  #tail: Promise<unknown> = Promise.resolve();
  #totalConcurrency: TotalConcurrencyLimit | undefined;
  /** fngate.yml's gateway.concurrencyLimit at start. */
  #declaredTotalConcurrency: number | undefined;

  constructor(options: CatalogServiceOptions) {
    this.#context = { catalog: options.catalog, code: options.code, deployments: options.deployments, logger: options.logger, now: options.now ?? Date.now };
    this.#manifest = new ManifestSync(this.#context, (work) => this.#serialize(work));
    this.#totalConcurrency = options.totalConcurrency;
  }

  /**
   * At gateway start: drops stored code nothing refers to, applies fngate.yml, then deploys what the
   * catalog holds besides (API-made functions, published versions, aliases).
   */
  async start(config: GatewayConfig): Promise<ReconcileReport> {
    await layers.ensureNamespace(this.#context, DEFAULT_NAMESPACE);
    await this.#context.code.prune(referencedCode(this.#context));
    const report = await this.reconcile(config);
    await this.#serialize(() => deployCatalog(this.#context));
    this.#declaredTotalConcurrency = config.gateway.concurrencyLimit;
    if (this.#totalConcurrency) await applyTotalConcurrency(this.#context, this.#totalConcurrency, config);
    return report;
  }

  reconcile(config: GatewayConfig, touched?: ReadonlySet<string>): Promise<ReconcileReport> {
    return this.#manifest.reconcile(config, touched);
  }

  #serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  createNamespace(name: string, description?: string): Promise<NamespaceView> {
    return this.#serialize(() => layers.createNamespace(this.#context, name, description));
  }

  listNamespaces(options?: ListOptions): Page<NamespaceView> {
    return layers.listNamespaces(this.#context, options);
  }

  deleteNamespace(name: string): Promise<void> {
    return this.#serialize(() => layers.deleteNamespace(this.#context, name));
  }

  createFunction(namespace: string, name: string, settings: FunctionSettings, code: CodeSource): Promise<FunctionVersionView> {
    return this.#serialize(() => functions.createFunction(this.#context, namespace, name, settings, code));
  }

  getFunction(namespace: string, name: string, qualifier?: Qualifier): FunctionVersionView {
    return functions.getFunction(this.#context, namespace, name, qualifier);
  }

  listFunctions(namespace: string, options?: ListOptions): Page<FunctionVersionView> {
    return functions.listFunctions(this.#context, namespace, options);
  }

  updateFunctionCode(namespace: string, name: string, code: CodeSource, settings?: FunctionSettings): Promise<FunctionVersionView> {
    return this.#serialize(() => functions.updateFunctionCode(this.#context, namespace, name, code, settings));
  }

  updateFunctionConfiguration(namespace: string, name: string, settings: FunctionSettings): Promise<FunctionVersionView> {
    return this.#serialize(() => functions.updateFunctionConfiguration(this.#context, namespace, name, settings));
  }

  deleteFunction(namespace: string, name: string, qualifier?: Qualifier): Promise<void> {
    return this.#serialize(() => functions.deleteFunction(this.#context, namespace, name, qualifier));
  }

  publishVersion(namespace: string, name: string, description?: string): Promise<FunctionVersionView> {
    return this.#serialize(() => functions.publishVersion(this.#context, namespace, name, description));
  }

  listVersions(namespace: string, name: string, options?: ListOptions): Page<FunctionVersionView> {
    return functions.listVersions(this.#context, namespace, name, options);
  }

  deleteVersion(namespace: string, name: string, version: string): Promise<void> {
    return this.#serialize(() => functions.deleteVersion(this.#context, namespace, name, version));
  }

  createAlias(namespace: string, functionName: string, alias: string, routing: AliasRouting, description?: string): Promise<AliasView> {
    return this.#serialize(() => aliases.createAlias(this.#context, namespace, functionName, alias, routing, description));
  }

  getAlias(namespace: string, functionName: string, alias: string): AliasView {
    return aliases.getAlias(this.#context, namespace, functionName, alias);
  }

  updateAlias(namespace: string, functionName: string, alias: string, routing: Partial<AliasRouting>, description?: string): Promise<AliasView> {
    return this.#serialize(() => aliases.updateAlias(this.#context, namespace, functionName, alias, routing, description));
  }

  deleteAlias(namespace: string, functionName: string, alias: string): Promise<void> {
    return this.#serialize(() => aliases.deleteAlias(this.#context, namespace, functionName, alias));
  }

  listAliases(namespace: string, functionName: string, options?: ListOptions & { version?: string }): Page<AliasView> {
    return aliases.listAliases(this.#context, namespace, functionName, options);
  }

  publishLayerVersion(name: string, code: CodeSource, compatibleRuntimes: string[], description?: string): Promise<LayerVersionView> {
    return this.#serialize(() => layers.publishLayerVersion(this.#context, name, code, compatibleRuntimes, description));
  }

  listLayers(options?: ListOptions & { compatibleRuntime?: string }): Page<LayerVersionView> {
    return layers.listLayers(this.#context, options);
  }

  listLayerVersions(name: string): LayerVersionView[] {
    return layers.listLayerVersions(this.#context, name);
  }

  getLayerVersion(name: string, version: number): LayerVersionView {
    return layers.getLayerVersion(this.#context, name, version);
  }

  deleteLayerVersion(name: string, version: number): Promise<void> {
    return this.#serialize(() => layers.deleteLayerVersion(this.#context, name, version));
  }

  putTotalConcurrency(limit: number): Promise<void> {
    const limiter = this.#totalConcurrency;
    if (!limiter) return Promise.reject(new FnError('INTERNAL', 'this gateway has no total concurrency limit to set'));
    return this.#serialize(() => putTotalConcurrency(this.#context, limiter, this.#declaredTotalConcurrency, limit));
  }
}
