/**
 * The HTTP client of the web route's hot path: an undici `Pool` per web instance whose connections are the
 * ones the instance's bridge hands over (already connected to the user's server, inside its sandbox).
 *
 * Why undici rather than node:http's `http.request` with a keep-alive agent: per request node:http's client
 * makes a ClientRequest and an IncomingMessage (two streams with their event plumbing), goes through the
 * agent's free-socket bookkeeping and parses the response into header objects; undici's dispatch API hands
 * the response head and body chunks straight to a handler (gateway/web-exchange.ts writes them to the
 * client's response), with backpressure by a return value. It is the Node.js project's own HTTP client
 * (the one inside fetch), so it follows HTTP/1.1 as closely as node:http.
 *
 * Loaded on the first web instance's start, while its server starts: the gateway's own start does not pay
 * for it.
 */
import type { Socket } from 'node:net';
import type { Pool } from 'undici';

export type UpstreamPool = Pool;
export type Connect = (callback: (error: Error | null, socket?: Socket) => void) => void;
type MakePool = (connect: Connect, keepAliveMs: number) => UpstreamPool;

let loading: Promise<MakePool> | undefined;

export function loadUpstreamPool(): Promise<MakePool> {
  loading ??= import('undici').then((undici) => {
    // A CommonJS package: bundled (dist/bundle), its exports are the default export's members only.
    const { Pool } = ((undici as unknown as { default?: typeof undici }).default ?? undici) as typeof undici;
    return (connect: Connect, keepAliveMs: number) =>
    new Pool('http://localhost', {
      connect: (_options, callback) => connect((error, socket) => callback(error, (socket ?? null) as never)),
      // As many connections as requests in flight (an instance takes instanceConcurrency at once), one
      // request at a time on each: HTTP/1.1 pipelining is off, as in node:http's agent.
      connections: null,
      pipelining: 1,
      // Idle connections are dropped before common servers drop them (Node's keepAliveTimeout is 5 s):
      // reusing one the server is closing fails the request. A server's Keep-Alive hint is followed.
      keepAliveTimeout: keepAliveMs,
      keepAliveMaxTimeout: keepAliveMs,
      // The function's timeout is the exchange's (web-exchange.ts): no limit of undici's own.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  });
  return loading;
}
