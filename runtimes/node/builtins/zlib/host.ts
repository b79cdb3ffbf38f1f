/**
 * The `zlib` built-in's host half: Node's own zlib, asynchronous (libuv's pool), so a big (de)compression
 * never stalls the gateway's loop; the isolate's sync forms wait with applySyncPromise. Output is bounded by
 * the memory the function has left (and by `maxOutputLength` when it sets one): a zlib bomb fails with
 * Node's RangeError ERR_BUFFER_TOO_LARGE instead of filling the gateway's memory. Streams (createGzip …)
 * are host zlib streams behind handles owned by the instance; each write answers with the output it made.
 *
 * Every answer is `[error, result]`; an error is `{ name, message, code, errno }` for isolate.js to rebuild.
 */
import { kMaxLength } from 'node:buffer';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import ivm from 'isolated-vm';
import type { HostMemory, HostService, ServiceContext } from '../service.ts';

/** Streams one instance may hold open; past it creating one fails. */
const MAX_STREAMS = 1024;

type Answer = [ErrorData | null, unknown];
interface ErrorData {
  name: string;
  message: string;
  code?: string;
  errno?: number;
}

type OneShot = (input: Buffer, options: zlib.ZlibOptions | zlib.BrotliOptions) => Promise<Buffer>;
const ONE_SHOT: Record<string, OneShot> = {
  gzip: promisify(zlib.gzip),
  gunzip: promisify(zlib.gunzip),
  deflate: promisify(zlib.deflate),
  inflate: promisify(zlib.inflate),
  deflateRaw: promisify(zlib.deflateRaw),
  inflateRaw: promisify(zlib.inflateRaw),
  unzip: promisify(zlib.unzip),
  brotliCompress: promisify(zlib.brotliCompress) as OneShot,
  brotliDecompress: promisify(zlib.brotliDecompress) as OneShot,
};

type StreamFactory = (options: zlib.ZlibOptions & zlib.BrotliOptions) => zlib.Gzip | zlib.BrotliCompress;
const STREAMS: Record<string, StreamFactory> = {
  Gzip: zlib.createGzip,
  Gunzip: zlib.createGunzip,
  Deflate: zlib.createDeflate,
  Inflate: zlib.createInflate,
  DeflateRaw: zlib.createDeflateRaw,
  InflateRaw: zlib.createInflateRaw,
  Unzip: zlib.createUnzip,
  BrotliCompress: zlib.createBrotliCompress,
  BrotliDecompress: zlib.createBrotliDecompress,
};

function errorData(error: unknown): ErrorData {
  if (error instanceof Error) {
    const { code, errno } = error as NodeJS.ErrnoException;
    return { name: error.name, message: error.message, code, errno };
  }
  return { name: 'Error', message: String(error) };
}

function tooLarge(limit: number): Error {
  return Object.assign(new RangeError(`Cannot create a Buffer larger than ${limit} bytes`), { code: 'ERR_BUFFER_TOO_LARGE' });
}

function bytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Options from the isolate with the output bound applied (the function's free memory). */
function bounded(options: Record<string, unknown> | undefined, memory: HostMemory): { options: Record<string, unknown>; limit: number } {
  const free = Math.max(0, memory.limit - memory.used);
  const asked = typeof options?.maxOutputLength === 'number' ? options.maxOutputLength : kMaxLength;
  const limit = Math.max(1, Math.min(asked, free));
  return { options: { ...options, maxOutputLength: limit }, limit };
}

/** A host zlib stream and the output it has produced since last asked. */
class HostStream {
  readonly stream: zlib.Gzip | zlib.BrotliCompress;
  #output: Buffer[] = [];
  #outputBytes = 0;
  #failure: Error | null = null;

  constructor(stream: zlib.Gzip | zlib.BrotliCompress, readonly memory: HostMemory) {
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => {
      if (this.#failure !== null) return;
      if (!memory.reserve(chunk.length)) {
        this.#failure = tooLarge(this.#outputBytes);
        stream.destroy();
        return;
      }
      this.#output.push(chunk);
      this.#outputBytes += chunk.length;
    });
    stream.on('error', (error: Error) => {
      this.#failure ??= error;
    });
  }

  /** What the stream made (one buffer) and its memory back; throws the stream's failure. */
  take(): Uint8Array {
    if (this.#failure !== null) {
      this.#release();
      throw this.#failure;
    }
    const out = Buffer.concat(this.#output, this.#outputBytes);
    this.#release();
    return bytes(out);
  }

  #release(): void {
    this.memory.release(this.#outputBytes);
    this.#output = [];
    this.#outputBytes = 0;
  }

  /** Resolves once `start`'s callback ran and the output it pushed has been seen (or the stream failed). */
  settle(start: (done: () => void) => void): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        this.stream.off('error', finish);
        this.stream.off('close', finish);
        // Output pushed from the pool's callback may be announced on the next tick; take it after that.
        setImmediate(() => {
          try {
            resolve(this.take());
          } catch (error) {
            reject(error);
          }
        });
      };
      this.stream.once('error', finish);
      this.stream.once('close', finish);
      start(finish);
    });
  }

  close(): void {
    this.#release();
    this.stream.destroy();
  }
}

