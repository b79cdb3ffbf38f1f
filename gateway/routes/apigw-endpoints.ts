/**
 * API gateway endpoints of the deployed functions, and what a request matched to one carries to a web
 * function's server. Apart from the routes (routes/apigw.ts) because the node server's fast paths (web
 * traffic, WebSocket upgrades) need it before, and without, the Hono app.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LATEST, type DeployedFunction } from '../registry.ts';
import type { GatewayServices } from '../services.ts';
import { EndpointMatcher } from '../triggers/apigw-match.ts';
import { apiRequestIdOf, type ApigwEndpointInfo } from '../triggers/apigw-event.ts';

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

export function sourceIpOf(incoming: IncomingMessage | undefined): string {
  return incoming?.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
}

export function schemeOf(incoming: IncomingMessage | undefined): 'http' | 'https' {
  return incoming && 'encrypted' in incoming.socket && incoming.socket.encrypted === true ? 'https' : 'http';
}

/**
 * The version the trigger invokes: $LATEST, $DEFAULT (an alias, $LATEST unless set) or a published
 * version/alias (442 if none), looked up per request: a redeploy or an alias change applies at once.
 */
export function targetOf(services: GatewayServices, endpoint: ApigwEndpoint): DeployedFunction {
  return services.registry.lookup(endpoint.fn.config.namespace, endpoint.fn.config.name, endpoint.info.qualifier);
}

/** The endpoints of the deployed functions, rebuilt when the registry changed since the last match. */
export function endpointMatcher(services: GatewayServices): { match: EndpointMatcher<ApigwEndpoint>['match'] } {
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
export function backendHeaders(incoming: IncomingMessage, requestId: string): Record<string, string> {
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
