/** The Hono application: every route of the gateway, and the fallbacks for unknown routes and faults. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono, MiddlewareHandler } from 'hono';
import type { BlankEnv } from 'hono/types';
import { managementGuard, routeMatcher } from './auth/guard.ts';
import { errorResponse } from './respond.ts';
import { apigwRoutes } from './routes/apigw.ts';
import type { WebPassThrough } from './routes/apigw-endpoints.ts';
import { asyncEventRoutes } from './routes/async-events.ts'; // [async]
import { functionRoutes } from './routes/functions.ts';
import { healthRoutes } from './routes/health.ts';
import { invokeRoutes } from './routes/invoke.ts';
import { lifecycleFunctionRoutes } from './routes/lifecycle-functions.ts';
import { lifecycleResourceRoutes } from './routes/lifecycle-resources.ts';
import { addOpenApiRoute } from './openapi.ts';
import { topicRoutes } from './routes/topics.ts'; // [async]
import { tcapiRoutes } from './tcapi/route.ts';
import type { GatewayServices } from './services.ts';

export interface AppOptions {
  /** [web] Web function routing (gateway/routes/web.ts): mounted first, so a matching Host wins. */
  web?: { middleware: MiddlewareHandler; passThrough?: WebPassThrough };
}

export function createApp(services: GatewayServices, options: AppOptions = {}): Hono {
  // The REST routes are described at GET /openapi.json (openapi.ts); user-configured routes are not.
  const app = new OpenAPIHono<BlankEnv>();
  if (options.web) app.use('*', options.web.middleware); // [web]
  // Management routes need credentials (gateway/auth/); invoking, health, the OpenAPI description, web
  // functions and configured API gateway endpoints are open (invoke per function: invokeAuth).
  const management = [
    functionRoutes(services),
    lifecycleFunctionRoutes(services),
    lifecycleResourceRoutes(services),
    asyncEventRoutes(services), // [async]
    topicRoutes(services), // [async]
  ];
  const isManagement = routeMatcher(management);
  app.use('*', managementGuard(services.auth, isManagement));
  app.route('/', healthRoutes(services));
  app.route('/', invokeRoutes(services));
  app.route('/', tcapiRoutes(services)); // TencentCloud API 3.0: POST / with X-TC-Action (signed, answers its own auth errors)
  for (const routes of management) app.route('/', routes);
  addOpenApiRoute(app, isManagement);
  // Configured API gateway endpoints come after the built-in routes, which they cannot shadow.
  app.route('/', apigwRoutes(services, { webPassThrough: options.web?.passThrough }));
  app.notFound((c) =>
    c.json({ errorCode: -1, errorMessage: `no route for ${c.req.method} ${c.req.path}`, statusCode: 404 }, 404),
  );
  app.onError((error, c) => {
    services.logger.error({ err: error, path: c.req.path }, 'unhandled error in a route');
    return errorResponse(c, error, '');
  });
  return app;
}
