/**
 * Web functions (SPEC §4): host-based (`<name>.<namespace>.localhost`, custom domains) and `/web/<name>/…`
 * requests are passed through to the function's own server. Mounted as the first middleware, so a Host
 * that names a web function wins over every other route; WebSocket upgrades arrive through the node
 * server's 'upgrade' event instead of Hono.
 */
import { Cancellation } from '../../runtimes/cancellation.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MiddlewareHandler } from 'hono';
import type { ConcurrencyLimiter } from '../concurrency.ts';
import { writeErrorResponse } from '../respond.ts';
import type { GatewayServices } from '../services.ts';
import { apigwUpgradeTargets, type WebPassThrough } from './apigw-endpoints.ts';
import { createWebPipeline, type WebPipeline } from '../invoke/web-pipeline.ts';
import { newRequestId } from '../request-id.ts';
import { HttpExchange } from '../web-exchange.ts';
import { upgradeExchange, writeRawError } from '../web-proxy.ts';
import { WebTargets, type WebTarget } from '../web-target.ts';

export interface WebRoutes {
  /** Serve a node request if it is for a web function (the gateway's listener calls it first). */
  serve(incoming: IncomingMessage, outgoing: ServerResponse): boolean;
  /** The same for the Hono app under @hono/node-server; mount before every other route. */
  middleware: MiddlewareHandler;
  /** The node HTTP server's 'upgrade' listener. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Cut the upgraded connections still open (they are outside the HTTP server's reach). */
  close(): void;
  /** Serve a request an API gateway endpoint routed to a web function (routes/apigw.ts). */
  passThrough: WebPassThrough;
}

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

export function webRoutes(deps: { services: GatewayServices; globalLimiter: ConcurrencyLimiter }): WebRoutes {
  const targets = new WebTargets(deps.services.registry);
  // Built on first use: the functions are deployed after the routes are created.
  let apigwTargets: ReturnType<typeof apigwUpgradeTargets> | undefined;
  const pipeline: WebPipeline = createWebPipeline({
    store: deps.services.store,
    globalLimiter: deps.globalLimiter,
    recordInvocations: deps.services.recordInvocations,
  });
  const upgraded = new Set<Duplex>();

  /** Run one HTTP request through the web pipeline; every failure is answered on `outgoing`. */
  const exchange = (
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    target: WebTarget,
    requestId: string,
    extraHeaders?: Record<string, string>,
  ): void => {
    // The exchange is also the request's cancel signal: aborted when the client goes away.
    const http = new HttpExchange(incoming, outgoing, target.path, extraHeaders);
    pipeline({ fn: target.fn, requestId, signal: http, exchange: http }).then(undefined, (error: unknown) => {
      try {
        if (!outgoing.headersSent && !outgoing.destroyed) writeErrorResponse(outgoing, error, requestId);
      } catch {
        outgoing.destroy();
      }
    });
  };

  /** Serve the request if it is for a web function; false leaves it to the other routes. */
  const serve = (incoming: IncomingMessage, outgoing: ServerResponse): boolean => {
    // Every request of the gateway asks here first: a request ID only for those that are web traffic.
    let target: WebTarget | undefined;
    try {
      target = targets.resolve(incoming.headers.host, incoming.url ?? '/');
    } catch (error) {
      writeErrorResponse(outgoing, error, newRequestId());
      return true;
    }
    if (!target) return false;
    exchange(incoming, outgoing, target, newRequestId());
    return true;
  };

  const middleware: MiddlewareHandler = async (c, next) => {
    const { incoming, outgoing } = (c.env ?? {}) as NodeBindings;
    // Only under @hono/node-server: the raw request and response are what make streaming possible.
    if (!incoming || !outgoing || !serve(incoming, outgoing)) return next();
    await new Promise<void>((resolve) => outgoing.once('close', () => resolve()));
    // Imported here, under Hono only: the module makes a Response at load, which loads Node's fetch
    // implementation (tens of ms), and the gateway's own server never needs it.
    return (await import('@hono/node-server/utils/response')).RESPONSE_ALREADY_SENT;
  };

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const requestId = newRequestId();
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', () => undefined);
    let target: (WebTarget & { headers?: Record<string, string> }) | undefined;
    try {
      target = targets.resolve(request.headers.host, request.url ?? '/');
      // A web function behind an API gateway endpoint takes WebSocket upgrades there too.
      apigwTargets ??= apigwUpgradeTargets(deps.services);
      target ??= apigwTargets(request, requestId);
    } catch (error) {
      writeRawError(socket, error, requestId);
      return;
    }
    if (!target) {
      // Only web functions take upgrades; the rest of the API is plain HTTP.
      const body = JSON.stringify({ errorCode: -1, errorMessage: `no upgrade route for ${request.method} ${request.url}`, statusCode: 404 });
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const controller = new Cancellation();
    socket.once('close', () => controller.abort(undefined));
    pipeline({
      fn: target.fn,
      requestId,
      signal: controller.signal,
      exchange: upgradeExchange(request, socket, head, target.path, target.headers),
    }).catch((error) => {
      if (socket.writable && !socket.destroyed) writeRawError(socket, error, requestId);
    });
  };

  return {
    serve,
    middleware,
    upgrade,
    passThrough: ({ incoming, outgoing, fn, path, requestId, headers }) => exchange(incoming, outgoing, { fn, path }, requestId, headers),
    close: () => {
      for (const socket of upgraded) socket.destroy();
      upgraded.clear();
    },
  };
}
