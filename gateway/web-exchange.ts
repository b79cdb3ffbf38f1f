/**
 * One plain HTTP request passed through to a web function's server (SPEC §4), the hot path of web
 * functions. Bodies are streamed both ways with backpressure, so a large upload or download never sits in
 * the gateway's memory.
 *
 * Why a class with a handful of listeners instead of two `pipe()`s, a promise chain and an AbortController:
 * every request pays for each listener, closure and timer it sets up. The upstream request goes through
 * undici's dispatch API (runtimes/web/upstream-pool.ts says why undici): the exchange is its handler, so
 * the response head and body chunks come to these methods with no stream in between, and a body that has
 * already arrived goes out with the request head in one write. The exchange is also the request's cancel
 * signal (the pool's wait for an instance listens to it), so the client's connection has one 'close'
 * listener, not one per layer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { Cancellation } from '../runtimes/cancellation.ts';
import type { WebServer } from '../runtimes/web/index.ts';
import { FnError } from './errors.ts';
import type { Invocation } from './invoke/invocation.ts';
import type { Exchange } from './invoke/web-pipeline.ts';
import type { DeployedFunction } from './registry.ts';
import { REQUEST_ID_HEADER } from './respond.ts';
import { isSmallBody, receivedBody, UploadBody } from './web-upload.ts';
import { endToEndBytes, isRequestId, timeoutError, upstreamError, upstreamHeaders } from './web-proxy.ts';

/** Timers get this module-level callback and the exchange as argument: no closure per request. */
function onDeadline(exchange: HttpExchange): void {
  exchange.fail(timeoutError(exchange.timeoutMs));
}

/** undici rejects a request it cannot send as asked (a header it will not forward): the client's fault. */
function isInvalidRequest(error: Error): boolean {
  return (error as { code?: string }).code === 'UND_ERR_INVALID_ARG';
}

/**
 * Until the response starts, a failure rejects and the caller answers with the error; after it, the client
 * connection is cut (the status is already on the wire). `extraHeaders` (API gateway's, for a web function
 * behind an apigw trigger) replace the client's of the same name. The exchange is over, and the instance
 * free for the next request, when the server's response has ended.
 */
export class HttpExchange extends Cancellation implements Exchange, Dispatcher.DispatchHandlers {
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  readonly #path: string;
  readonly #extraHeaders: Record<string, string> | undefined;
  #server: WebServer | undefined;
  #requestId = '';
  /** undici's abort of the upstream request, once it is on a connection. */
  #abort: ((error?: Error) => void) | undefined;
  /** undici's resume of a response paused for backpressure. */
  #resume: (() => void) | undefined;
  #upload: UploadBody | undefined;
  /** A small body's chunks while it arrives. */
  #parts: Buffer[] | undefined;
  #fn: DeployedFunction | undefined;
  #started = false;
  /** The first body chunk, held to the end of the turn: if the response ends in it, head and body are one write. */
  #held: Buffer | undefined;
  #firstChunk = true;
  #waitingDrain = false;
  #timer: NodeJS.Timeout | undefined;
  #resolve: (() => void) | undefined;
  #reject: ((error: FnError) => void) | undefined;
  #done = false;
  timeoutMs = 0;

