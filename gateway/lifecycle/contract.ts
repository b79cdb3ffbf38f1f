/**
 * The function lifecycle's one service layer, as every transport sees it: the REST routes, the
 * TencentCloud API 3.0 (`POST /`, gateway/tcapi/), the CLI and hot reload all call these operations and
 * none of them touches the catalog or the registry directly. Names and units are fngate's (ms, MB,
 * camelCase); each transport maps its own wire shapes onto them. Failures are FnErrors whose code the
 * transports translate (REST: SCF status; API 3.0: `ResourceNotFound.Function` …, lifecycle/errors.ts).
 */
import type { FunctionConfig, GatewayConfig } from '../config.ts';

/** `$LATEST`, a published version number ("1", "2", …) or an alias name. */
export type Qualifier = string;

/** Where new code comes from: a zip (base64-decoded by the transport) or a folder on this machine. */
export type CodeSource = { zipFile: Buffer } | { dir: string };

/** The configuration a caller may set: FunctionConfig's fields, minus what the gateway derives. */
export type FunctionSettings = Partial<
  Pick<
    FunctionConfig,
    | 'description'
    | 'runtime'
    | 'type'
    | 'handler'
    | 'initializer'
    | 'nodeRuntime'
    | 'memoryMb'
    | 'timeoutMs'
    | 'initTimeoutMs'
    | 'environment'
    | 'reservedConcurrency'
    | 'provisionedConcurrency'
    | 'instanceConcurrency'
    | 'retryNum'
    | 'maxEventAgeS'
    | 'events'
    | 'invokeAuth'
  >
> & {
  /** Layers by name and version, in the order they are stacked under /opt (≤ 5). */
  layers?: Array<{ name: string; version: number }>;
};

/** One function version as the catalog holds it. */
export interface FunctionVersionView {
  namespace: string;
  name: string;
  /** `$LATEST` or "1", "2", … */
  version: string;
  description: string;
  config: FunctionConfig;
  /** SHA-256 (hex) of the code as stored, and its size in bytes. */
  codeSha256: string;
  codeSize: number;
  /** Where it came from: fngate.yml (declared, reconciled at start and reload) or the API. */
  origin: 'manifest' | 'api';
  addedAt: number;
  modifiedAt: number;
}

export interface AliasRouting {
  /** The main version the alias points at. */
  version: string;
  /** SCF's `RoutingConfig.AdditionalVersionWeights`: another version and the share (0–1) it gets. */
  additionalVersionWeights?: Array<{ version: string; weight: number }>;
}

export interface AliasView extends AliasRouting {
  namespace: string;
  functionName: string;
  name: string;
  description: string;
  addedAt: number;
  modifiedAt: number;
}

export interface NamespaceView {
  name: string;
  description: string;
  addedAt: number;
  modifiedAt: number;
}

export interface LayerVersionView {
  name: string;
  version: number;
  description: string;
  compatibleRuntimes: string[];
  codeSha256: string;
  codeSize: number;
  addedAt: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface ListOptions {
  offset?: number;
  limit?: number;
  /** A substring of the name. */
  search?: string;
}

/**
 * The operations. Every write is persisted in the store before it resolves and is visible to the
 * registry (new requests run the new state) when it resolves.
 */
export interface LifecycleService {
  createNamespace(name: string, description?: string): Promise<NamespaceView>;
  listNamespaces(options?: ListOptions): Page<NamespaceView>;
  /** Refused while it holds functions (as the cloud does). */
  deleteNamespace(name: string): Promise<void>;

  createFunction(namespace: string, name: string, settings: FunctionSettings, code: CodeSource): Promise<FunctionVersionView>;
  getFunction(namespace: string, name: string, qualifier?: Qualifier): FunctionVersionView;
  listFunctions(namespace: string, options?: ListOptions): Page<FunctionVersionView>;
  /**
   * New `$LATEST` code: new requests get new instances, in-flight ones finish on the old. `settings` that
   * belong with the code (UpdateFunctionCode's `Handler`) change in the same deployment.
   */
  updateFunctionCode(namespace: string, name: string, code: CodeSource, settings?: FunctionSettings): Promise<FunctionVersionView>;
  updateFunctionConfiguration(namespace: string, name: string, settings: FunctionSettings): Promise<FunctionVersionView>;
  /** The whole function (qualifier omitted or `$LATEST`), or one published version. */
  deleteFunction(namespace: string, name: string, qualifier?: Qualifier): Promise<void>;

  /** Snapshots `$LATEST` (code and configuration) as the next version number. */
  publishVersion(namespace: string, name: string, description?: string): Promise<FunctionVersionView>;
  listVersions(namespace: string, name: string, options?: ListOptions): Page<FunctionVersionView>;
  /** Refused while an alias routes to it. */
  deleteVersion(namespace: string, name: string, version: string): Promise<void>;

  createAlias(namespace: string, functionName: string, alias: string, routing: AliasRouting, description?: string): Promise<AliasView>;
  getAlias(namespace: string, functionName: string, alias: string): AliasView;
  updateAlias(namespace: string, functionName: string, alias: string, routing: Partial<AliasRouting>, description?: string): Promise<AliasView>;
  deleteAlias(namespace: string, functionName: string, alias: string): Promise<void>;
  listAliases(namespace: string, functionName: string, options?: ListOptions & { version?: string }): Page<AliasView>;

  publishLayerVersion(name: string, code: CodeSource, compatibleRuntimes: string[], description?: string): Promise<LayerVersionView>;
  listLayers(options?: ListOptions & { compatibleRuntime?: string }): Page<LayerVersionView>;
  listLayerVersions(name: string): LayerVersionView[];
  getLayerVersion(name: string, version: number): LayerVersionView;
  /** Refused while a function uses it. */
  deleteLayerVersion(name: string, version: number): Promise<void>;

  /** The gateway-wide limit of invocations in flight; kept across restarts (gateway/lifecycle/account.ts). */
  putTotalConcurrency(limit: number): Promise<void>;
}

/** What the service needs of the registry (gateway/registry.ts) to make a catalog change live. */
export interface Deployments {
  /** Deploys or replaces `$LATEST`: new requests get new instances; in-flight ones finish on the old, which then end. */
  putLatest(config: FunctionConfig): Promise<void>;
  /** Makes a published version servable: an immutable configuration whose `src` is its code snapshot folder. */
  putVersion(config: FunctionConfig, version: string): Promise<void>;
  /** Ends a version's instances (after their in-flight requests). */
  removeVersion(namespace: string, name: string, version: string): Promise<void>;
  /** Ends every version of a function and forgets its aliases. */
  removeFunction(namespace: string, name: string): Promise<void>;
  setAlias(namespace: string, name: string, alias: string, routing: AliasRouting): void;
  removeAlias(namespace: string, name: string, alias: string): void;
}

/** What a reconcile of fngate.yml changed, by function name (`namespace/name`). */
export interface ReconcileReport {
  deployed: string[];
  removed: string[];
  unchanged: string[];
}

/**
 * Makes the running functions match a freshly loaded fngate.yml (at start and on every hot reload).
 * fngate.yml is the declared state of the functions it names; functions made through the API are left
 * alone. `touched` names functions whose code or layers changed on disk: they get a new `$LATEST` even if
 * their configuration did not change. Functions neither changed nor touched keep their warm instances.
 */
export interface ManifestReconciler {
  reconcile(config: GatewayConfig, touched?: ReadonlySet<string>): Promise<ReconcileReport>;
}
