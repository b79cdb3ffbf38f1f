/**
 * A Go net/rpc client (gob codec) for functions built with scf-go-lib: one persistent TCP connection to the
 * function process, calls pipelined on it and matched to replies by sequence number, as Go's own
 * `rpc.Client` does. The server runs each call in its own goroutine, so replies may come back out of order.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { GobDecoder, GobEncoder, type GobInput, type GobStructType, type GobValue } from './gob.ts';
import {
  invokeRequestType,
  invokeResponseType,
  pingRequestType,
  pingResponseType,
  rpcRequestHeader,
  rpcResponseHeader,
  type GoInvokeRequest,
  type GoInvokeResponse,
  type RpcResponseHeader,
} from './messages.ts';

/** scf-go-lib registers its service as `new(Function)`. */
export const PING_METHOD = 'Function.Ping';
export const INVOKE_METHOD = 'Function.Invoke';

/**
 * Pauses between connection attempts while the function process has not started listening yet: short
 * at first (a Go binary listens ~5 ms after exec, and each ms here is cold-start time), then longer.
 */
const CONNECT_RETRY_FIRST_MS = 1;
const CONNECT_RETRY_MAX_MS = 10;

/**
 * Transport failures. The runtime adapter turns them into an FnError: only it knows whether the process
 * exited, timed out or was closed on purpose. Compare `code`, never `instanceof`.
 */
export type GoRpcErrorCode =
  /** Could not connect, or the client was never connected. */
  | 'NOT_CONNECTED'
  /** The connection closed or failed while the call was pending: the function process most likely died. */
  | 'CONNECTION_CLOSED'
  /** The net/rpc server replied with an error string (unknown method, undecodable argument). */
  | 'REMOTE'
  /** The server's bytes are not gob for the expected messages; the connection is dropped. */
  | 'PROTOCOL'
  /** The caller's AbortSignal fired; the reply, if it ever comes, is discarded. */
  | 'ABORTED';

export class GoRpcError extends Error {
  readonly code: GoRpcErrorCode;

  constructor(code: GoRpcErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GoRpcError';
    this.code = code;
  }
}

export interface GoRpcConnectOptions {
  /**
   * Keep retrying refused connections this long: a freshly spawned function listens only once its `main`
   * has run. @default 0 (one attempt)
   */
  retryForMs?: number;
  /** Connect to this Unix socket instead of host:port (a sandbox's forwarded port, runtimes/sandbox/forwards.ts). */
  path?: string;
  signal?: AbortSignal;
}

/**
 * Replies above SCF's 6 MB result limit still decode, so the invoke pipeline can answer 407 for them;
 * only absurd sizes are taken for a broken stream.
 */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

export interface GoRpcClientOptions {
  /** Largest reply message accepted; a larger one fails the connection with `PROTOCOL`. @default 64 MiB */
  maxMessageBytes?: number;
}

export interface GoRpcCallOptions {
  /** Abandons the call: its promise rejects with `ABORTED` and a late reply is dropped. */
  signal?: AbortSignal;
}

interface PendingCall {
  readonly replyType: GobStructType;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

export class GoRpcClient {
  #socket: net.Socket | undefined;
  /** Gob streams carry per-connection type state, so encoder and decoder live and die with the socket. */
  readonly #encoder = new GobEncoder();
  readonly #decoder: GobDecoder;
  #seq = 0;
  readonly #pending = new Map<number, PendingCall>();
  /** A reply's header, kept while its body has not fully arrived. */
  #header: RpcResponseHeader | undefined;
  #failure: GoRpcError | undefined;
  #connecting = false;
  readonly #closed: Promise<GoRpcError>;
  #resolveClosed!: (reason: GoRpcError) => void;

