/**
 * The node request listener of the gateway. The hot paths — invokes, web-function traffic and the
 * health check — are served straight from node's request and response; every other route goes through
 * the Hono app.
 * Why: on this machine @hono/node-server's Request/Response bridging costs about as much CPU as the rest
 * of an invoke (bare Hono answers ~3.8k req/s where a plain node:http hello answers ~11k), and the
 * invoke path is the one load tests hammer. The Hono route of the same API stays (invoke-api.ts serves
 * both), so embedding `createApp(...).fetch` behaves the same.
 * The Hono app (with its OpenAPI schemas) is loaded when the first request needs it, or soon after the
 * gateway is ready (`preload`): start-up does not wait for it.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Hono } from 'hono';
import { readNodeBody } from './body.ts';
import { HEALTH_PATH, healthOf } from './health.ts';
import { INVOCATION_TYPE_HEADER, invokeApi } from './invoke-api.ts';
import { writeErrorResponse, writeJsonResponse } from './respond.ts';
import type { WebRoutes } from './routes/web.ts';
import type { GatewayServices } from './services.ts';

/** `/functions/{name}/invoke` with an optional query; the name is one path segment. */
const INVOKE_URL = /^\/functions\/([^/?]+)\/invoke(?:\?(.*))?$/;

export interface GatewayListener {
  listener: RequestListener;
  /** Load the Hono app and start the store's writer now, in the background (called once the gateway listens). */
  preload(): void;
}

export function gatewayListener(deps: { app: () => Promise<Hono>; services: GatewayServices; web: WebRoutes }): GatewayListener {
  let hono: Promise<RequestListener> | undefined;
  const honoListener = (): Promise<RequestListener> =>
    (hono ??= Promise.all([import('@hono/node-server'), deps.app()]).then(([{ getRequestListener }, app]) => getRequestListener(app.fetch)));
  const listener: RequestListener = (request, response) => {
    if (deps.web.serve(request, response)) return;
    const url = request.url ?? '';
    if (request.method === 'POST') {
      const match = INVOKE_URL.exec(url);
      if (match) {
        serveInvoke(deps.services, request, response, match[1]!, match[2]);
        return;
      }
    } else if (request.method === 'GET' && url === HEALTH_PATH) {
      healthOf(deps.services).then(
        ({ status, body }) => {
          const text = JSON.stringify(body);
          response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
          response.end(text);
        },
        () => response.destroy(),
      );
      return;
    }
    honoListener().then(
      (serve) => serve(request, response),
      (error: unknown) => {
        deps.services.logger.error({ err: error }, 'the HTTP API failed to load');
        if (!response.headersSent) writeErrorResponse(response, error, '');
      },
    );
  };
  return {
    listener,
    preload: () => {
      // After the ready line and the first turns of the event loop: never in start-up's way.
      setTimeout(() => {
        deps.services.store.warm?.();
        void honoListener().catch(() => {});
      }, 0).unref();
    },
  };
}

function serveInvoke(services: GatewayServices, request: IncomingMessage, response: ServerResponse, rawName: string, rawQuery: string | undefined): void {
  const query = rawQuery ? new URLSearchParams(rawQuery) : undefined;
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    name = rawName;
  }
  const header = request.headers[INVOCATION_TYPE_HEADER.toLowerCase()];
  invokeApi(services, {
    name,
    namespace: query?.get('namespace') ?? undefined,
    qualifier: query?.get('qualifier') ?? undefined,
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
    .then((answer) => writeJsonResponse(response, answer.status, answer.body, answer.requestId, answer.errorType, answer.version))
    .catch((error: unknown) => {
      // invokeApi answers every failure itself; this is a fault in writing the answer (a gone client).
      if (!response.headersSent) writeErrorResponse(response, error, '');
      else response.destroy();
    })
    .catch(() => response.destroy());
}
