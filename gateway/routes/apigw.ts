/**
 * API gateway trigger routes: each `events: - apigw` endpoint of an event function becomes a route on
 * the gateway; the request is turned into SCF's apigw event and invoked synchronously.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Hono, type Context } from 'hono';
import { MAX_SYNC_PAYLOAD_BYTES, readBody } from '../body.ts';
import { newInvocation } from '../invoke/invocation.ts';
import type { DeployedFunction } from '../registry.ts';
import { errorResponse, REQUEST_ID_HEADER } from '../respond.ts';
import type { GatewayServices } from '../services.ts';
import { fromFunctionResult, toApigwEvent } from '../triggers/apigw-event.ts';

const ANY_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const DEFAULT_STAGE = 'release';

export interface ApigwEndpoint {
  fn: DeployedFunction;
  method: string;
  path: string;
  integrated: boolean;
  serviceId: string;
  stage: string;
}

export function apigwEndpoints(functions: DeployedFunction[]): ApigwEndpoint[] {
  const endpoints: ApigwEndpoint[] = [];
  for (const fn of functions) {
    for (const event of fn.config.events) {
      if (!('apigw' in event)) continue;
      const parameters = event.apigw.parameters;
      const serviceId =
        parameters.serviceId ?? `service-${createHash('sha1').update(`${fn.config.namespace}/${fn.config.name}`).digest('hex').slice(0, 8)}`;
      for (const endpoint of parameters.endpoints) {
        endpoints.push({
          fn,
          method: endpoint.method,
          path: endpoint.path,
          integrated: endpoint.function.isIntegratedResponse,
          serviceId,
          stage: parameters.environment ?? DEFAULT_STAGE,
        });
      }
    }
  }
  return endpoints;
}

/** `/users/{id}` (API gateway) → `/users/:id` (Hono). */
const toHonoPath = (path: string): string => path.replace(/\{([^}/]+)\}/g, ':$1');

function sourceIpOf(c: Context): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
}

export function apigwRoutes(services: GatewayServices): Hono {
  const app = new Hono();
  for (const endpoint of apigwEndpoints(services.registry.list())) {
    const methods = endpoint.method === 'ANY' ? ANY_METHODS : [endpoint.method];
    app.on(methods, toHonoPath(endpoint.path), async (c) => {
      const requestId = randomUUID();
      try {
        const event = toApigwEvent({
          method: c.req.method,
          url: new URL(c.req.url),
          headers: c.req.raw.headers,
          body: await readBody(c, MAX_SYNC_PAYLOAD_BYTES),
          sourceIp: sourceIpOf(c),
          routePath: endpoint.path,
          pathParameters: c.req.param() as Record<string, string>,
          serviceId: endpoint.serviceId,
          stage: endpoint.stage,
          requestId,
        });
        const result = await services.invoke(
          newInvocation({ requestId, fn: endpoint.fn, payload: JSON.stringify(event), mode: 'sync' }),
        );
        const answer = fromFunctionResult(result, endpoint.integrated);
        const headers = new Headers();
        for (const [name, value] of answer.headers) headers.append(name, value);
        headers.set(REQUEST_ID_HEADER, requestId);
        return new Response(answer.body, { status: answer.status, headers });
      } catch (error) {
        return errorResponse(c, error, requestId);
      }
    });
  }
  return app;
}
