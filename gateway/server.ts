/**
 * Starts and stops a whole gateway: store, runtimes, functions, HTTP server. Every resource made here
 * is ended by `close()`.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { createAdapters } from '../runtimes/index.ts';
import { parseSandboxMode } from '../runtimes/web/index.ts'; // [web]
import { openStore } from '../store/index.ts';
import { AsyncService } from './async/service.ts'; // [async]
import { createApp } from './app.ts';
import { gatewayListener } from './listener.ts';
import { prepareCode } from './code.ts';
import { ConcurrencyLimiter } from './concurrency.ts';
import { loadConfig, type GatewayConfig } from './config.ts';
import { createPipeline } from './invoke/pipeline.ts';
import { initReportLine } from './invoke/log-frame.ts';
import { createLogger } from './logger.ts';
import { FunctionRegistry } from './registry.ts';
import { webRoutes, type WebRoutes } from './routes/web.ts'; // [web]
import type { GatewayServices } from './services.ts';

export const DEFAULT_PORT = 9000;
export const DEFAULT_HOST = '0.0.0.0';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface GatewayOptions {
  /** Folder holding fngate.yml (or serverless.yml). */
  dir: string;
  /** @default 9000; 0 picks a free port */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** @default `<dir>/.fngate` */
  dataDir?: string;
  logger?: Logger;
  /** Already loaded configuration (tests); read from `dir` otherwise. */
  config?: GatewayConfig;
}

export interface Gateway {
  url: string;
  port: number;
  services: GatewayServices;
  config: GatewayConfig;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? createLogger();
  const config = options.config ?? loadConfig(options.dir);
  for (const warning of config.warnings) logger.warn(warning);
  const dataDir = options.dataDir ?? join(config.root, '.fngate');
  const store = await openStore({ dataDir, retentionMs: config.gateway.logRetentionDays * DAY_MS, logger });
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
    idleInstanceMs: config.gateway.idleInstanceSeconds * 1000,
    prepareCode: (fn) => prepareCode(fn, dataDir),
    onProvisioned: (fn, instance, phases) => {
      // A provisioned instance serves no request yet: its report is logged under the instance id.
      const line = initReportLine('Provisioned Report', instance.id, phases);
      store.recordLogs(
        { namespace: fn.config.namespace, functionName: fn.config.name },
        [{ requestId: instance.id, time: Date.now(), line }],
      );
    },
    onBackgroundError: (fn, error) => logger.error({ err: error, function: fn.config.name }, 'instance failed to start'),
  });
  const invoke = createPipeline({ store, globalLimiter });
  // [async] durable async queue, topics and timers; started once the functions are deployed
  const asyncService = new AsyncService({ queue: store.queue, registry, globalLimiter, invoke, appId: config.gateway.appId, logger });
  const services: GatewayServices = {
    registry,
    store,
    invoke,
    logger,
    startedAt: Date.now(),
    async: asyncService,
  };
  let server: Server | undefined;
  const web: WebRoutes = webRoutes({ services, globalLimiter }); // [web]
  const close = async (): Promise<void> => {
    const listening = server;
    server = undefined;
    if (listening) {
      const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
      // Keep-alive sockets (load generators, clients) must not hold shutdown open.
      listening.closeAllConnections();
      web.close(); // [web] upgraded (WebSocket) connections are outside closeAllConnections
      await closed;
    }
    await asyncService.close(); // [async] running attempts finish (or are re-queued) before instances go
    await registry.close();
    await adapters.close();
    await store.close();
  };
  try {
    await registry.deploy(config.functions);
    asyncService.start(); // [async]
    const app = createApp(services, { web }); // [web]
    server = await new Promise<Server>((resolve, reject) => {
      const created = createServer(gatewayListener({ app, services, web }));
      created.once('error', reject);
      created.on('upgrade', web.upgrade); // [web] WebSocket upgrades to web functions
      created.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST, () => resolve(created));
    });
  } catch (error) {
    await close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? DEFAULT_HOST;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    services,
    config,
    close,
  };
}
