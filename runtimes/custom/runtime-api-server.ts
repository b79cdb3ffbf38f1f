/**
 * The HTTP transport of the Runtime API (SPEC §3) for one custom-runtime instance: a node:http server on
 * host loopback (unsandboxed) or on a Unix socket forwarded to a port inside the instance's sandbox
 * (runtimes/sandbox/forwards.ts: no other function and nothing on the host reaches it), whose routes map one to one onto the instance's RuntimeApiSession, which holds every rule
 * (first ready counts, a repeated `next` returns the event in flight, the first response or error is final).
 *
 * What real bootstraps need from it (PROTOCOLS.md): bash + curl posts form-urlencoded bodies (`-d`), taken
 * raw; curl prints whatever a POST answers into the function's log, so successful posts answer with an
 * empty body; `next` is a long poll without any timeout; strict clients want 200 on every call, a
 * non-empty `request_id` and integer limit headers; small replies must not wait for Nagle.
 */
import { chmod } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { RuntimeTransport } from '../subprocess/instance.ts';
import { jsonText } from '../subprocess/json-text.ts';
import type { ChannelHooks } from '../subprocess/pipe-channel.ts';
import type { RuntimeErrorData } from '../subprocess/protocol.ts';
import type { Invocation, RuntimeApiSession } from '../subprocess/runtime-api.ts';

/** The address the server listens on, and what `SCF_RUNTIME_API` says (a host: SCF's samples add the port). */
export const RUNTIME_API_HOST = '127.0.0.1';
/** `SCF_RUNTIME_API_PORT` inside a sandbox (its own network namespace: any port is free there). */
export const SANDBOX_RUNTIME_API_PORT = 9001;
/** Largest body accepted: a 6 MB result with room to spare (the pipeline answers 407 above 6 MB). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export const RUNTIME_API_PATHS = {
  ready: '/runtime/init/ready',
  initError: '/runtime/init/error',
  next: '/runtime/invocation/next',
  response: '/runtime/invocation/response',
  error: '/runtime/invocation/error',
} as const;

export interface RuntimeApiLimits {
  /** `memory_limit_in_mb` of each event. */
  memoryMb: number;
  /** `time_limit_in_ms` of each event: the function's timeout. */
  timeoutMs: number;
}

class BodyTooLarge extends Error {}

export class RuntimeApiServer implements RuntimeTransport {
  readonly #server: Server;
  readonly #limits: RuntimeApiLimits;
  readonly #startedAt = performance.now();
  #session: RuntimeApiSession | undefined;
  #attached!: (session: RuntimeApiSession) => void;
  readonly #whenAttached = new Promise<RuntimeApiSession>((resolve) => (this.#attached = resolve));
  #closing: Promise<void> | undefined;

  /** A server listening on a free loopback port; hand `port` to the bootstrap, then `connect` a session. */
  static async start(limits: RuntimeApiLimits): Promise<RuntimeApiServer> {
    const api = RuntimeApiServer.create(limits);
    await api.listen({ port: 0, host: RUNTIME_API_HOST });
    return api;
  }

  /** A server not listening yet (`listen` on a Unix socket once the instance's private folder exists). */
  static create(limits: RuntimeApiLimits): RuntimeApiServer {
    return new RuntimeApiServer(limits);
  }

