/**
 * Makes and ends a whole gateway: store, runtimes, functions, routes, HTTP servers. `createGateway` is the
 * embedding API (gateway/index.ts); `startGateway` is what `fngate serve` runs. Every resource made here is
 * ended by `close()`.
 */
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { createAdapters } from '../runtimes/index.ts';
import { parseSandboxMode } from '../runtimes/web/options.ts'; // [web]
import { openStore, type CatalogStore, type QueueStore, type Store } from '../store/index.ts';
import { AsyncService } from './async/service.ts'; // [async]
import { Authenticator } from './auth/authenticate.ts';
import { loadCredentials } from './auth/file-store.ts';
import { StaticCredentialStore, type CredentialStore, type Credentials } from './auth/store.ts';
import { invokeFunction, type InvokeOptions } from './embed-invoke.ts';
import { gatewayListener } from './listener.ts';
import { prepareCode } from './code.ts';
import { CodeStore } from './code-store/store.ts';
import { ConcurrencyLimiter } from './concurrency.ts';
import { defaultMaxConnections, limitConnections, TIMEOUT_CHECK_INTERVAL_MS, type ConnectionLimits } from './connections.ts';
import { configFromManifest, loadConfig, type GatewayConfig } from './config.ts';
import { createPipeline } from './invoke/pipeline.ts';
import { initReportLine } from './invoke/log-frame.ts';
import { createLogger } from './logger.ts';
import { CatalogService } from './lifecycle/service.ts';
import { FunctionRegistry } from './registry.ts';
import { webRoutes, type WebRoutes } from './routes/web.ts'; // [web]
import type { GatewayServices } from './services.ts';
import type { HotReload } from './watch/hot-reload.ts';

export const DEFAULT_PORT = 9000;
/** Loopback unless asked: management needs credentials, but an open port should be a choice (`--host 0.0.0.0`). */
export const DEFAULT_HOST = '127.0.0.1';
const DAY_MS = 24 * 60 * 60 * 1000;
const MB = 1024 * 1024;

export interface GatewayOptions {
  /**
   * Folder holding fngate.yml (or serverless.yml). With `functions`, the folder relative `src` paths resolve
   * from (no manifest is read). @default process.cwd()
   */
  dir?: string;
  /** Inline function definitions: fngate.yml's `functions` section as an object, instead of reading the file. */
  functions?: Record<string, unknown>;
  /** Inline layers: fngate.yml's `layers` section (name → version → folder), with `functions`. */
  layers?: Record<string, Record<string, string>>;
  /** Gateway limits, over fngate.yml's `gateway` section (concurrencyLimit, maxConnections, drainSeconds, asyncAcceptSync …). */
  limits?: GatewayLimits;
  /** Where the SQLite store lives (when no `store` is given) and zipped code is unpacked. @default `<dir>/.fngate` */
  dataDir?: string;
  /** A store opened by the caller (store/index.ts `openStore`); the caller closes it after the gateway. */
  store?: GatewayStore;
  /** A pino logger for the gateway's own logs. @default pino to stdout at FNGATE_LOG_LEVEL (info) */
  logger?: Logger;
  /** Already loaded configuration (tests); read from `dir` or `functions` otherwise. */
  config?: GatewayConfig;
  /**
   * What the management routes (and `invokeAuth: token` functions) accept: an API token and TC3 key pairs,
   * or a CredentialStore of your own (gateway/auth/store.ts). @default FNGATE_API_TOKEN / FNGATE_SECRET_ID /
   * FNGATE_SECRET_KEY when set, the rest generated once into `<dataDir>/credentials.json` (mode 0600)
   */
  credentials?: Credentials | CredentialStore;
  /**
   * Hot reload (`fngate serve --watch`, `fngate dev`): watch `dir` (fngate.yml, code folders and zips, layers)
   * and redeploy what changed; needs a manifest in `dir`. @default false
   */
  watch?: boolean;
  /** startGateway only. @default 9000; 0 picks a free port */
  port?: number;
  /** startGateway only. @default '127.0.0.1' */
  host?: string;
}

/** What the gateway needs of a store: records and logs (the Store contract), the durable async queue and the function catalog. */
export type GatewayStore = Store & { readonly queue: QueueStore; readonly catalog: CatalogStore };

export type GatewayLimits = Partial<Omit<GatewayConfig['gateway'], 'region' | 'appId' | 'uin'>>;

export interface CloseOptions {
  /**
   * Drain first: stop accepting connections, let in-flight requests finish for up to this many ms, closing
   * each connection once idle; then cut what is left. @default 0 (cut at once)
   */
  drainMs?: number;
}