  constructor(incoming: IncomingMessage, outgoing: ServerResponse, path: string, extraHeaders?: Record<string, string>) {
    super();
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.#path = path;
    this.#extraHeaders = extraHeaders;
    outgoing.once('close', this.#onClientClose);
  }

  run(server: WebServer, invocation: Invocation): Promise<void> {
    const { fn, requestId } = invocation;
    this.#server = server;
    this.#requestId = requestId;
    this.timeoutMs = fn.config.timeoutMs;
    this.#fn = fn;
    const done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(onDeadline, this.timeoutMs, this);
    this.#started = true;
    const incoming = this.#incoming;
    const body = receivedBody(incoming);
    if (body !== undefined) this.#dispatch(body);
    else if (isSmallBody(incoming)) {
      // Collected (at most SMALL_BODY_BYTES), then sent with the head in one write.
      this.#parts = [];
      incoming.on('data', this.#onPart);
      incoming.on('end', this.#onParts);
    } else this.#dispatch((this.#upload = new UploadBody(incoming)));
    return done;
  }

  #dispatch(body: Buffer | UploadBody | null): void {
    const incoming = this.#incoming;
    this.#server!.dispatch(
      {
        method: incoming.method as Dispatcher.HttpMethod,
        path: this.#path,
        headers: upstreamHeaders(incoming, this.#fn!, this.#requestId, false, this.#extraHeaders, 'client'),
        // undici takes any async iterable as a body (its types list only streams).
        body: body as Buffer | null,
      },
      this,
    );
  }

  readonly #onPart = (chunk: Buffer): void => {
    this.#parts!.push(chunk);
  };

  readonly #onParts = (): void => {
    this.#stopCollecting();
    if (this.#done) return;
    const parts = this.#parts!;
    this.#parts = undefined;
    this.#dispatch(parts.length === 0 ? null : parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  };

  #stopCollecting(): void {
    this.#incoming.off('data', this.#onPart);
    this.#incoming.off('end', this.#onParts);
  }

  /** End the exchange with `error` (timeout, server gone, client gone); a second end is ignored. */
  fail(error: FnError): void {
    if (this.#done) return;
    this.#finish();
    this.#upload?.stop(error);
    if (this.#parts !== undefined) {
      this.#stopCollecting();
      this.#incoming.resume();
    }
    // Before undici put the request on a connection, onConnect aborts it.
    this.#abort?.(error);
    if (this.#outgoing.headersSent) this.#outgoing.destroy();
    this.#reject!(error);
  }

  #finish(): void {
    this.#done = true;
    clearTimeout(this.#timer);
  }

  readonly #onClientClose = (): void => {
    if (this.#outgoing.writableFinished) return;
    // Waiting for an instance: the pool's wait listens to this signal. Exchanging: give the instance back.
    this.abort(undefined);
    if (this.#started) this.fail(new FnError('CANCELLED', 'the client closed the connection'));
  };

  // undici's handler callbacks.

  onConnect(abort: (error?: Error) => void): void {
    if (this.#done) abort();
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx informational answers (103 Early Hints) are not passed on, as node:http's client did not.
    if (this.#done || statusCode < 200) return true;
    this.#resume = resume;
    const headers = endToEndBytes(rawHeaders, isRequestId);
    headers.push(REQUEST_ID_HEADER, this.#requestId);
    this.#outgoing.writeHead(statusCode, statusText, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#done) return true;
    if (this.#firstChunk) {
      this.#firstChunk = false;
      this.#held = chunk;
      queueMicrotask(this.#flush);
      return true;
    }
    this.#flush();
    return this.#send(chunk);
  }

  onComplete(): void {
    if (this.#done) return;
    this.#finish();
    this.#upload?.stop();
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined) this.#outgoing.end();
    else this.#outgoing.end(held);
    this.#resolve!();
  }

  onError(error: Error): void {
    if (this.#done) return;
    if (isInvalidRequest(error)) this.fail(new FnError('INVALID_PARAMETER', `the request cannot be passed to the web server: ${error.message}`));
    else void upstreamError(this.#server!, error).then((fnError) => this.fail(fnError));
  }

  /** Write a body chunk; false (pause the upstream response) until the client's connection drains. */
  #send(chunk: Buffer): boolean {
    if (this.#outgoing.write(chunk) && !this.#waitingDrain) return true;
    if (!this.#waitingDrain) {
      this.#waitingDrain = true;
      this.#outgoing.once('drain', this.#onDrain);
    }
    return false;
  }

  readonly #flush = (): void => {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    if (!this.#done) this.#send(held);
  };

  readonly #onDrain = (): void => {
    this.#waitingDrain = false;
    if (!this.#done) this.#resume?.();
  };
}
