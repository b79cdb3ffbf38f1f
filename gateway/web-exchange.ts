/**
 * One plain HTTP request passed through to a web function's server (SPEC §4), the hot path of web
 * functions. Bodies are streamed both ways with backpressure, so a large upload or download never sits in
 * the gateway's memory.
 *
 * Why a class with a handful of listeners instead of two `pipe()`s, a promise chain and an AbortController:
 * every request pays for each listener, closure and timer it sets up. `pipe()` adds about seven listeners
 * on each side and removes them again; here each stream gets the two or three it needs. The exchange is
 * also the request's cancel signal (the pool's wait for an instance listens to it), so the client's
 * connection has one 'close' listener, not one per layer. bench/results/web-budget.md has the figures.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientRequest } from 'node:http';
import { Cancellation } from '../runtimes/cancellation.ts';
import type { WebServer } from '../runtimes/web/index.ts';
import { FnError } from './errors.ts';
import type { Invocation } from './invoke/invocation.ts';
import type { Exchange } from './invoke/web-pipeline.ts';
import { REQUEST_ID_HEADER } from './respond.ts';
import { endToEnd, isRequestId, timeoutError, upstreamError, upstreamHeaders } from './web-proxy.ts';

/** Timers get this module-level callback and the exchange as argument: no closure per request. */
function onDeadline(exchange: HttpExchange): void {
  exchange.fail(timeoutError(exchange.timeoutMs));
}

/**
 * Until the response starts, a failure rejects and the caller answers with the error; after it, the client
 * connection is cut (the status is already on the wire). `extraHeaders` (API gateway's, for a web function
 * behind an apigw trigger) replace the client's of the same name. The exchange is over, and the instance
 * free for the next request, when the server's response has ended.
 */
export class HttpExchange extends Cancellation implements Exchange {
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  readonly #path: string;
  readonly #extraHeaders: Record<string, string> | undefined;
  #server: WebServer | undefined;
  #upstream: ClientRequest | undefined;
  #response: IncomingMessage | undefined;
  #timer: NodeJS.Timeout | undefined;
  #settle: ((error?: FnError) => void) | undefined;
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
    this.timeoutMs = fn.config.timeoutMs;
    const incoming = this.#incoming;
    const upstream = server.request({
      method: incoming.method,
      path: this.#path,
      headers: upstreamHeaders(incoming, fn, requestId, false, this.#extraHeaders),
    });
    this.#upstream = upstream;
    const done = new Promise<void>((resolve, reject) => {
      this.#settle = (error) => (error ? reject(error) : resolve());
    });
    this.#timer = setTimeout(onDeadline, this.timeoutMs, this);
    upstream.on('response', (response) => this.#onResponse(response, requestId));
    upstream.on('error', this.#onUpstreamError);
    incoming.on('data', this.#onRequestData);
    incoming.on('end', this.#onRequestEnd);
    return done;
  }

  /** End the exchange with `error` (timeout, server gone, client gone); a second end is ignored. */
  fail(error: FnError): void {
    if (this.#done) return;
    this.#finish();
    this.#upstream?.destroy();
    const incoming = this.#incoming;
    incoming.off('data', this.#onRequestData);
    incoming.off('end', this.#onRequestEnd);
    if (this.#outgoing.headersSent) this.#outgoing.destroy();
    this.#settle?.(error);
  }

  #finish(): void {
    this.#done = true;
    clearTimeout(this.#timer);
  }

  readonly #onClientClose = (): void => {
    if (this.#outgoing.writableFinished) return;
    // Waiting for an instance: the pool's wait listens to this signal. Exchanging: give the instance back.
    this.abort(undefined);
    if (this.#upstream) this.fail(new FnError('CANCELLED', 'the client closed the connection'));
  };

  readonly #onRequestData = (chunk: Buffer): void => {
    if (this.#upstream!.write(chunk)) return;
    this.#incoming.pause();
    this.#upstream!.once('drain', this.#resumeRequest);
  };

  readonly #resumeRequest = (): void => {
    if (!this.#done) this.#incoming.resume();
  };

  readonly #onRequestEnd = (): void => {
    this.#upstream!.end();
  };

  #onResponse(response: IncomingMessage, requestId: string): void {
    if (this.#done) return;
    this.#response = response;
    const headers = endToEnd(response.rawHeaders, response.headers, isRequestId);
    headers.push(REQUEST_ID_HEADER, requestId);
    this.#outgoing.writeHead(response.statusCode ?? 502, response.statusMessage, headers);
    response.on('data', this.#onResponseData);
    response.on('end', this.#onResponseEnd);
    response.on('close', this.#onResponseClose);
  }

  readonly #onResponseData = (chunk: Buffer): void => {
    if (this.#outgoing.write(chunk)) return;
    this.#response!.pause();
    this.#outgoing.once('drain', this.#resumeResponse);
  };

  readonly #resumeResponse = (): void => {
    if (!this.#done) this.#response!.resume();
  };

  readonly #onResponseEnd = (): void => {
    if (this.#done) return;
    this.#finish();
    this.#outgoing.end();
    this.#settle!();
  };

  readonly #onResponseClose = (): void => {
    if (!this.#done && !this.#response!.complete) this.#serverFailed(new Error('response cut short'));
  };

  readonly #onUpstreamError = (error: Error): void => {
    if (!this.#done) this.#serverFailed(error);
  };

  #serverFailed(error: Error): void {
    void upstreamError(this.#server!, error).then((fnError) => this.fail(fnError));
  }
}
