/**
 * Web functions (SPEC §4): host-based (`<name>.<namespace>.localhost`, custom domains) and `/web/<name>/…`
 * requests are passed through to the function's own server. Mounted as the first middleware, so a Host
 * that names a web function wins over every other route; WebSocket upgrades arrive through the node
 * server's 'upgrade' event instead of Hono.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import type { ConcurrencyLimiter } from '../concurrency.ts';
import { errorResponse } from '../respond.ts';
import type { GatewayServices } from '../services.ts';
import { createWebPipeline, httpExchange, upgradeExchange, writeRawError, type WebPipeline } from '../web-proxy.ts';
import { WebTargets, type WebTarget } from '../web-target.ts';

export interface WebRoutes {
  /** Mount before every other route. */
  middleware: MiddlewareHandler;
  /** The node HTTP server's 'upgrade' listener. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Cut the upgraded connections still open (they are outside the HTTP server's reach). */
  close(): void;
}

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

export function webRoutes(deps: { services: GatewayServices; globalLimiter: ConcurrencyLimiter }): WebRoutes {
  const targets = new WebTargets(deps.services.registry);
  const pipeline: WebPipeline = createWebPipeline({ store: deps.services.store, globalLimiter: deps.globalLimiter });
  const upgraded = new Set<Duplex>();

  const middleware: MiddlewareHandler = async (c, next) => {
    const { incoming, outgoing } = (c.env ?? {}) as NodeBindings;
    // Only under @hono/node-server: the raw request and response are what make streaming possible.
    if (!incoming || !outgoing) return next();
    const requestId = randomUUID();
    let target: WebTarget | undefined;
    try {
      target = targets.resolve(incoming.headers.host, incoming.url ?? '/');
    } catch (error) {
      return errorResponse(c, error, requestId);
    }
    if (!target) return next();
    const controller = new AbortController();
    const onClose = (): void => {
      if (!outgoing.writableFinished) controller.abort();
    };
    outgoing.once('close', onClose);
    try {
      await pipeline({
        fn: target.fn,
        requestId,
        signal: controller.signal,
        exchange: httpExchange(incoming, outgoing, target.path),
      });
      return RESPONSE_ALREADY_SENT;
    } catch (error) {
      if (outgoing.headersSent || outgoing.destroyed) return RESPONSE_ALREADY_SENT;
      return errorResponse(c, error, requestId);
    } finally {
      outgoing.off('close', onClose);
    }
  };

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const requestId = randomUUID();
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', () => undefined);
    let target: WebTarget | undefined;
    try {
      target = targets.resolve(request.headers.host, request.url ?? '/');
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
    const controller = new AbortController();
    socket.once('close', () => controller.abort());
    pipeline({
      fn: target.fn,
      requestId,
      signal: controller.signal,
      exchange: upgradeExchange(request, socket, head, target.path),
    }).catch((error) => {
      if (socket.writable && !socket.destroyed) writeRawError(socket, error, requestId);
    });
  };

  return {
    middleware,
    upgrade,
    close: () => {
      for (const socket of upgraded) socket.destroy();
      upgraded.clear();
    },
  };
}
