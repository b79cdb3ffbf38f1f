/**
 * API gateway trigger routes: each `events: - apigw` endpoint becomes a route on the gateway, matched
 * with API gateway's own precedence (triggers/apigw-match.ts), so a framework app behind one `/` ANY
 * endpoint receives every sub-path. An event function gets SCF's apigw event, invoked synchronously; a
 * web function gets the original HTTP request passed through, its path relative to the endpoint.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { MAX_SYNC_PAYLOAD_BYTES, readBody } from '../body.ts';
import { FnError } from '../errors.ts';
import { newInvocation } from '../invoke/invocation.ts';
import type { DeployedFunction } from '../registry.ts';
import { errorResponse, REQUEST_ID_HEADER } from '../respond.ts';
import type { GatewayServices } from '../services.ts';
import { fromFunctionResult, toApigwEvent } from '../triggers/apigw-event.ts';
import { newRequestId } from '../request-id.ts';
import { backendHeaders, endpointMatcher, schemeOf, sourceIpOf, targetOf, type WebPassThrough } from './apigw-endpoints.ts';

export interface ApigwRouteOptions {
  /** [web] Without it (no node server), web functions behind API gateway answer 500. */
  webPassThrough?: WebPassThrough;
}

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

export function apigwRoutes(services: GatewayServices, options: ApigwRouteOptions = {}): Hono {
  const app = new Hono();
  const matcher = endpointMatcher(services);
  app.all('*', async (c, next) => {
    const url = new URL(c.req.url);
    const match = matcher.match(c.req.method, url.pathname);
    if (!match) return next();
    const endpoint = match.value;
    const requestId = newRequestId();
    const { incoming, outgoing } = (c.env ?? {}) as NodeBindings;
    try {
      const fn = targetOf(services, endpoint);
      if (fn.config.type === 'web') return await passThrough(options, { incoming, outgoing, fn, requestId, path: match.relativePath + url.search });
      const event = toApigwEvent({
        method: c.req.method,
        path: url.pathname,
        rawQuery: url.search.slice(1),
        headers: c.req.raw.headers,
        body: await readBody(c, MAX_SYNC_PAYLOAD_BYTES),
        sourceIp: sourceIpOf(incoming),
        scheme: schemeOf(incoming),
        endpoint: endpoint.info,
        pathParameters: match.pathParameters,
        requestId,
      });
      const result = await services.invoke(newInvocation({ requestId, fn, payload: JSON.stringify(event), mode: 'sync' }));
      const answer = fromFunctionResult(result, endpoint.integrated);
      const headers = new Headers();
      for (const [name, value] of answer.headers) headers.append(name, value);
      headers.set(REQUEST_ID_HEADER, requestId);
      return new Response(answer.body, { status: answer.status, headers });
    } catch (error) {
      return errorResponse(c, error, requestId);
    }
  });
  return app;
}

/**
 * A web function behind API gateway: the request goes through natively (SCF: "API 网关会将 HTTP 请求直接
 * 透传"), with the headers API gateway adds for its backends.
 */
async function passThrough(
  options: ApigwRouteOptions,
  request: { incoming?: IncomingMessage; outgoing?: ServerResponse; fn: DeployedFunction; requestId: string; path: string },
): Promise<Response> {
  const { incoming, outgoing, fn, requestId } = request;
  if (!incoming || !outgoing || !options.webPassThrough) {
    throw new FnError('INTERNAL', `web function ${fn.config.name} behind API gateway needs the gateway's node HTTP server`);
  }
  options.webPassThrough({ incoming, outgoing, fn, path: request.path, requestId, headers: backendHeaders(incoming, requestId) });
  await new Promise<void>((resolve) => (outgoing.closed ? resolve() : outgoing.once('close', () => resolve())));
  return RESPONSE_ALREADY_SENT;
}
