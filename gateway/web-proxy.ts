/**
 * Passing requests through to a web function's own server (SPEC §4): the header rewriting both ways,
 * WebSocket (and other) upgrades, and raw error answers. The plain HTTP exchange, the hot path, is
 * web-exchange.ts; the web pipeline (invoke/web-pipeline.ts) runs either on a leased instance.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SCF_HEADER_PREFIX, scfHeaders } from '../runtimes/web/headers.ts';
import type { WebServer } from '../runtimes/web/server.ts';
import { ErrorCodes, FnError, toFnError, toScfErrorBody } from './errors.ts';
import type { Exchange } from './invoke/web-pipeline.ts';
import type { DeployedFunction } from './registry.ts';
import { ERROR_TYPE_HEADER, REQUEST_ID_HEADER } from './respond.ts';

/** RFC 9110 §7.6.1 hop-by-hop headers, plus `expect` (the gateway already answered 100-continue). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const NO_TOKENS: ReadonlySet<string> = new Set();

function connectionTokens(value: string | undefined): ReadonlySet<string> {
  // Most requests name no header in Connection (or send none): no set to build.
  if (value === undefined || value === 'keep-alive' || value === 'close') return NO_TOKENS;
  return new Set(
    String(value)
      .toLowerCase()
      .split(',')
      .map((token) => token.trim())
      .filter(Boolean),
  );
}

const dropNothing = (): boolean => false;
const REQUEST_ID_LOWER = REQUEST_ID_HEADER.toLowerCase();
export const isRequestId = (lower: string): boolean => lower === REQUEST_ID_LOWER;

/**
 * Raw header pairs without hop-by-hop headers (and those the Connection header names, `connection` being
 * that header's value).
 */
export function endToEnd(rawHeaders: string[], connection: string | undefined, drop: (lower: string) => boolean = dropNothing): string[] {
  const named = connectionTokens(connection);
  const kept: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower) || drop(lower)) continue;
    kept.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return kept;
}

/**
 * The same for a response head as undici's client gives it (names and values as bytes): decoded as latin1,
 * byte for byte what node:http's parser would have made of them.
 */
export function endToEndBytes(rawHeaders: Buffer[], drop: (lower: string) => boolean = dropNothing): string[] {
  const decoded: string[] = new Array(rawHeaders.length);
  let connection: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toString('latin1');
    const value = rawHeaders[i + 1]!.toString('latin1');
    decoded[i] = name;
    decoded[i + 1] = value;
    if (name.length === 10 && name.toLowerCase() === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
  }
  return endToEnd(decoded, connection, drop);
}

/** The X-Scf-* pairs of a function without the request id: built once per deployed function, not per request. */
const platformPairs = new WeakMap<DeployedFunction, string[]>();

function pushScfPairs(headers: string[], fn: DeployedFunction, requestId: string): void {
  let pairs = platformPairs.get(fn);
  if (!pairs) {
    pairs = Object.entries(scfHeaders(fn.spec, '')).flatMap(([name, value]) => (name.toLowerCase() === REQUEST_ID_LOWER ? [] : [name, value]));
    platformPairs.set(fn, pairs);
  }
  headers.push(REQUEST_ID_HEADER, requestId);
  for (let i = 0; i < pairs.length; i++) headers.push(pairs[i]!);
}

const NO_NAMES: string[] = [];
const isPlatformHeader = (lower: string): boolean => lower.startsWith(SCF_HEADER_PREFIX) || FORWARDED.has(lower);

/** Platform headers and those the API gateway sets (`names`): the client's copies are dropped. */
function platformOr(names: string[]): (lower: string) => boolean {
  const added = new Set(names.map((name) => name.toLowerCase()));
  return (lower) => isPlatformHeader(lower) || added.has(lower);
}

/**
 * What the user's server receives: the client's headers, X-Forwarded-*, and the X-Scf-* platform headers.
 * `framing` 'client' leaves Transfer-Encoding to an HTTP client that frames the body itself (undici's).
 */