/** A gateway made by createGateway: every way in, none of them listening until `listen`. */
export interface EmbeddedGateway {
  readonly services: GatewayServices;
  readonly config: GatewayConfig;
  /** Invokes a function: its result, or an InvokeError carrying the SCF status code (embed-invoke.ts). */
  invoke(name: string, event?: unknown, options?: InvokeOptions): Promise<unknown>;
  /** The fetch handler of every route (mount it in Hono or any fetch-style framework). */
  fetch(request: Request): Promise<Response>;
  /** A node `request` listener for http.createServer, express or connect; serves upgrades via `upgrade`. */
  readonly listener: RequestListener;
  /** WebSocket upgrades to web functions, for a server made around `listener`. */
  readonly upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Listens on `port` (0: a free one) and `host`; resolves once listening. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops listening, ends every instance, closes the store (unless it was given). Idempotent. */
  close(options?: CloseOptions): Promise<void>;
}

export interface Gateway {
  url: string;
  port: number;
  services: GatewayServices;
  config: GatewayConfig;
  close(options?: CloseOptions): Promise<void>;
}

/** The configuration an options object describes: inline functions, or the manifest in `dir`. */
function configOf(options: GatewayOptions): GatewayConfig {
  if (options.config) return options.config;
  const root = resolve(options.dir ?? process.cwd());
  const config =
    options.functions !== undefined
      ? configFromManifest({ functions: options.functions, layers: options.layers ?? {}, gateway: options.limits ?? {} }, root, '(inline functions)')
      : loadConfig(root);
  return options.limits && options.functions === undefined ? { ...config, gateway: { ...config.gateway, ...options.limits } } : config;
}

/** The credentials given, or those of the environment and the data dir (logged: where, never what). */
function credentialStoreOf(given: GatewayOptions['credentials'], dataDir: string, logger: Logger): CredentialStore {
  if (given !== undefined) return 'verifyToken' in given ? given : new StaticCredentialStore(given);
  const loaded = loadCredentials(process.env, dataDir);
  const where = loaded.file ?? 'the environment';
  logger.info({ credentialsFile: loaded.file, apiToken: loaded.sources.apiToken, keyPair: loaded.sources.keys }, `API credentials (token and TC3 key pair) from ${where}`);
  return loaded.store;
}

/** Builds a whole gateway (store, runtimes, functions, routes) without listening: see EmbeddedGateway. */
export async function createGateway(options: GatewayOptions = {}): Promise<EmbeddedGateway> {
  const logger = options.logger ?? createLogger();
  const config = configOf(options);
  for (const warning of config.warnings) logger.warn(warning);
  const { recordInvocations } = config.gateway;
  if (!recordInvocations) logger.warn('gateway.recordInvocations is off: no invocation records or function logs are kept');
  // Also where zipped code is unpacked, when a store is given.
  const dataDir = options.dataDir ?? join(config.root, '.fngate');
  const ownsStore = options.store === undefined;
  const store =
    options.store ??
    (await openStore({
      dataDir,
      retentionMs: config.gateway.logRetentionDays * DAY_MS,
      logRetentionBytes: config.gateway.logRetentionMb * MB,
      acceptSync: config.gateway.asyncAcceptSync,
      logger,
    }));
  // [web] FNGATE_WEB_SANDBOX = auto (default) | bwrap | none: how web function instances are isolated.
  const adapters = createAdapters({
    web: {
      sandbox: parseSandboxMode(process.env.FNGATE_WEB_SANDBOX),
      onNotice: (message, level) => logger[level](message),
    },
  });
  const globalLimiter = new ConcurrencyLimiter(config.gateway.concurrencyLimit);
  const registry = new FunctionRegistry({
    adapters,
    platform: { region: config.gateway.region, appId: config.gateway.appId, uin: config.gateway.uin },
    sandboxNetwork: config.gateway.sandboxNetwork,
    idleInstanceMs: config.gateway.idleInstanceSeconds * 1000,
    // Zips land in the content-addressed code store (never changed under a running instance; pruned at start).
    prepareCode: (fn) => prepareCode(fn, dataDir),
    onProvisioned: (fn, instance, phases) => {
      if (!recordInvocations) return;
      // A provisioned instance serves no request yet: its report is logged under the instance id.
      const line = initReportLine('Provisioned Report', instance.id, phases);
      store.recordLogs(
        { namespace: fn.config.namespace, functionName: fn.config.name },
        [{ requestId: instance.id, time: Date.now(), line }],
      );
    },
    onBackgroundError: (fn, error) => logger.error({ err: error, function: fn.config.name }, 'instance failed to start'),
  });
  // The function lifecycle (gateway/lifecycle/): the catalog in the store, code under <dataDir>/code.
  const lifecycle = new CatalogService({ catalog: store.catalog, code: new CodeStore({ dataDir }), deployments: registry, logger, totalConcurrency: globalLimiter });
  const invoke = createPipeline({ store, globalLimiter, recordInvocations });
  // [async] durable async queue, topics and timers; started once the functions are deployed
  const asyncService = new AsyncService({ queue: store.queue, registry, globalLimiter, invoke, appId: config.gateway.appId, logger });
  const services: GatewayServices = {
    registry,
    store,
    invoke,
    logger,
    startedAt: Date.now(),
    async: asyncService,
    auth: new Authenticator(credentialStoreOf(options.credentials, dataDir, logger)),
    globalLimiter,
    recordInvocations,
    lifecycle,
    reconciler: lifecycle,
  };
  const servers = new Set<Server>();
  const web: WebRoutes = webRoutes({ services, globalLimiter }); // [web]
  let hotReload: HotReload | undefined;
  let closing: Promise<void> | undefined;
  const close = (closeOptions: CloseOptions = {}): Promise<void> =>
    (closing ??= (async () => {
      await hotReload?.close();
      await Promise.all([...servers].map((listening) => drainServer(listening, closeOptions.drainMs ?? 0)));
      servers.clear();
      web.close(); // [web] upgraded (WebSocket) connections are outside closeAllConnections
      await asyncService.close(); // [async] running attempts finish (or are re-queued) before instances go
      await registry.close();
      await adapters.close();
      if (ownsStore) await store.close();
    })());
  try {
    // fngate.yml applied over the catalog, then what only the catalog holds (API-made functions, versions, aliases).
    await lifecycle.start(config);
    asyncService.start(); // [async]
    followDeployments(registry, asyncService, logger);
    if (options.watch) {
      if (options.functions !== undefined) throw new Error('watch needs a project folder with fngate.yml, not inline functions');
      // Loaded only here: the file watcher (chokidar) is no part of a gateway that does not watch.
      const [{ HotReload }, { CodeChangeReconciler }] = await Promise.all([import('./watch/hot-reload.ts'), import('./watch/reconciler.ts')]);
      // The watcher adds the functions whose code or layer files changed on disk; the catalog applies the rest.
      const reconciler = new CodeChangeReconciler(lifecycle);
      await reconciler.prime(config);
      hotReload = new HotReload({ config, reconciler, logger, ignore: [resolve(dataDir)] });
      await hotReload.start();
      logger.info(`watching ${config.root} for changes (hot reload)`);
    }
  } catch (error) {
    await close();
    throw error;
  }
  // The Hono app (every route but the listener's fast paths, with its OpenAPI schemas) is loaded on
  // first use or right after listening: start-up does not pay for it (gateway/listener.ts).
  let app: Promise<Hono> | undefined;
  const loadApp = (): Promise<Hono> =>
    (app ??= import('./app.ts').then(({ createApp }) => createApp(services, { web }))); // [web]
  const { listener, preload } = gatewayListener({ app: loadApp, services, web });
  const listen = async (port = DEFAULT_PORT, host = DEFAULT_HOST): Promise<{ url: string; port: number }> => {
    if (closing) throw new Error('the gateway is closed');
    const server = await new Promise<Server>((resolve, reject) => {
      const created = createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS }, listener);
      limitConnections(created, connectionLimits(config.gateway));
      created.once('error', reject);
      created.on('upgrade', web.upgrade); // [web] WebSocket upgrades to web functions
      created.listen(port, host, () => resolve(created));
    });
    servers.add(server);
    preload();
    const bound = (server.address() as AddressInfo).port;
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    return { url: `http://${shownHost}:${bound}`, port: bound };
  };
  return {
    services,
    config,
    invoke: (name, event, invokeOptions) => invokeFunction(services, name, event, invokeOptions),
    fetch: async (request: Request) => (await loadApp()).fetch(request),
    listener,
    upgrade: web.upgrade,
    listen,
    close,
  };
}

