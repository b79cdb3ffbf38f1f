/**
 * A client's request body still arriving when the exchange starts, as the async iterable undici's client
 * streams to the user's server (gateway/web-exchange.ts). Why not hand undici the IncomingMessage itself:
 * undici destroys a stream body when the upstream request fails, and destroying an unfinished
 * IncomingMessage destroys the client's socket, so the client would get a reset instead of the SCF error
 * answer. This never destroys the request: backpressure is pausing it, and `stop` drops what is left.
 */
import type { IncomingMessage } from 'node:http';

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

export class UploadBody implements AsyncIterableIterator<Buffer> {
  readonly #incoming: IncomingMessage;
  readonly #chunks: Buffer[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: ((result: IteratorResult<Buffer>) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;

  constructor(incoming: IncomingMessage) {
    this.#incoming = incoming;
    incoming.on('data', this.#onData);
    incoming.on('end', this.#onEnd);
    incoming.on('aborted', this.#onAborted);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      // The consumer is ready for more: let the client's bytes flow again.
      if (this.#chunks.length === 0 && !this.#ended) this.#incoming.resume();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#wake = resolve;
      this.#reject = reject;
    });
  }

  /** undici's loop ended early (the request failed): nothing more is read for it. */
  return(): Promise<IteratorResult<Buffer>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  /**
   * The exchange is over (failed, or the server answered before reading it all): the rest of the body is
   * read and dropped, as node:http does for a request nobody read, and a pending read fails with `error`.
   */
  stop(error: Error = new Error('the request body is no longer forwarded')): void {
    const incoming = this.#incoming;
    incoming.off('data', this.#onData);
    incoming.off('end', this.#onEnd);
    incoming.off('aborted', this.#onAborted);
    this.#chunks.length = 0;
    if (!this.#ended) {
      this.#error ??= error;
      incoming.resume();
    }
    this.#settle();
  }

  readonly #onData = (chunk: Buffer): void => {
    const wake = this.#wake;
    if (wake !== undefined) {
      this.#wake = undefined;
      this.#reject = undefined;
      wake({ value: chunk, done: false });
      return;
    }
    this.#chunks.push(chunk);
    this.#incoming.pause();
  };

  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#settle();
  };

  readonly #onAborted = (): void => {
    this.#error ??= new Error('the client closed the connection during the upload');
    this.#settle();
  };

  /** Answer a pending read with the end or the error. */
  #settle(): void {
    const wake = this.#wake;
    const reject = this.#reject;
    if (wake === undefined) return;
    this.#wake = undefined;
    this.#reject = undefined;
    if (this.#error) reject!(this.#error);
    else if (this.#ended) wake(DONE);
  }
}

/**
 * Bodies up to this size (by their Content-Length) are collected before the upstream request goes out, so
 * it leaves in one write with its head; larger ones, and chunked ones, stream (UploadBody).
 */
export const SMALL_BODY_BYTES = 64 * 1024;

/**
 * A request body that has fully arrived as one buffer, so the upstream request goes out in one write
 * with a Content-Length; null when it is empty, undefined when it is still arriving. node:http runs the
 * request listener (and the microtasks the pipeline's awaits queue) as soon as it has parsed the head:
 * a body, even one that came in the same packet, is usually parsed after the exchange has started.
 */
export function receivedBody(incoming: IncomingMessage): Buffer | null | undefined {
  if (!incoming.complete || incoming.readableFlowing === true) return undefined;
  // Not flowing, so read() returns everything buffered at once.
  return incoming.read() as Buffer | null;
}

/** Whether the body is small enough to collect before sending (a Content-Length within SMALL_BODY_BYTES). */
export function isSmallBody(incoming: IncomingMessage): boolean {
  const length = incoming.headers['content-length'];
  return length !== undefined && incoming.headers['transfer-encoding'] === undefined && Number(length) <= SMALL_BODY_BYTES;
}