export function upstreamHeaders(
  incoming: IncomingMessage,
  fn: DeployedFunction,
  requestId: string,
  upgrade: boolean,
  extra?: Record<string, string>,
  framing: 'client' | 'headers' = 'headers',
): string[] {
  // Clients cannot pose as the platform: their X-Scf-* and X-Forwarded-Proto/Host are replaced.
  const extraNames = extra === undefined ? NO_NAMES : Object.keys(extra);
  const headers = endToEnd(incoming.rawHeaders, first(incoming.headers.connection), extraNames.length === 0 ? isPlatformHeader : platformOr(extraNames));
  if (upgrade) headers.push('Connection', 'Upgrade', 'Upgrade', first(incoming.headers.upgrade) ?? '');
  if (framing === 'headers') {
    const chunked = /chunked/i.test(first(incoming.headers['transfer-encoding']) ?? '');
    if (chunked && incoming.headers['content-length'] === undefined) headers.push('Transfer-Encoding', 'chunked');
  }
  const client = incoming.socket.remoteAddress ?? '';
  const priorFor = first(incoming.headers['x-forwarded-for']);
  const tls = 'encrypted' in incoming.socket && incoming.socket.encrypted === true;
  headers.push(
    'X-Forwarded-For', priorFor ? `${priorFor}, ${client}` : client,
    'X-Forwarded-Proto', tls ? 'https' : 'http',
    'X-Forwarded-Host', incoming.headers.host ?? '',
  );
  for (const name of extraNames) headers.push(name, extra![name]!);
  pushScfPairs(headers, fn, requestId);
  return headers;
}

export function timeoutError(timeoutMs: number): FnError {
  return new FnError('TIMEOUT', `Invoking task timed out after ${timeoutMs / 1000} seconds`);
}

/** An upstream connection failed: 439, and whether the server is gone decides if the instance is replaced. */
export async function upstreamError(server: WebServer, error: Error): Promise<FnError> {
  const gone = await server.settle();
  return new FnError('USER_PROCESS_EXITED', gone ? server.endReason : `the web server closed the connection (${error.message})`);
}

/** The response head of an upgrade exchange, written by hand: the client socket is no longer HTTP-managed. */
function responseHead(status: number, message: string | undefined, headers: string[]): string {
  let head = `HTTP/1.1 ${status} ${message || STATUS_CODES[status] || ''}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** An SCF error object as a raw HTTP response, for sockets outside the HTTP server's control (upgrades). */
export function writeRawError(socket: Duplex, error: unknown, requestId: string): void {
  const fnError = toFnError(error);
  const body = JSON.stringify(toScfErrorBody(fnError, requestId));
  const type = ErrorCodes[fnError.code].type;
  socket.end(
    responseHead(fnError.status, STATUS_CODES[fnError.status] ?? type, [
      'Content-Type', 'application/json; charset=utf-8',
      'Content-Length', String(Buffer.byteLength(body)),
      REQUEST_ID_HEADER, requestId,
      ERROR_TYPE_HEADER, type,
      'Connection', 'close',
    ]) + body,
  );
}

/**
 * A WebSocket (or other) upgrade: the handshake goes to the server; on 101 both sockets are piped until
 * either side closes. The connection lives at most the function's timeout, like SCF's web functions.
 */
export function upgradeExchange(incoming: IncomingMessage, socket: Duplex, head: Buffer, path: string, extraHeaders: Record<string, string> = {}): Exchange {
  return {
    run: (server, invocation) =>
      new Promise<void>((resolve, reject) => {
        const { fn, requestId } = invocation;
        let done = false;
        let upgraded = false;
        const upstream = server.request({
          method: incoming.method,
          path,
          headers: upstreamHeaders(incoming, fn, requestId, true, extraHeaders),
        }, true);
        let upstreamSocket: Duplex | undefined;
        const finish = (error?: FnError): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          upstream.destroy();
          upstreamSocket?.destroy();
          // Before the 101, the caller still answers with the error on the socket.
          if (error && upgraded) socket.destroy();
          if (error) reject(error);
          else resolve();
        };
        const timer = setTimeout(() => finish(timeoutError(fn.config.timeoutMs)), fn.config.timeoutMs);
        upstream.on('upgrade', (response, upSocket, upHead) => {
          upgraded = true;
          upstreamSocket = upSocket;
          const headers = [...response.rawHeaders, REQUEST_ID_HEADER, requestId];
          socket.write(responseHead(response.statusCode ?? 101, response.statusMessage, headers));
          if (upHead.length > 0) socket.write(upHead);
          if (head.length > 0) upSocket.write(head);
          upSocket.pipe(socket);
          socket.pipe(upSocket);
          upSocket.on('error', () => socket.destroy());
          upSocket.on('close', () => {
            socket.end();
            finish();
          });
          socket.on('close', () => finish());
        });
        upstream.on('response', (response) => {
          // The server declined the upgrade: relay its answer, delimited by closing the connection.
          upgraded = true;
          const headers = endToEnd(response.rawHeaders, first(response.headers.connection), (lower) => lower === 'content-length');
          headers.push(REQUEST_ID_HEADER, requestId, 'Connection', 'close');
          socket.write(responseHead(response.statusCode ?? 502, response.statusMessage, headers));
          response.pipe(socket);
          response.on('end', () => finish());
        });
        upstream.on('error', (error) => {
          if (!done) void upstreamError(server, error).then(finish);
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (!upgraded) finish(new FnError('CANCELLED', 'the client closed the connection'));
        });
        upstream.end();
      }),
  };
}
