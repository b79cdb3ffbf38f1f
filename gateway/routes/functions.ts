/** Read-only management API: functions, their instances and their logs. */
import { Hono } from 'hono';
import { DEFAULT_NAMESPACE, type DeployedFunction } from '../registry.ts';
import { errorResponse } from '../respond.ts';
import type { GatewayServices } from '../services.ts';
import { FnError } from '../errors.ts';

/** Most log lines one request returns. */
export const MAX_LOG_LIMIT = 10_000;
export const DEFAULT_LOG_LIMIT = 1000;

function describe(fn: DeployedFunction): Record<string, unknown> {
  const { config } = fn;
  return {
    namespace: config.namespace,
    name: config.name,
    version: fn.version,
    description: config.description,
    runtime: config.runtime,
    type: config.type,
    handler: config.handler,
    memorySize: config.memoryMb,
    timeout: config.timeoutMs / 1000,
    initTimeout: config.initTimeoutMs / 1000,
    reservedConcurrency: config.reservedConcurrency,
    provisionedConcurrency: config.provisionedConcurrency,
    instances: fn.pool.size,
    inFlight: fn.limiter.inFlight,
    coldStarts: fn.pool.coldStarts,
  };
}

export function functionRoutes(services: GatewayServices): Hono {
  const app = new Hono();
  const lookup = (name: string, namespace: string | undefined): DeployedFunction =>
    services.registry.lookup(namespace || DEFAULT_NAMESPACE, name);

  app.get('/functions', (c) => c.json({ functions: services.registry.list().map(describe) }));

  app.get('/functions/:name', (c) => {
    try {
      const fn = lookup(c.req.param('name'), c.req.query('namespace'));
      return c.json({ ...describe(fn), environment: fn.config.environment, events: fn.config.events });
    } catch (error) {
      return errorResponse(c, error, '');
    }
  });

  app.get('/functions/:name/instances', (c) => {
    try {
      const fn = lookup(c.req.param('name'), c.req.query('namespace'));
      const now = Date.now();
      return c.json({
        instances: fn.pool.info().map((info) => ({ ...info, ageMs: now - info.createdAt })),
      });
    } catch (error) {
      return errorResponse(c, error, '');
    }
  });

  app.get('/functions/:name/logs', async (c) => {
    try {
      const fn = lookup(c.req.param('name'), c.req.query('namespace'));
      const limitText = c.req.query('limit');
      const limit = limitText === undefined ? DEFAULT_LOG_LIMIT : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_LIMIT) {
        throw new FnError('INVALID_PARAMETER', `limit must be an integer from 1 to ${MAX_LOG_LIMIT}`);
      }
      // Logs are written in batches; make this read see every invocation that already answered.
      await services.store.flush();
      const lines = services.store.getLogs({
        namespace: fn.config.namespace,
        functionName: fn.config.name,
        requestId: c.req.query('requestId') || undefined,
        limit,
      });
      return c.json({ namespace: fn.config.namespace, name: fn.config.name, lines });
    } catch (error) {
      return errorResponse(c, error, '');
    }
  });

  return app;
}