  constructor(options: GoRpcClientOptions = {}) {
    this.#decoder = new GobDecoder({ maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_REPLY_BYTES });
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Settles, with the reason, once the connection is gone for good (closed by either side or broken). */
  get closed(): Promise<GoRpcError> {
    return this.#closed;
  }

  /** Calls sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  async connect(port: number, host = '127.0.0.1', options: GoRpcConnectOptions = {}): Promise<void> {
    if (this.#connecting || this.#socket || this.#failure) throw new Error('GoRpcClient.connect may be called once');
    this.#connecting = true;
    const giveUpAt = Date.now() + (options.retryForMs ?? 0);
    let retryMs = CONNECT_RETRY_FIRST_MS;
    for (;;) {
      // close() may run while a connection is being made.
      if (this.#failure) throw this.#failure;
      let socket: net.Socket;
      try {
        socket = await connectOnce(options.path === undefined ? { port, host } : { path: options.path }, options.signal);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // A Unix socket not made yet (ENOENT) is a port not listened on yet.
        if (options.signal?.aborted || (code !== 'ECONNREFUSED' && code !== 'ENOENT') || Date.now() >= giveUpAt) {
          this.#connecting = false;
          const reason = `cannot connect to ${options.path ?? `${host}:${port}`}: ${(error as Error).message}`;
          throw new GoRpcError('NOT_CONNECTED', reason, { cause: error });
        }
        await sleep(retryMs);
        retryMs = Math.min(retryMs * 2, CONNECT_RETRY_MAX_MS);
        continue;
      }
      if (this.#failure) {
        socket.destroy();
        throw this.#failure;
      }
      this.#attach(socket);
      return;
    }
  }

  /** Readiness check: resolves once the function's RPC server answers. */
  async ping(options: GoRpcCallOptions = {}): Promise<void> {
    await this.call(PING_METHOD, pingRequestType, {}, pingResponseType, options);
  }

  /** Runs one invocation. Failures of the handler are in the response's `Error`, not a rejection. */
  invoke(request: GoInvokeRequest, options: GoRpcCallOptions = {}): Promise<GoInvokeResponse> {
    return this.call(INVOKE_METHOD, invokeRequestType, request, invokeResponseType, options);
  }

  /** Drops the connection; pending calls reject with `CONNECTION_CLOSED`. Idempotent. */
  async close(): Promise<void> {
    this.#fail(new GoRpcError('CONNECTION_CLOSED', 'the client was closed'));
    await this.#closed;
  }

  #attach(socket: net.Socket): void {
    this.#connecting = false;
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error) => {
      const reason = `connection to the function failed: ${error.message}`;
      this.#fail(new GoRpcError('CONNECTION_CLOSED', reason, { cause: error }));
    });
    socket.on('close', () => {
      this.#fail(new GoRpcError('CONNECTION_CLOSED', 'the function closed the connection'));
      this.#resolveClosed(this.#failure!);
    });
  }

  /**
   * One net/rpc call, like Go's `client.Call(method, arg, &reply)`. Rejects with `REMOTE` when the server
   * answers with an error string (net/rpc's own failures: unknown method, undecodable argument).
   */
  call<A extends GobStructType, R extends GobStructType>(
    method: string,
    argType: A,
    arg: GobInput<A>,
    replyType: R,
    options: GoRpcCallOptions = {},
  ): Promise<GobValue<R>> {
    if (this.#failure) return Promise.reject(this.#failure);
    const socket = this.#socket;
    if (!socket) return Promise.reject(new GoRpcError('NOT_CONNECTED', 'GoRpcClient.connect has not completed'));
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));

    // The body is encoded first: if it is invalid nothing is written and the encoder's record of the
    // type definitions on the stream stays true (it commits only on success).
    let body: Buffer;
    try {
      body = this.#encoder.encode(argType, arg);
    } catch (error) {
      return Promise.reject(error);
    }
    const seq = this.#seq++;
    const header = this.#encoder.encode(rpcRequestHeader, { ServiceMethod: method, Seq: seq });

    return new Promise((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => {
        if (this.#pending.delete(seq)) reject(abortError(signal!));
      };
      this.#pending.set(seq, {
        replyType,
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value as GobValue<R>);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      // One TCP segment for header and body where it fits, without copying a large body.
      socket.cork();
      socket.write(header);
      socket.write(body);
      socket.uncork();
    });
  }

  #onData(chunk: Buffer): void {
    this.#decoder.push(chunk);
    try {
      for (;;) {
        if (!this.#header) {
          const decoded = this.#decoder.decode(rpcResponseHeader);
          if (!decoded) return;
          this.#header = decoded.value;
        }
        const { Seq: seq, Error: remoteError, ServiceMethod: method } = this.#header;
        const call = this.#pending.get(seq);
        if (!call || remoteError !== '') {
          // Error replies carry an empty struct; replies to abandoned calls are not wanted.
          if (!this.#decoder.discard()) return;
          this.#header = undefined;
          if (call) {
            this.#pending.delete(seq);
            call.reject(new GoRpcError('REMOTE', `${method}: ${remoteError}`));
          }
          continue;
        }
        const body = this.#decoder.decode(call.replyType);
        if (!body) return;
        this.#header = undefined;
        this.#pending.delete(seq);
        call.resolve(body.value);
      }
    } catch (error) {
      const reason = `bad reply from the function: ${(error as Error).message}`;
      this.#fail(new GoRpcError('PROTOCOL', reason, { cause: error }));
    }
  }

  /** Rejects every pending call and drops the connection; the first reason wins. */
  #fail(reason: GoRpcError): void {
    if (this.#failure) return;
    this.#failure = reason;
    const calls = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of calls) call.reject(reason);
    if (this.#socket) this.#socket.destroy();
    else this.#resolveClosed(reason);
  }
}

function connectOnce(target: { port: number; host: string } | { path: string }, signal: AbortSignal | undefined): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // Nagle would hold back a small request until the previous reply's ACK: ~40 ms per call.
    const socket = net.connect({ ...target, noDelay: true, signal });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function abortError(signal: AbortSignal): GoRpcError {
  return new GoRpcError('ABORTED', 'the call was abandoned', { cause: signal.reason });
}
