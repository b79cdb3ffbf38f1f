/** Reading request bodies with a size cap that stops reading as soon as the cap is passed. */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { FnError } from './errors.ts';

/** SPEC §5: synchronous payloads up to 6 MB, asynchronous up to 128 KB. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const MAX_ASYNC_PAYLOAD_BYTES = 128 * 1024;

/**
 * The body of a request as bytes. Under @hono/node-server the Node request is read directly: building
 * the web `Request` body stream costs more than the rest of an invoke's gateway work.
 */
export async function readBody(c: Context, limit: number): Promise<Buffer> {
  const read = readBodies.get(c.req.raw);
  if (read !== undefined) {
    if (read.length > limit) throw tooLarge(limit);
    return read;
  }
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > limit) {
    if (incoming) await discardRest(incoming, limit);
    throw tooLarge(limit);
  }
  const body = await (incoming ? readIncoming(incoming, limit) : readWebBody(c.req.raw, limit));
  // A middleware that needed the body (a TC3 signature covers it) leaves it for the handler.
  readBodies.set(c.req.raw, body);
  return body;
}

/** Bodies already read, by request: a request's body stream can be read only once. */
const readBodies = new WeakMap<Request, Buffer>();

/** The body of a node request, refusing more than `limit` bytes (406) as soon as that is known. */
export function readNodeBody(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  // Not async: the warm invoke reads its body through one promise (readIncoming's), not two.
  const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
  if (declared > limit) {
    return discardRest(incoming, limit).then(() => {
      throw tooLarge(limit);
    });
  }
  return readIncoming(incoming, limit);
}

/**
 * Reads the rest of a refused upload and drops it, so the client gets the answer: one sent while it still
 * uploads is followed by the connection's close, and the client sees a reset instead. Past a few times
 * the limit the connection is cut instead.
 */
function discardRest(incoming: IncomingMessage, limit: number): Promise<void> {
  if (incoming.readableEnded || incoming.destroyed) return Promise.resolve();
  const most = Math.max(4 * limit, MIN_DISCARDED_BYTES);
  return new Promise((resolve) => {
    let discarded = 0;
    const done = (): void => {
      incoming.off('data', onData);
      incoming.off('end', done);
      incoming.off('close', done);
      incoming.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      discarded += chunk.byteLength;
      if (discarded > most) {
        incoming.destroy();
        done();
      }
    };
    incoming.on('data', onData);
    incoming.on('end', done);
    incoming.on('close', done);
    incoming.on('error', done);
    incoming.resume();
  });
}

/** Smallest cap on the bytes discardRest reads (for small limits, a slightly larger upload still gets its answer). */
const MIN_DISCARDED_BYTES = 16 * 1024 * 1024;

export async function readBodyText(c: Context, limit: number): Promise<string> {
  return (await readBody(c, limit)).toString('utf8');
}

function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  if (incoming.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size > limit) {
        cleanup();
        void discardRest(incoming, limit).then(() => reject(tooLarge(limit)));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new FnError('CANCELLED', `the request body could not be read: ${error.message}`));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}

async function readWebBody(request: Request, limit: number): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** The event text of an invoke: empty means `{}`; anything else must be JSON (400). */
export function validateEventJson(text: string): string {
  if (text.trim() === '') return '{}';
  try {
    JSON.parse(text);
  } catch (error) {
    throw new FnError('EVENT_NOT_JSON', `the event is not valid JSON: ${(error as Error).message}`);
  }
  return text;
}

export function tooLarge(limit: number): FnError {
  return new FnError('REQUEST_TOO_LARGE', `the request body is over the ${limit} byte limit`);
}
