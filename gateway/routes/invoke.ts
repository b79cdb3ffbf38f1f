/**
 * `POST /functions/{name}/invoke` in the Hono app (the node listener serves the same API faster:
 * listener.ts; both answer through invoke-api.ts). Its description here covers both.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { callerOf } from '../auth/guard.ts';
import { readBody } from '../body.ts';
import { INVOCATION_TYPE_HEADER, invokeApi } from '../invoke-api.ts';
import { apiApp, errorResponses, EXAMPLE_REQUEST_ID, functionNameParam, jsonResponse, namespaceParam, openapiRoute, requestIdHeader, valid, z } from '../openapi.ts';
import { ERROR_TYPE_HEADER, REQUEST_ID_HEADER, VERSION_HEADER } from '../respond.ts';
import type { GatewayServices } from '../services.ts';

export { INVOCATION_TYPE_HEADER };

const InvokeParams = z.object({ name: functionNameParam });
const InvokeQuery = z.object({
  namespace: namespaceParam,
  qualifier: z.string().optional().openapi({ description: 'Version or alias (default $LATEST)', example: '$LATEST' }),
});
const InvokeHeaders = z.object({
  [INVOCATION_TYPE_HEADER]: z
    .enum(['RequestResponse', 'Event'], { error: 'must be RequestResponse or Event' })
    .optional()
    .openapi({ description: 'RequestResponse (sync, the default) or Event (async: 202 once the event is stored)', example: 'RequestResponse' }),
});
const EventSchema = z.unknown().openapi('Event', {
  description: 'The event: any JSON value (an empty body is {}); at most 6 MB, 128 KB for Event invocations',
  example: { name: 'fngate' },
});
const ResultSchema = z.unknown().openapi('InvokeResult', { description: "The function's return value, JSON-serialised", example: { message: 'Hello, fngate!' } });
const invokedHeaders = requestIdHeader.extend({
  [VERSION_HEADER]: z.string().openapi({ description: 'The version that ran: $LATEST or a version number (an alias resolved to one)', example: '$LATEST' }),
});
const AcceptedSchema = z.object({ RequestId: z.string() }).openapi('InvokeAccepted', { example: { RequestId: EXAMPLE_REQUEST_ID } });

export function invokeRoutes(services: GatewayServices): OpenAPIHono {
  const app = apiApp();
  openapiRoute(
    app,
    {
      method: 'post',
      path: '/functions/{name}/invoke',
      operationId: 'invokeFunction',
      tags: ['invoke'],
      summary: 'Invoke a function',
      description:
        'Sync (RequestResponse) answers with the result or the SCF error object and its status; async (Event) stores the event durably and answers 202 with its request ID (follow it with GET /async-events/{requestId}).',
      request: {
        params: InvokeParams,
        query: InvokeQuery,
        headers: InvokeHeaders,
        body: { description: 'The event', content: { 'application/json': { schema: EventSchema, example: { name: 'fngate' } } } },
      },
      responses: {
        200: jsonResponse("The function's result", ResultSchema, { message: 'Hello, fngate!' }, invokedHeaders),
        202: jsonResponse('Event invocation accepted', AcceptedSchema, { RequestId: EXAMPLE_REQUEST_ID }, requestIdHeader),
        ...errorResponses(
          'EVENT_NOT_JSON',
          'REQUEST_TOO_LARGE',
          'RESPONSE_TOO_LARGE',
          'USER_CODE_EXCEPTION',
          'CONCURRENCY_LIMIT',
          'ASYNC_QUEUE_FULL',
          'TIMEOUT',
          'MEMORY_LIMIT',
          'FUNCTION_NOT_FOUND',
          'INVALID_PARAMETER',
          'HANDLER_NOT_FOUND',
          'USER_PROCESS_EXITED',
          'QUALIFIER_NOT_FOUND',
          'USER_CODE_LOAD_ERROR',
          'NOT_LISTENING',
          'INIT_TIMEOUT',
          'CANCELLED',
          'INTERNAL',
        ),
      },
    },
    async (c) => {
      const query = valid(c, 'query', InvokeQuery);
      const answer = await invokeApi(services, {
        name: valid(c, 'param', InvokeParams).name,
        namespace: query.namespace,
        qualifier: query.qualifier,
        invocationType: valid(c, 'header', InvokeHeaders)[INVOCATION_TYPE_HEADER],
        readBody: (limit) => readBody(c, limit),
        caller: callerOf(c),
      });
      c.header(REQUEST_ID_HEADER, answer.requestId);
      if (answer.errorType) c.header(ERROR_TYPE_HEADER, answer.errorType);
      if (answer.version) c.header(VERSION_HEADER, answer.version);
      c.header('Content-Type', 'application/json; charset=utf-8');
      return c.body(answer.body, answer.status as ContentfulStatusCode);
    },
  );
  return app;
}
