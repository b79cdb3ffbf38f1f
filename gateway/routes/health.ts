import type { OpenAPIHono } from '@hono/zod-openapi';
import { apiApp, jsonResponse, openapiRoute, z } from '../openapi.ts';
import { HEALTH_PATH, healthOf } from '../health.ts';
import type { GatewayServices } from '../services.ts';

const HealthSchema = z
  .object({
    status: z.literal('ok'),
    uptimeMs: z.number().int().openapi({ description: 'Milliseconds since the gateway started' }),
    functions: z.number().int().openapi({ description: 'Deployed functions' }),
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
      summary: 'Liveness: the gateway answers and how many functions it serves',
      responses: { 200: jsonResponse('The gateway is up', HealthSchema, { status: 'ok', uptimeMs: 51234, functions: 4 }) },
    },
    (c) => c.json(healthOf(services)),
  );
  return app;
}
