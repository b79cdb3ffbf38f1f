/**
 * API gateway trigger routes: each `events: - apigw` endpoint becomes a route on the gateway, matched
 * with API gateway's own precedence (triggers/apigw-match.ts), so a framework app behind one `/` ANY
 * endpoint receives every sub-path. An event function gets SCF's apigw event, invoked synchronously; a
 * web function gets the original HTTP request passed through, its path relative to the endpoint.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { MAX_SYNC_PAYLOAD_BYTES, readBody } from '../body.ts';
import { FnError } from '../errors.ts';
import { newInvocation } from '../invoke/invocation.ts';
import { LATEST, type DeployedFunction } from '../registry.ts';
import { errorResponse, REQUEST_ID_HEADER } from '../respond.ts';
import type { GatewayServices } from '../services.ts';
import { EndpointMatcher } from '../triggers/apigw-match.ts';
import { apiRequestIdOf, fromFunctionResult, toApigwEvent, type ApigwEndpointInfo } from '../triggers/apigw-event.ts';
import { newRequestId } from '../request-id.ts';

const DEFAULT_STAGE = 'release';

export interface ApigwEndpoint {
  fn: DeployedFunction;
  integrated: boolean;
  info: ApigwEndpointInfo;
}

/** Passes a request through to a web function's server (routes/web.ts); false when it cannot. */
export type WebPassThrough = (request: {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  fn: DeployedFunction;
  /** Path and query as the server sees them. */
  path: string;
  requestId: string;
  /** Headers API gateway adds for its backends. */
  headers: Record<string, string>;
}) => void;

export interface ApigwRouteOptions {
  /** [web] Without it (no node server), web functions behind API gateway answer 500. */
  webPassThrough?: WebPassThrough;
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
          integrated: endpoint.function.isIntegratedResponse,
          info: {
            path: endpoint.path,
            method: endpoint.method,
            serviceId,
            stage: parameters.environment ?? DEFAULT_STAGE,
            serviceTimeoutS: endpoint.serviceTimeout,
            qualifier: endpoint.function.functionQualifier ?? LATEST,
            params: endpoint.param.map((param) => ({
              name: param.name,
              position: param.position,
              ...(param.defaultValue !== undefined ? { defaultValue: param.defaultValue } : {}),
            })),
            base64Body: endpoint.isBase64Encoded,
          },
        });
      }
    }
  }
  return endpoints;
}

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

function sourceIpOf(incoming: IncomingMessage | undefined): string {
  return incoming?.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
}

function schemeOf(incoming: IncomingMessage | undefined): 'http' | 'https' {
  return incoming && 'encrypted' in incoming.socket && incoming.socket.encrypted === true ? 'https' : 'http';
}

/**
 * The version the trigger invokes: $LATEST, $DEFAULT (an alias, $LATEST unless set) or a published
 * version/alias (442 if none), looked up per request: a redeploy or an alias change applies at once.
 */
function targetOf(services: GatewayServices, endpoint: ApigwEndpoint): DeployedFunction {
  return services.registry.lookup(endpoint.fn.config.namespace, endpoint.fn.config.name, endpoint.info.qualifier);
}

/** The endpoints of the deployed functions, rebuilt when the registry changed since the last match. */
function endpointMatcher(services: GatewayServices): { match: EndpointMatcher<ApigwEndpoint>['match'] } {
  let generation = -1;
  let matcher: EndpointMatcher<ApigwEndpoint> | undefined;
  return {
    match: (method, path) => {
      if (generation !== services.registry.generation || !matcher) {
        generation = services.registry.generation;
        matcher = new EndpointMatcher(
          apigwEndpoints(services.registry.list()).map((endpoint) => ({ path: endpoint.info.path, method: endpoint.info.method, value: endpoint })),
        );
      }
      return matcher.match(method, path);
    },
  };
}

/**
 * For WebSocket upgrades (the node server's 'upgrade' event, outside Hono): the web function an API
 * gateway endpoint routes `method url` to, with the path its server sees; undefined when the endpoint
 * that wins is not a web function's, or none matches. Throws 442 for a missing qualifier.
 */
export function apigwUpgradeTargets(
  services: GatewayServices,
): (incoming: IncomingMessage, requestId: string) => { fn: DeployedFunction; path: string; headers: Record<string, string> } | undefined {
  const matcher = endpointMatcher(services);
  return (incoming, requestId) => {
    const url = new URL(incoming.url ?? '/', 'http://upgrade.invalid');
    const match = matcher.match(incoming.method ?? 'GET', url.pathname);
    if (!match) return undefined;
    const fn = targetOf(services, match.value);
    if (fn.config.type !== 'web') return undefined;
    return { fn, path: match.relativePath + url.search, headers: backendHeaders(incoming, requestId) };
  };
}

/** The headers API gateway adds for HTTP backends (API gateway docs, "API 网关传递给后端的结构体"). */
function backendHeaders(incoming: IncomingMessage, requestId: string): Record<string, string> {
  const apiRequestId = apiRequestIdOf(requestId);
  const scheme = schemeOf(incoming);
  return {
    'X-Client-Proto': scheme,
    'X-Client-Proto-Ver': `HTTP/${incoming.httpVersion}`,
    'X-Real-IP': sourceIpOf(incoming),
    'X-Api-RequestId': apiRequestId,
    'X-B3-TraceId': apiRequestId,
    'X-Api-Scheme': scheme,
  };
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
