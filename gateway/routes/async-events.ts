/**
 * Async invocation over HTTP (accepting `X-Fn-Invocation-Type: Event` invokes is in gateway/invoke-api.ts):
 * the async event records, termination, queue depths and the dead-letter queue.
 *
 *   GET    /async-events?function=&namespace=&status=&limit=   newest first
 *   GET    /async-events/{requestId}                             one event, its attempts, event and result
 *   DELETE /async-events/{requestId}                             terminate a queued or running event
 *   GET    /async-queues                                         depth of each function's queue
 *   GET    /dead-letters?function=&namespace=&limit=             oldest first, with the events
 *   POST   /dead-letters/{requestId}/redrive                     back to the queue, fresh retries and age
 *   POST   /dead-letters/redrive?function=&namespace=            all of a function's dead letters
 *   DELETE /dead-letters?function=&namespace=                    purge (they become `failed`)
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AsyncEventRecord, AttemptEntry } from '../../store/queue-statements.ts';
import { ASYNC_EVENT_STATUSES } from '../../store/queue-statements.ts';
import { FnError } from '../errors.ts';
import { apiApp, errorResponses, EXAMPLE_REQUEST_ID, jsonResponse, limitParam, namespaceParam, openapiRoute, valid, z } from '../openapi.ts';
import { DEFAULT_NAMESPACE, LATEST } from '../registry.ts';
import type { GatewayServices } from '../services.ts';

export const DEFAULT_EVENT_LIMIT = 100;
export const MAX_EVENT_LIMIT = 1000;

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

function parseJson(text: string | null): unknown {
  if (text === null || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function attemptView(entry: AttemptEntry): Record<string, unknown> {
  return {
    attempt: entry.attempt,
    outcome: entry.outcome,
    startedAt: iso(entry.startedAt),
    endedAt: iso(entry.endedAt),
    durationMs: entry.durationMs ?? null,
    statusCode: entry.statusCode ?? null,
    ...(entry.errorMessage === undefined ? {} : { errorMessage: entry.errorMessage }),
  };
}

/** The JSON shape of an event; `full` adds the event itself and the result. */
export function eventView(record: AsyncEventRecord, full: boolean): Record<string, unknown> {
  const waiting = record.status === 'queued' || record.status === 'retrying';
  return {
    RequestId: record.requestId,
    namespace: record.namespace,
    function: record.functionName,
    qualifier: record.qualifier,
    source: record.source,
    status: record.status,
    enqueuedAt: iso(record.enqueuedAt),
    nextAttemptAt: waiting ? iso(record.availableAt) : null,
    leaseUntil: iso(record.leaseUntil),
    finishedAt: iso(record.finishedAt),
    attemptCount: record.attempts,
    retriesSpent: record.failures,
    throttles: record.throttles,
    redrives: record.redrives,
    statusCode: record.lastStatusCode,
    errorMessage: record.lastError,
    deadReason: record.deadReason,
    attempts: record.history.map(attemptView),
    ...(full ? { event: parseJson(record.payload), result: parseJson(record.result) } : {}),
  };
}

const StatusSchema = z.enum(ASYNC_EVENT_STATUSES as [string, ...string[]], {
  error: (issue) => `unknown status "${String(issue.input)}" (one of ${ASYNC_EVENT_STATUSES.join(', ')})`,
});

const AttemptSchema = z
  .object({
    attempt: z.number().int(),
    outcome: z.enum(['succeeded', 'failed', 'throttled', 'interrupted', 'terminated', 'redriven']),
    startedAt: z.string().nullable().openapi({ format: 'date-time' }),
    endedAt: z.string().nullable().openapi({ format: 'date-time' }),
    durationMs: z.number().nullable(),
    statusCode: z.number().int().nullable(),
    errorMessage: z.string().optional(),
  })
  .openapi('AsyncAttempt');

const AsyncEventSchema = z
  .object({
    RequestId: z.string(),
    namespace: z.string(),
    function: z.string(),
    qualifier: z.string(),
    source: z.string().openapi({ description: 'invoke, timer:<trigger>, cmq:<topic> or ckafka:<topic>' }),
    status: StatusSchema,
    enqueuedAt: z.string().nullable().openapi({ format: 'date-time' }),
    nextAttemptAt: z.string().nullable().openapi({ format: 'date-time' }),
    leaseUntil: z.string().nullable().openapi({ format: 'date-time' }),
    finishedAt: z.string().nullable().openapi({ format: 'date-time' }),
    attemptCount: z.number().int(),
    retriesSpent: z.number().int(),
    throttles: z.number().int(),
    redrives: z.number().int(),
    statusCode: z.number().int().nullable(),
    errorMessage: z.string().nullable(),
    deadReason: z.string().nullable(),
    attempts: z.array(AttemptSchema),
  })
  .openapi('AsyncEvent');

