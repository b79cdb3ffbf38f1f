import type { OpenAPIHono } from '@hono/zod-openapi';
import { apiApp, jsonResponse, openapiRoute, z } from '../openapi.ts';
import type { GatewayServices } from '../services.ts';

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'unhealthy']),
    uptimeMs: z.number().int().openapi({ description: 'Milliseconds since the gateway started' }),
    functions: z.number().int().openapi({ description: 'Deployed functions' }),
    store: z.string().optional().openapi({ description: 'Why the store cannot take writes (disk full, read-only …), when it cannot' }),
  })
  .openapi('Health');

export function healthRoutes(services: GatewayServices): OpenAPIHono {
  const app = apiApp();
  openapiRoute(
    app,
    {
      method: 'get',
      path: '/healthz',
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'Liveness: the gateway answers, its store takes writes, and how many functions it serves',
      responses: {
        200: jsonResponse('The gateway is up', HealthSchema, { status: 'ok', uptimeMs: 51234, functions: 4 }),
        503: jsonResponse('The store cannot take writes: async accepts and logs would be lost', HealthSchema, {
          status: 'unhealthy',
          uptimeMs: 51234,
          functions: 4,
          store: 'database or disk is full',
        }),
      },
    },
    async (c) => {
      const facts = { uptimeMs: Date.now() - services.startedAt, functions: services.registry.list().length };
      try {
        // A real write (cached for a second): a full or read-only data dir must not look healthy.
        await services.store.checkWritable();
      } catch (error) {
        return c.json({ status: 'unhealthy' as const, ...facts, store: error instanceof Error ? error.message : String(error) }, 503);
      }
      return c.json({ status: 'ok' as const, ...facts }, 200);
    },
  );
  return app;
}