/**
 * The answer as the isolate receives it from a sync call. Output in a buffer of its own (zlib's results
 * past a few KB) is moved into the isolate rather than copied on the gateway's thread.
 */
function transferable(answer: Answer): ivm.Copy<unknown> {
  const result = answer[1];
  const transferList = result instanceof Uint8Array && result.byteOffset === 0 && result.byteLength === result.buffer.byteLength && result.byteLength > 0 ? [result.buffer] : undefined;
  return new ivm.ExternalCopy(answer, { transferList }).copyInto({ release: true, transferIn: transferList !== undefined });
}

export function zlibService(context: ServiceContext): HostService {
  const streams = new Map<number, HostStream>();
  let nextStream = 1;
  const memory = context.memory;
  const stream = (id: number): HostStream => {
    const found = streams.get(id);
    if (found === undefined) throw Object.assign(new Error('zlib binding closed'), { code: 'ERR_ZLIB_BINDING_CLOSED' });
    return found;
  };

  const operations: Record<string, (...args: any[]) => Promise<unknown>> = {
    oneShot: async (kind: string, input: Uint8Array, options: Record<string, unknown> | undefined) => {
      const run = Object.hasOwn(ONE_SHOT, kind) ? ONE_SHOT[kind]! : undefined;
      if (run === undefined) throw new TypeError(`unknown zlib operation ${kind}`);
      const { options: withBound } = bounded(options, memory);
      const out = await run(Buffer.from(input.buffer, input.byteOffset, input.byteLength), withBound);
      // Held until the isolate has its copy.
      if (memory.reserve(out.length)) setImmediate(() => memory.release(out.length));
      return bytes(out);
    },
    streamCreate: async (kind: string, options: Record<string, unknown> | undefined) => {
      const make = Object.hasOwn(STREAMS, kind) ? STREAMS[kind]! : undefined;
      if (make === undefined) throw new TypeError(`unknown zlib stream ${kind}`);
      if (streams.size >= MAX_STREAMS) throw new Error(`the function holds ${MAX_STREAMS} open zlib streams; end or destroy the ones it is done with`);
      const id = nextStream++;
      streams.set(id, new HostStream(make({ ...options } as zlib.ZlibOptions & zlib.BrotliOptions), memory));
      return id;
    },
    streamWrite: (id: number, chunk: Uint8Array) => {
      const host = stream(id);
      return host.settle((done) => host.stream.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), () => done()));
    },
    streamFlush: (id: number, kind: number | undefined) => {
      const host = stream(id);
      return host.settle((done) => (host.stream as zlib.Gzip).flush(kind ?? zlib.constants.Z_FULL_FLUSH, () => done()));
    },
    streamEnd: async (id: number) => {
      const host = stream(id);
      const out = await host.settle((done) => {
        host.stream.once('end', () => done());
        host.stream.end();
      });
      streams.delete(id);
      host.close();
      return out;
    },
    streamParams: (id: number, level: number, strategy: number) => {
      const host = stream(id);
      return host.settle((done) => (host.stream as unknown as { params(level: number, strategy: number, callback: () => void): void }).params(level, strategy, () => done()));
    },
    streamClose: async (id: number) => {
      streams.get(id)?.close();
      streams.delete(id);
    },
  };

  const run = async (op: string, args: unknown[]): Promise<Answer> => {
    try {
      const operation = Object.hasOwn(operations, op) ? operations[op]! : undefined;
      if (operation === undefined) throw new TypeError(`unknown zlib operation ${op}`);
      return [null, await operation(...args)];
    } catch (error) {
      return [errorData(error), null];
    }
  };
  const sync = new ivm.Reference(async (op: string, args: unknown[]) => transferable(await run(op, args)));

  return {
    callbacks: {
      constants: new ivm.Callback(() => ({ ...zlib.constants })),
      sync,
      start: new ivm.Callback(
        (id: number, op: string, args: unknown[]) => {
          void run(op, args).then((answer) => context.send(id, 'done', answer));
        },
        { ignored: true },
      ),
    },
    close: () => {
      for (const host of streams.values()) host.close();
      streams.clear();
      sync.release();
    },
  };
}
