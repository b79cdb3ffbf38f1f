import type { OpenAPIHono } from '@hono/zod-openapi';
import { apiApp, jsonResponse, openapiRoute, z } from '../openapi.ts';
import { HEALTH_PATH, healthOf } from '../health.ts';
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
      path: HEALTH_PATH,
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
      const { status, body } = await healthOf(services);
      return c.json(body, status);
    },
  );
  return app;
}
