/**
 * The Hono middleware that closes the management routes. Which routes those are is read from the route
 * apps themselves (every route they register), so a route added to functions.ts, async-events.ts or
 * topics.ts is closed without being listed again, and user-configured API gateway paths stay open.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { LinearRouter } from 'hono/router/linear-router';
import { MAX_SYNC_PAYLOAD_BYTES, readBody } from '../body.ts';
import { errorResponse } from '../respond.ts';
import type { Authenticator } from './authenticate.ts';
import type { SignedRequest } from './tc3.ts';

/** Sent with every 401, so HTTP clients know which schemes the gateway takes. */
export const WWW_AUTHENTICATE = 'Bearer realm="fngate", TC3-HMAC-SHA256';

/** A predicate telling whether METHOD PATH is one of the routes of `apps`. */
export function routeMatcher(apps: Array<Pick<Hono, 'routes'>>): (method: string, path: string) => boolean {
  const router = new LinearRouter<true>();
  for (const app of apps) for (const route of app.routes) router.add(route.method, route.path, true);
  return (method, path) => router.match(method === 'HEAD' ? 'GET' : method, path)[0].length > 0;
}

/** The request target as it came over the wire (node), or as the fetch Request names it (embedding). */
function requestTarget(c: Context): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming?.url) return incoming.url;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/** The parts of a Hono request that credentials are checked against, but its body. */
export function callerOf(c: Context): Omit<SignedRequest, 'body'> {
  return { method: c.req.method, target: requestTarget(c), header: (name) => c.req.header(name) };
}

async function signedRequestOf(c: Context, authenticator: Authenticator): Promise<SignedRequest> {
  const body = authenticator.needsBody(c.req.header('authorization')) ? await readBody(c, MAX_SYNC_PAYLOAD_BYTES) : Buffer.alloc(0);
  return { ...callerOf(c), body };
}

export function managementGuard(authenticator: Authenticator, isManagement: (method: string, path: string) => boolean): MiddlewareHandler {
  return async (c, next) => {
    if (!isManagement(c.req.method, c.req.path)) return next();
    const failure = authenticator.check(await signedRequestOf(c, authenticator));
    if (failure === undefined) return next();
    c.header('WWW-Authenticate', WWW_AUTHENTICATE);
    return errorResponse(c, failure, '');
  };
}