const AsyncEventFullSchema = AsyncEventSchema.extend({
  event: z.unknown().openapi({ description: 'The event' }),
  result: z.unknown().openapi({ description: 'The result of the successful attempt, else null' }),
}).openapi('AsyncEventWithPayload');

const eventExample = {
  RequestId: EXAMPLE_REQUEST_ID,
  namespace: 'default',
  function: 'hello',
  qualifier: '$LATEST',
  source: 'invoke',
  status: 'succeeded',
  enqueuedAt: '2026-11-29T14:00:00.000Z',
  nextAttemptAt: null,
  leaseUntil: null,
  finishedAt: '2026-11-29T14:00:00.120Z',
  attemptCount: 1,
  retriesSpent: 0,
  throttles: 0,
  redrives: 0,
  statusCode: 200,
  errorMessage: null,
  deadReason: null,
  attempts: [{ attempt: 1, outcome: 'succeeded', startedAt: '2026-11-29T14:00:00.010Z', endedAt: '2026-11-29T14:00:00.120Z', durationMs: 110, statusCode: 200 }],
};
const fullExample = { ...eventExample, event: { name: 'fngate' }, result: { message: 'Hello, fngate!' } };
const deadExample = {
  ...fullExample,
  status: 'dead',
  statusCode: 430,
  errorMessage: 'user code exception caught',
  deadReason: 'retries exhausted',
  result: null,
  attempts: [{ attempt: 1, outcome: 'failed', startedAt: '2026-11-29T14:00:00.010Z', endedAt: '2026-11-29T14:00:00.120Z', durationMs: 110, statusCode: 430, errorMessage: 'user code exception caught' }],
};

const QueueSchema = z
  .object({
    namespace: z.string(),
    functionName: z.string(),
    qualifier: z.string(),
    deployed: z.boolean(),
    pending: z.number().int().openapi({ description: 'ready + delayed + running' }),
    ready: z.number().int(),
    delayed: z.number().int(),
    running: z.number().int(),
  })
  .openapi('AsyncQueue');

const RequestIdParams = z.object({ requestId: z.string().min(1).openapi({ description: 'The request ID of the async event', example: EXAMPLE_REQUEST_ID }) });
const functionRequired = z
  .string({ error: 'is required' })
  .min(1, { error: 'is required' })
  .openapi({ description: 'Function name', example: 'hello' });
const EventsQuery = z.object({
  function: z.string().optional().openapi({ description: 'Only this function', example: 'hello' }),
  namespace: namespaceParam,
  status: StatusSchema.optional().openapi({ description: 'Only events in this status', example: 'dead' }),
  limit: limitParam(MAX_EVENT_LIMIT, DEFAULT_EVENT_LIMIT),
});
const DeadLettersQuery = z.object({ function: functionRequired, namespace: namespaceParam, limit: limitParam(MAX_EVENT_LIMIT, DEFAULT_EVENT_LIMIT) });
const FunctionQuery = z.object({ function: functionRequired, namespace: namespaceParam });
const RedriveAllQuery = FunctionQuery.extend({
  qualifier: z.string().optional().openapi({ description: 'Version or alias the redriven events run on (default $LATEST)', example: '$LATEST' }),
});