  async listen(at: { port: number; host: string } | { path: string }): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(at, () => {
        this.#server.removeListener('error', reject);
        resolve();
      });
    });
    // The sandbox's own user (not the gateway's) connects through its forwarder.
    if ('path' in at) await chmod(at.path, 0o666);
  }

  private constructor(limits: RuntimeApiLimits) {
    this.#limits = limits;
    this.#server = createServer({ noDelay: true }, (request, response) => void this.#route(request, response));
    // `next` waits for as long as the instance idles: none of node's request timeouts may end it, and
    // a client that keeps its connection between calls must find it open.
    this.#server.requestTimeout = 0;
    this.#server.headersTimeout = 0;
    this.#server.keepAliveTimeout = 0;
    this.#server.timeout = 0;
    this.#server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  connect(session: RuntimeApiSession, _hooks: ChannelHooks): void {
    this.#session = session;
    this.#attached(session);
  }

  /** Stop serving; open long polls are cut (their instance is gone). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?', 1)[0]!;
    const route = Object.entries(RUNTIME_API_PATHS).find(([, candidate]) => candidate === path)?.[0] as
      | keyof typeof RUNTIME_API_PATHS
      | undefined;
    if (!route) return reply(response, 404, `no such Runtime API path: ${path}`);
    const method = route === 'next' ? 'GET' : 'POST';
    if (request.method !== method) {
      response.setHeader('allow', method);
      return reply(response, 405, `${path} takes ${method}`);
    }
    let body: string;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof BodyTooLarge) return reply(response, 413, `the body is over ${MAX_BODY_BYTES} bytes`);
      return; // The client went away.
    }
    const session = this.#session ?? (await this.#whenAttached);
    switch (route) {
      case 'ready':
        session.ready(this.#timings());
        return reply(response, 200);
      case 'initError':
        if (session.state === 'initializing' && session.fail(errorData(body))) return reply(response, 200);
        return reply(response, 400, 'the runtime is no longer initialising');
      case 'next':
        return this.#next(session, response);
      case 'response':
      case 'error':
        // Output the bootstrap wrote before posting may still be unread on its pipe in this poll phase;
        // settling after it keeps that output in this invocation's log.
        setImmediate(() => {
          // Only an invocation in flight takes it: before the first event an error is no init failure
          // (that is /runtime/init/error), just a post to nowhere.
          const requestId = session.current?.requestId;
          const settled =
            requestId !== undefined &&
            (route === 'response' ? session.respond(jsonText(body), requestId) : session.fail(errorData(body), requestId));
          if (settled) reply(response, 200);
          else reply(response, 400, 'no invocation is waiting for a result: it was already answered, or none was delivered');
        });
        return;
    }
  }

  async #next(session: RuntimeApiSession, response: ServerResponse): Promise<void> {
    // A runtime polling for work has finished initialising, even if it never said so.
    if (session.state === 'initializing') session.ready(this.#timings());
    let invocation: Invocation;
    try {
      invocation = await session.next();
    } catch (error) {
      return reply(response, 410, `the instance is closed: ${(error as Error).message}`);
    }
    if (response.destroyed) return;
    const body = Buffer.from(invocation.payload);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': body.length,
      request_id: invocation.requestId,
      memory_limit_in_mb: String(this.#limits.memoryMb),
      time_limit_in_ms: String(this.#limits.timeoutMs),
    });
    response.end(body);
  }

  #timings(): { initFunctionMs: number } {
    return { initFunctionMs: performance.now() - this.#startedAt };
  }
}

/** An empty 200, or an error status with a JSON message (curl prints it, so it lands in the log). */
function reply(response: ServerResponse, status: number, message?: string): void {
  if (response.headersSent || response.destroyed) return;
  if (message === undefined) {
    response.writeHead(status, { 'content-length': 0 });
    response.end();
    return;
  }
  const body = JSON.stringify({ errorMessage: message });
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners('data');
        request.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
    request.once('aborted', () => reject(new Error('aborted')));
  });
}

/**
 * An error report as the runtime sent it. A JSON document with `errorMessage` (the shape Lambda-style
 * runtimes post) keeps its type and trace; any other body is the message, and the whole of it the trace.
 */
export function errorData(body: string): RuntimeErrorData {
  try {
    const value: unknown = JSON.parse(body);
    if (value && typeof value === 'object' && typeof (value as { errorMessage?: unknown }).errorMessage === 'string') {
      const { errorMessage, errorType, stackTrace } = value as { errorMessage: string; errorType?: unknown; stackTrace?: unknown };
      return {
        message: errorMessage,
        errorType: typeof errorType === 'string' ? errorType : undefined,
        stackTrace: Array.isArray(stackTrace) ? stackTrace.join('\n') : typeof stackTrace === 'string' ? stackTrace : '',
      };
    }
  } catch {
    // Not JSON: plain text.
  }
  const text = body.trim();
  return { message: text || 'the function reported an error without a message', stackTrace: text };
}