/**
 * [async] Queues, timers and topic subscriptions follow redeploys: rebuilt once per batch of registry
 * changes (a reload replaces several functions in one turn).
 */
function followDeployments(registry: FunctionRegistry, asyncService: AsyncService, logger: Logger): void {
  let queued = false;
  registry.onChange(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      asyncService.refresh((error) => logger.error(`timer triggers unchanged: ${(error as Error).message}`));
    });
  });
}

/** Drain polls for connections that went idle this often. */
const DRAIN_POLL_MS = 50;

/**
 * Stops accepting at once; closes each connection as soon as it is idle (a response sent, nothing read);
 * after `drainMs` cuts the rest. Keep-alive sockets (load generators, clients) must not hold shutdown open.
 */
function drainServer(server: Server, drainMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  if (drainMs <= 0) {
    server.closeAllConnections();
    return closed;
  }
  const poll = setInterval(() => server.closeIdleConnections(), DRAIN_POLL_MS);
  const deadline = setTimeout(() => server.closeAllConnections(), drainMs);
  return closed.finally(() => {
    clearInterval(poll);
    clearTimeout(deadline);
  });
}

function connectionLimits(gateway: GatewayConfig['gateway']): ConnectionLimits {
  return {
    maxConnections: gateway.maxConnections ?? defaultMaxConnections(),
    headersTimeoutMs: gateway.headersTimeoutSeconds * 1000,
    requestTimeoutMs: gateway.requestTimeoutSeconds * 1000,
    keepAliveTimeoutMs: gateway.keepAliveTimeoutSeconds * 1000,
  };
}

/** createGateway, then listen on `options.port` and `options.host` (what `fngate serve` runs). */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const gateway = await createGateway(options);
  try {
    const { url, port } = await gateway.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST);
    return { url, port, services: gateway.services, config: gateway.config, close: gateway.close };
  } catch (error) {
    await gateway.close();
    throw error;
  }
}