export function asyncEventRoutes(services: GatewayServices): OpenAPIHono {
  const app = apiApp();
  const { queue, dispatcher } = services.async;

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/async-events',
      operationId: 'listAsyncEvents',
      tags: ['async'],
      summary: 'Async events, newest first',
      request: { query: EventsQuery },
      responses: {
        200: jsonResponse('The events', z.object({ events: z.array(AsyncEventSchema) }), { events: [eventExample] }),
        ...errorResponses('INVALID_PARAMETER'),
      },
    },
    async (c) => {
      const query = valid(c, 'query', EventsQuery);
      const functionName = query.function || undefined;
      await queue.flush();
      const events = queue.list({
        namespace: functionName === undefined ? undefined : query.namespace || DEFAULT_NAMESPACE,
        functionName,
        status: query.status as AsyncEventRecord['status'] | undefined,
        limit: query.limit,
      });
      return c.json({ events: events.map((record) => eventView(record, false)) });
    },
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/async-events/{requestId}',
      operationId: 'getAsyncEvent',
      tags: ['async'],
      summary: 'One async event, its attempts, the event and the result',
      request: { params: RequestIdParams },
      responses: {
        200: jsonResponse('The event', AsyncEventFullSchema, fullExample),
        ...errorResponses('ASYNC_EVENT_NOT_FOUND'),
      },
    },
    async (c) => {
      const { requestId } = valid(c, 'param', RequestIdParams);
      await queue.flush();
      const record = queue.get(requestId);
      if (record === undefined) throw new FnError('ASYNC_EVENT_NOT_FOUND', `no async event with request ID ${requestId}`);
      return c.json(eventView(record, true));
    },
  );

  openapiRoute(
    app,
    {
      method: 'delete',
      path: '/async-events/{requestId}',
      operationId: 'terminateAsyncEvent',
      tags: ['async'],
      summary: 'Terminate a queued or running async event',
      request: { params: RequestIdParams },
      responses: {
        200: jsonResponse('Terminated; the status it ended in', z.object({ RequestId: z.string(), status: StatusSchema }), { RequestId: EXAMPLE_REQUEST_ID, status: 'terminated' }),
        ...errorResponses('ASYNC_EVENT_NOT_FOUND', 'INVALID_PARAMETER'),
      },
    },
    async (c) => {
      const { requestId } = valid(c, 'param', RequestIdParams);
      const status = await dispatcher.terminate(requestId);
      return c.json({ RequestId: requestId, status });
    },
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/async-queues',
      operationId: 'listAsyncQueues',
      tags: ['async'],
      summary: "The depth of each function's async queue",
      responses: {
        200: jsonResponse('The queues', z.object({ queues: z.array(QueueSchema) }), {
          queues: [{ namespace: 'default', functionName: 'hello', qualifier: '$LATEST', deployed: true, pending: 3, ready: 1, delayed: 1, running: 1 }],
        }),
      },
    },
    (c) => c.json({ queues: dispatcher.stats() }),
  );

  openapiRoute(
    app,
    {
      method: 'get',
      path: '/dead-letters',
      operationId: 'listDeadLetters',
      tags: ['dead-letters'],
      summary: "A function's dead letters, oldest first, with their events",
      request: { query: DeadLettersQuery },
      responses: {
        200: jsonResponse('The dead letters', z.object({ deadLetters: z.array(AsyncEventFullSchema) }), { deadLetters: [deadExample] }),
        ...errorResponses('INVALID_PARAMETER'),
      },
    },
    async (c) => {
      const query = valid(c, 'query', DeadLettersQuery);
      await queue.flush();
      const letters = queue.deadLetters({ namespace: query.namespace || DEFAULT_NAMESPACE, functionName: query.function, limit: query.limit });
      return c.json({ deadLetters: letters.map((record) => eventView(record, true)) });
    },
  );

  openapiRoute(
    app,
    {
      method: 'post',
      path: '/dead-letters/redrive',
      operationId: 'redriveDeadLetters',
      tags: ['dead-letters'],
      summary: "Put a function's dead letters back in its queue, as many as it has room for",
      request: { query: RedriveAllQuery },
      responses: {
        200: jsonResponse(
          'Redriven',
          z.object({ redriven: z.number().int(), left: z.number().int().openapi({ description: 'Dead letters left: the queue is full' }), requestIds: z.array(z.string()) }),
          { redriven: 1, left: 0, requestIds: [EXAMPLE_REQUEST_ID] },
        ),
        ...errorResponses('FUNCTION_NOT_FOUND', 'INVALID_PARAMETER'),
      },
    },
    async (c) => {
      const query = valid(c, 'query', RedriveAllQuery);
      const summary = await dispatcher.redriveAll(query.namespace || DEFAULT_NAMESPACE, query.function, query.qualifier || LATEST);
      return c.json({ redriven: summary.redriven.length, left: summary.left, requestIds: summary.redriven });
    },
  );

  openapiRoute(
    app,
    {
      method: 'post',
      path: '/dead-letters/{requestId}/redrive',
      operationId: 'redriveDeadLetter',
      tags: ['dead-letters'],
      summary: 'Put one dead letter back in its queue with fresh retries and age',
      request: { params: RequestIdParams },
      responses: {
        200: jsonResponse('Queued again', z.object({ RequestId: z.string(), status: z.literal('queued') }), { RequestId: EXAMPLE_REQUEST_ID, status: 'queued' }),
        ...errorResponses('ASYNC_EVENT_NOT_FOUND', 'INVALID_PARAMETER', 'ASYNC_QUEUE_FULL'),
      },
    },
    async (c) => {
      const { requestId } = valid(c, 'param', RequestIdParams);
      await dispatcher.redrive(requestId);
      return c.json({ RequestId: requestId, status: 'queued' });
    },
  );

  openapiRoute(
    app,
    {
      method: 'delete',
      path: '/dead-letters',
      operationId: 'purgeDeadLetters',
      tags: ['dead-letters'],
      summary: "Drop a function's dead letters (they become failed)",
      request: { query: FunctionQuery },
      responses: {
        200: jsonResponse('Purged', z.object({ purged: z.number().int() }), { purged: 2 }),
        ...errorResponses('INVALID_PARAMETER'),
      },
    },
    async (c) => {
      const query = valid(c, 'query', FunctionQuery);
      return c.json({ purged: await dispatcher.purge(query.namespace || DEFAULT_NAMESPACE, query.function) });
    },
  );

  return app;
}
