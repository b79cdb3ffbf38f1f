/**
 * Bounds on the gateway's HTTP connections, so a flood of idle or slow clients cannot take it down:
 * - an open-connection cap under the process's file-descriptor limit (RLIMIT_NOFILE); a connection over
 *   it gets an immediate 503 and is closed, before the kernel refuses `accept` (EMFILE) and every
 *   instance, pipe and database file with it;
 * - node:http's header and request timeouts against slowloris (it answers 408), a keep-alive timeout
 *   that closes idle connections, and a first-request timer: node:http never times out a connection
 *   that sends no byte at all, the cheapest way to hold a descriptor;
 * - connections from sandboxes (through pasta's mapping of the host's loopback) are reset at once.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { SandboxPeers } from '../runtimes/sandbox/peer.ts';
import { ErrorCodes, FnError, toScfErrorBody } from './errors.ts';
import { ERROR_TYPE_HEADER } from './respond.ts';

export interface ConnectionLimits {
  /** Open client connections; more get a 503. */
  maxConnections: number;
  /** A client must send its whole request head within this (slowloris). */
  headersTimeoutMs: number;
  /** …and its whole request, body included, within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

/** File descriptors kept free for what is not a client connection: instances' pipes, SQLite, code files. */
export const RESERVED_FDS = 512;
/** The share of the rest that connections may take. */
const CONNECTION_FD_SHARE = 0.8;
/** Without a known fd limit (not Linux), and an upper bound: each connection also costs memory. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
const MIN_CONNECTIONS = 64;
/** How often node:http checks the header and request timeouts; its default (30 s) is coarse for them. */
export const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** The soft RLIMIT_NOFILE of this process (`ulimit -n`), where the OS tells it; Node has no getrlimit. */
export function fileDescriptorLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (match === null) return undefined;
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** The connection cap when none is configured: most of the descriptors left after the reserve. */
export function defaultMaxConnections(fdLimit = fileDescriptorLimit()): number {
  if (fdLimit === undefined) return DEFAULT_MAX_CONNECTIONS;
  const share = Math.floor((fdLimit - RESERVED_FDS) * CONNECTION_FD_SHARE);
  return Math.min(DEFAULT_MAX_CONNECTIONS, Math.max(MIN_CONNECTIONS, share));
}

/** What node:http answers a request head that is too slow; the first-request timer answers the same. */
const REQUEST_TIMEOUT_RESPONSE = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';

/** The 503 a connection over the cap gets, whole, before anything of its request is read. */
function overloadedResponse(limit: number): string {
  const error = new FnError('OVERLOADED', `the gateway holds ${limit} connections, its limit; retry shortly`);
  const body = JSON.stringify(toScfErrorBody(error, ''));
  return [
    'HTTP/1.1 503 Service Unavailable',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `${ERROR_TYPE_HEADER}: ${ErrorCodes.OVERLOADED.type}`,
    'Retry-After: 1',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Applies the timeouts and the connection cap to a node:http server not yet listening. */
export function limitConnections(server: Server, limits: ConnectionLimits): { readonly open: number } {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Not `server.maxConnections`: node drops a connection over it without a word.
  const handlers = server.listeners('connection') as Array<(socket: Socket) => void>;
  if (handlers.length !== 1) throw new Error(`node:http has ${handlers.length} connection listeners; expected its own one`);
  const serveHttp = handlers[0]!;
  server.removeListener('connection', serveHttp);
  const rejection = overloadedResponse(limits.maxConnections);
  const state = { open: 0 };
  const firstRequest = new WeakMap<Socket | Duplex, NodeJS.Timeout>();
  const accept = (socket: Socket): void => {
    if (state.open >= limits.maxConnections) {
      // Never parsed: node:http does not see this socket. Destroyed once the answer is flushed.
      socket.on('error', () => socket.destroy());
      socket.end(rejection, () => socket.destroy());
      socket.setTimeout(limits.headersTimeoutMs, () => socket.destroy());
      return;
    }
    state.open++;
    const silent = setTimeout(() => socket.end(REQUEST_TIMEOUT_RESPONSE, () => socket.destroy()), limits.headersTimeoutMs);
    firstRequest.set(socket, silent);
    socket.once('close', () => {
      state.open--;
      clearTimeout(silent);
    });
    serveHttp.call(server, socket);
  };
  const peers = new SandboxPeers();
  server.on('connection', (socket: Socket) => {
    const fromSandbox = peers.check(socket);
    if (fromSandbox === false) return accept(socket);
    // Decided off the event loop. What the client sends meanwhile waits in the socket for node:http.
    const early = (): void => {
      socket.destroy();
    };
    socket.on('error', early);
    void fromSandbox.then((sandboxed) => {
      socket.off('error', early);
      // A function reaching the host's loopback through its sandbox's pasta: nothing of the gateway is for it.
      if (sandboxed) {
        socket.resetAndDestroy();
        return;
      }
      // A gateway that began closing meanwhile no longer takes connections. A client that closed its side
      // before sending anything (a TCP health check, a load generator's probe) has no request to answer, and
      // node:http, handed the socket now, would never hear that 'end' (it was emitted already): the socket
      // would sit half-closed until headersTimeout, holding a connection place and a draining shutdown.
      if (!server.listening || socket.readableEnded) socket.destroy();
      else if (!socket.destroyed) accept(socket);
    });
  });
  const heard = (request: IncomingMessage): void => {
    const timer = firstRequest.get(request.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    firstRequest.delete(request.socket);
  };
  server.prependListener('request', heard);
  server.prependListener('upgrade', heard);
  return state;
}
