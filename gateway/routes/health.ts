import { Hono } from 'hono';
import type { GatewayServices } from '../services.ts';

export function healthRoutes(services: GatewayServices): Hono {
  const app = new Hono();
  app.get('/healthz', (c) =>
    c.json({
      status: 'ok',
      uptimeMs: Date.now() - services.startedAt,
      functions: services.registry.list().length,
    }),
  );
  return app;
}
