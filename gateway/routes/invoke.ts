/** `POST /functions/{name}/invoke` in the Hono app (the node listener serves the same API faster: listener.ts). */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { readBody } from '../body.ts';
import { INVOCATION_TYPE_HEADER, invokeApi } from '../invoke-api.ts';
import { ERROR_TYPE_HEADER, REQUEST_ID_HEADER } from '../respond.ts';
import type { GatewayServices } from '../services.ts';

export { INVOCATION_TYPE_HEADER };

export function invokeRoutes(services: GatewayServices): Hono {
  const app = new Hono();
  app.post('/functions/:name/invoke', async (c) => {
    const answer = await invokeApi(services, {
      name: c.req.param('name'),
      namespace: c.req.query('namespace'),
      qualifier: c.req.query('qualifier'),
      invocationType: c.req.header(INVOCATION_TYPE_HEADER),
      readBody: (limit) => readBody(c, limit),
    });
    c.header(REQUEST_ID_HEADER, answer.requestId);
    if (answer.errorType) c.header(ERROR_TYPE_HEADER, answer.errorType);
    c.header('Content-Type', 'application/json; charset=utf-8');
    return c.body(answer.body, answer.status as ContentfulStatusCode);
  });
  return app;
}
