/**
 * Bytes between a host stream (a socket, an HTTP response) and the isolate, both ways, with flow control
 * and the bytes held on the host reserved in the instance's HostMemory (so they count in its memory limit).
 *
 * Inbound: every chunk is reserved, then sent into the isolate; the isolate acknowledges what it received
 * (`ack`, telling whether its Readable wants more). The host stream is paused while the isolate has asked
 * for a pause or while more than READ_AHEAD_BYTES are on their way in — a busy isolate never lets
 * a fast peer fill the gateway's memory. Outbound: each write is reserved until the host stream flushed it,
 * then the isolate hears `written` and lets its Writable go on (the isolate bounds what it sends ahead).
 */
import type { Readable, Writable } from 'node:stream';
import type { ServiceContext } from '../service.ts';

/** Bytes sent into the isolate and not yet acknowledged before the host stops reading from the peer. */
export const READ_AHEAD_BYTES = 1 << 20;

/** An Error as it crosses into the isolate (rebuilt there with the same fields). */
export interface ErrorData {
  name: string;
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
  reason?: string;
  errors?: ErrorData[];
}

const ERROR_FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'hostname', 'reason', 'host', 'cert'] as const;

export function describeError(error: unknown): ErrorData {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const data: Record<string, unknown> = { name: error.name, message: error.message };
  for (const field of ERROR_FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number') data[field] = value;
  }
  if (error instanceof AggregateError) data.errors = error.errors.map(describeError);
  return data as unknown as ErrorData;
}

/** A chunk as its own ArrayBuffer: copying a view into the isolate would copy its whole (pooled) buffer. */
export function exactBytes(chunk: Buffer | Uint8Array): Uint8Array {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength
    ? new Uint8Array(chunk.buffer, 0, chunk.byteLength)
    : new Uint8Array(chunk);
}

/**
 * The service context with `send` batched: the events of one turn of the host's event loop go into the
 * isolate as one dispatch (`batch`, id 0, data [id, event, data, id, event, data …]). Each dispatch wakes
 * the isolate's thread; an HTTP response is several events (response, data, end, close) that mostly
 * arrive together, so batching cuts the thread hops that dominate small requests.
 */
export function batched(context: ServiceContext): BatchedContext {
  let queue: unknown[] | null = null;
  let immediate: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (immediate !== undefined) clearImmediate(immediate);
    if (timer !== undefined) clearTimeout(timer);
    immediate = undefined;
    timer = undefined;
    const events = queue!;
    queue = null;
    context.send(0, 'batch', events);
  };
  const send = (id: number, event: string, data?: unknown): void => {
    (queue ??= []).push(id, event, data);
    immediate ??= setImmediate(flush);
  };
  const later = (id: number, event: string, data?: unknown): void => {
    (queue ??= []).push(id, event, data);
    if (immediate === undefined) timer ??= setTimeout(flush, LATER_MS);
  };
  return Object.create(context, { send: { value: send }, later: { value: later } }) as BatchedContext;
}

/** How long an event that nobody waits for (a request's 'socket', 'finish') may wait for company. */
const LATER_MS = 2;

export interface BatchedContext extends ServiceContext {
  /** Queues an event that nobody waits for; it goes with the next batch, at most LATER_MS from now. */
  later(id: number, event: string, data?: unknown): void;
}

export class InboundFlow {
  readonly #stream: Readable;
  readonly #context: ServiceContext;
  readonly #id: number;
  #unacked = 0;
  #isolateWants = true;
  #paused = false;
  #ended = false;

  constructor(context: ServiceContext, id: number, stream: Readable) {
    this.#context = context;
    this.#id = id;
    this.#stream = stream;
  }

  /** Sends `chunk` into the isolate; false (nothing sent) when the function's memory cannot hold it. */
  deliver(chunk: Buffer): boolean {
    if (!this.#context.memory.reserve(chunk.byteLength)) return false;
    this.#unacked += chunk.byteLength;
    this.#context.send(this.#id, 'data', exactBytes(chunk));
    this.#update();
    return true;
  }

  /** The isolate received `bytes`; `wantsMore` is what its Readable's push() said. */
  ack(bytes: number, wantsMore: boolean): void {
    const taken = Math.min(bytes, this.#unacked);
    this.#unacked -= taken;
    this.#context.memory.release(taken);
    this.#isolateWants = wantsMore;
    this.#update();
  }

  /** The isolate's Readable asks for more (its _read). */
  resume(): void {
    this.#isolateWants = true;
    this.#update();
  }

  /** The stream ended or closed: what is still unacknowledged is no longer the host's to hold. */
  close(): void {
    this.#ended = true;
    this.#context.memory.release(this.#unacked);
    this.#unacked = 0;
  }

  #update(): void {
    if (this.#ended) return;
    const pause = !this.#isolateWants || this.#unacked > READ_AHEAD_BYTES;
    if (pause === this.#paused) return;
    this.#paused = pause;
    if (pause) this.#stream.pause();
    else this.#stream.resume();
  }
}

/**
 * Writes `bytes` from the isolate to `stream`; once flushed the isolate hears `written` with the count.
 * False (nothing written) when the function's memory cannot hold them.
 */
export function writeOutbound(context: ServiceContext, id: number, stream: Writable, bytes: Uint8Array): boolean {
  const size = bytes.byteLength;
  if (!context.memory.reserve(size)) return false;
  stream.write(bytes, (error) => {
    context.memory.release(size);
    if (error === undefined || error === null) context.send(id, 'written', size);
  });
  return true;
}

/** The error a stream gets when the function's memory cannot hold more buffered bytes. */
export function memoryError(syscall: string): Error {
  return Object.assign(new Error(`${syscall} ENOBUFS: the function's memory limit cannot hold more buffered bytes`), {
    code: 'ENOBUFS',
    errno: -105,
    syscall,
  });
}
