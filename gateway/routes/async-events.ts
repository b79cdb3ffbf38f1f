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
import { Hono, type Context } from 'hono';
import type { AsyncEventRecord, AttemptEntry } from '../../store/queue-statements.ts';
import { isAsyncEventStatus } from '../../store/queue-statements.ts';
import { FnError } from '../errors.ts';
import { DEFAULT_NAMESPACE, LATEST } from '../registry.ts';
import { errorResponse } from '../respond.ts';
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

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_EVENT_LIMIT;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENT_LIMIT) {
    throw new FnError('INVALID_PARAMETER', `limit must be an integer from 1 to ${MAX_EVENT_LIMIT}`);
  }
  return limit;
}

function requiredFunction(c: Context): { namespace: string; functionName: string; qualifier: string } {
  const functionName = c.req.query('function');
  if (!functionName) throw new FnError('INVALID_PARAMETER', 'the query parameter "function" is required');
  return { namespace: c.req.query('namespace') || DEFAULT_NAMESPACE, functionName, qualifier: c.req.query('qualifier') || LATEST };
}

export function asyncEventRoutes(services: GatewayServices): Hono {
  const app = new Hono();
  const { queue, dispatcher } = services.async;
  const handle = (route: (c: Context) => Promise<Response>) => async (c: Context) => {
    try {
      return await route(c);
    } catch (error) {
      return errorResponse(c, error, c.req.param('requestId') ?? '');
    }
  };

  app.get(
    '/async-events',
    handle(async (c) => {
      const functionName = c.req.query('function') || undefined;
      const status = c.req.query('status') || undefined;
      if (status !== undefined && !isAsyncEventStatus(status)) {
        throw new FnError('INVALID_PARAMETER', `unknown status "${status}"`);
      }
      const limit = parseLimit(c.req.query('limit'));
      await queue.flush();
      const events = queue.list({
        namespace: functionName === undefined ? undefined : c.req.query('namespace') || DEFAULT_NAMESPACE,
        functionName,
        status,
        limit,
      });
      return c.json({ events: events.map((record) => eventView(record, false)) });
    }),
  );

  app.get(
    '/async-events/:requestId',
    handle(async (c) => {
      const requestId = c.req.param('requestId') ?? '';
      await queue.flush();
      const record = queue.get(requestId);
      if (record === undefined) throw new FnError('ASYNC_EVENT_NOT_FOUND', `no async event with request ID ${requestId}`);
      return c.json(eventView(record, true));
    }),
  );

  app.delete(
    '/async-events/:requestId',
    handle(async (c) => {
      const requestId = c.req.param('requestId') ?? '';
      const status = await dispatcher.terminate(requestId);
      return c.json({ RequestId: requestId, status });
    }),
  );

  app.get('/async-queues', (c) => c.json({ queues: dispatcher.stats() }));

  app.get(
    '/dead-letters',
    handle(async (c) => {
      const { namespace, functionName } = requiredFunction(c);
      const limit = parseLimit(c.req.query('limit'));
      await queue.flush();
      const letters = queue.deadLetters({ namespace, functionName, limit });
      return c.json({ deadLetters: letters.map((record) => eventView(record, true)) });
    }),
  );

  app.post(
    '/dead-letters/redrive',
    handle(async (c) => {
      const { namespace, functionName, qualifier } = requiredFunction(c);
      const summary = await dispatcher.redriveAll(namespace, functionName, qualifier);
      return c.json({ redriven: summary.redriven.length, left: summary.left, requestIds: summary.redriven });
    }),
  );

  app.post(
    '/dead-letters/:requestId/redrive',
    handle(async (c) => {
      const requestId = c.req.param('requestId') ?? '';
      await dispatcher.redrive(requestId);
      return c.json({ RequestId: requestId, status: 'queued' });
    }),
  );

  app.delete(
    '/dead-letters',
    handle(async (c) => {
      const { namespace, functionName } = requiredFunction(c);
      return c.json({ purged: await dispatcher.purge(namespace, functionName) });
    }),
  );

  return app;
}
