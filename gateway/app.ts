/** The Hono application: every route of the gateway, and the fallbacks for unknown routes and faults. */
import { Hono } from 'hono';
import { errorResponse } from './respond.ts';
import { apigwRoutes } from './routes/apigw.ts';
import { functionRoutes } from './routes/functions.ts';
import { healthRoutes } from './routes/health.ts';
import { invokeRoutes } from './routes/invoke.ts';
import type { GatewayServices } from './services.ts';

export function createApp(services: GatewayServices): Hono {
  const app = new Hono();
  app.route('/', healthRoutes(services));
  app.route('/', invokeRoutes(services));
  app.route('/', functionRoutes(services));
  // Configured API gateway endpoints come after the built-in routes, which they cannot shadow.
  app.route('/', apigwRoutes(services));
  app.notFound((c) =>
    c.json({ errorCode: -1, errorMessage: `no route for ${c.req.method} ${c.req.path}`, statusCode: 404 }, 404),
  );
  app.onError((error, c) => {
    services.logger.error({ err: error, path: c.req.path }, 'unhandled error in a route');
    return errorResponse(c, error, '');
  });
  return app;
}
