/**
 * The node request listener of the gateway. The two hot paths — invokes and web-function traffic — are
 * served straight from node's request and response; every other route goes through the Hono app.
 * Why: on this machine @hono/node-server's Request/Response bridging costs about as much CPU as the rest
 * of an invoke (bare Hono answers ~3.8k req/s where a plain node:http hello answers ~11k), and the
 * invoke path is the one load tests hammer. The Hono route of the same API stays (invoke-api.ts serves
 * both), so embedding `createApp(...).fetch` behaves the same.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { readNodeBody } from './body.ts';
import { INVOCATION_TYPE_HEADER, invokeApi } from './invoke-api.ts';
import { writeErrorResponse, writeJsonResponse } from './respond.ts';
import type { WebRoutes } from './routes/web.ts';
import type { GatewayServices } from './services.ts';

/** `/functions/{name}/invoke` with an optional query; the name is one path segment. */
const INVOKE_URL = /^\/functions\/([^/?]+)\/invoke(?:\?(.*))?$/;

export function gatewayListener(deps: { app: Hono; services: GatewayServices; web: WebRoutes }): RequestListener {
  const hono = getRequestListener(deps.app.fetch);
  return (request, response) => {
    if (deps.web.serve(request, response)) return;
    const match = request.method === 'POST' ? INVOKE_URL.exec(request.url ?? '') : null;
    if (match) {
      serveInvoke(deps.services, request, response, match[1]!, match[2]);
      return;
    }
    void hono(request, response);
  };
}

function serveInvoke(services: GatewayServices, request: IncomingMessage, response: ServerResponse, rawName: string, rawQuery: string | undefined): void {
  const query = new URLSearchParams(rawQuery ?? '');
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    name = rawName;
  }
  const header = request.headers[INVOCATION_TYPE_HEADER.toLowerCase()];
  invokeApi(services, {
    name,
    namespace: query.get('namespace') ?? undefined,
    qualifier: query.get('qualifier') ?? undefined,
    invocationType: Array.isArray(header) ? header[0] : header,
    readBody: (limit) => readNodeBody(request, limit),
    caller: {
      method: request.method ?? 'POST',
      target: request.url ?? '',
      header: (name) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[0] : value;
      },
    },
  })
    .then((answer) => writeJsonResponse(response, answer.status, answer.body, answer.requestId, answer.errorType))
    .catch((error: unknown) => {
      // invokeApi answers every failure itself; this is a fault in writing the answer (a gone client).
      if (!response.headersSent) writeErrorResponse(response, error, '');
      else response.destroy();
    })
    .catch(() => response.destroy());
}
