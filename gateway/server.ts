/**
 * Starts and stops a whole gateway: store, runtimes, functions, HTTP server. Every resource made here
 * is ended by `close()`.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { createAdapters } from '../runtimes/index.ts';
import { openStore } from '../store/index.ts';
import { createApp } from './app.ts';
import { prepareCode } from './code.ts';
import { ConcurrencyLimiter } from './concurrency.ts';
import { loadConfig, type GatewayConfig } from './config.ts';
import { createPipeline } from './invoke/pipeline.ts';
import { initReportLine } from './invoke/log-frame.ts';
import { createLogger } from './logger.ts';
import { FunctionRegistry } from './registry.ts';
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
  const adapters = createAdapters();
  const globalLimiter = new ConcurrencyLimiter(config.gateway.concurrencyLimit);
  const registry = new FunctionRegistry({
    adapters,
    platform: { region: config.gateway.region, appId: config.gateway.appId, uin: config.gateway.uin },
    idleInstanceMs: config.gateway.idleInstanceSeconds * 1000,
    prepareCode: (fn) => prepareCode(fn, dataDir),
    onProvisioned: (fn, instance, phases) => {
      const line = initReportLine('Provisioned Report', instance.id, phases);
      store.recordInvocation(
        {
          requestId: instance.id,
          namespace: fn.config.namespace,
          functionName: fn.config.name,
          version: fn.version,
          mode: 'async',
          startedAt: Date.now(),
          durationMs: 0,
          billedDurationMs: 0,
          memoryMb: fn.config.memoryMb,
          memUsageBytes: instance.memoryUsage(),
          statusCode: 200,
          errorMessage: undefined,
          coldStart: phases,
        },
        [{ requestId: instance.id, time: Date.now(), line }],
      );
    },
    onBackgroundError: (fn, error) => logger.error({ err: error, function: fn.config.name }, 'instance failed to start'),
  });
  const services: GatewayServices = {
    registry,
    store,
    invoke: createPipeline({ store, globalLimiter }),
    logger,
    startedAt: Date.now(),
  };
  let server: ServerType | undefined;
  const close = async (): Promise<void> => {
    const listening = server;
    server = undefined;
    if (listening) {
      const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
      // Keep-alive sockets (load generators, clients) must not hold shutdown open.
      if ('closeAllConnections' in listening) listening.closeAllConnections();
      await closed;
    }
    await registry.close();
    await adapters.close();
    await store.close();
  };
  try {
    await registry.deploy(config.functions);
    const app = createApp(services);
    server = await new Promise<ServerType>((resolve, reject) => {
      const created = serve(
        { fetch: app.fetch, port: options.port ?? DEFAULT_PORT, hostname: options.host ?? DEFAULT_HOST },
        () => resolve(created),
      );
      created.once('error', reject);
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
