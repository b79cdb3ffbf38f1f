/** `POST /functions/{name}/invoke`: the synchronous and (`X-Fn-Invocation-Type: Event`) asynchronous invoke API. */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { MAX_SYNC_PAYLOAD_BYTES, readBodyText, validateEventJson } from '../body.ts';
import { FnError } from '../errors.ts';
import { newInvocation } from '../invoke/invocation.ts';
import { DEFAULT_NAMESPACE, LATEST } from '../registry.ts';
import { errorResponse, jsonTextResponse, REQUEST_ID_HEADER } from '../respond.ts';
import type { GatewayServices } from '../services.ts';
import { acceptAsyncInvoke } from './async-events.ts'; // [async]

export const INVOCATION_TYPE_HEADER = 'X-Fn-Invocation-Type';

export function invokeRoutes(services: GatewayServices): Hono {
  const app = new Hono();
  app.post('/functions/:name/invoke', async (c) => {
    const requestId = randomUUID();
    try {
      const invocationType = c.req.header(INVOCATION_TYPE_HEADER) ?? 'RequestResponse';
      if (invocationType === 'Event') return await acceptAsyncInvoke(c, services, requestId); // [async]
      if (invocationType !== 'RequestResponse') {
        throw new FnError('INVALID_PARAMETER', `unsupported ${INVOCATION_TYPE_HEADER}: ${invocationType}`);
      }
      const payload = validateEventJson(await readBodyText(c, MAX_SYNC_PAYLOAD_BYTES));
      const fn = services.registry.lookup(
        c.req.query('namespace') || DEFAULT_NAMESPACE,
        c.req.param('name'),
        c.req.query('qualifier') || LATEST,
      );
      const result = await services.invoke(newInvocation({ requestId, fn, payload, mode: 'sync' }));
      c.header(REQUEST_ID_HEADER, requestId);
      return jsonTextResponse(c, result);
    } catch (error) {
      return errorResponse(c, error, requestId);
    }
  });
  return app;
}
