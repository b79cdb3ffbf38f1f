/**
 * Host services: what the isolate's Node built-ins need the gateway's own Node for (files, sockets, zlib,
 * ciphers, the machine's facts). Each service is made for one instance on first use — a function that never
 * requires `fs` never creates its callbacks — and is closed with the instance, so everything it opened on
 * the host (descriptors, sockets, streams) ends with it.
 *
 * The isolate reaches a service as `internal.service(name, onEvent)` (shim/services.js): the service's
 * `callbacks` are plain functions there; events the host sends with `context.send` arrive at `onEvent`.
 */
import type ivm from 'isolated-vm';
import type { FunctionSpec } from '../../runtime.ts';

/** What a service gets from its instance. */
export interface ServiceContext {
  readonly spec: FunctionSpec;
  /** The instance's private writable folder, seen by the function as `/tmp`. */
  readonly tmpDir: string;
  /** Sends `event` about the service's object `id` into the isolate (ignored once the instance ended). */
  send(id: number, event: string, data?: unknown): void;
  /** Milliseconds the running invocation has left, or the function's timeout between invocations. */
  remainingMs(): number;
  /** Writes to the function's log, as console output does. */
  log(text: string): void;
  /** Host memory held for the function (socket buffers, zlib output, file reads), counted in its limit. */
  readonly memory: HostMemory;
}

/** One instance's host-side memory: reservations fail once they would pass the function's memory limit. */
export class HostMemory {
  readonly #limitBytes: number;
  #used = 0;

  constructor(limitBytes: number) {
    this.#limitBytes = limitBytes;
  }

  get used(): number {
    return this.#used;
  }

  get limit(): number {
    return this.#limitBytes;
  }

  /** Takes `bytes` if they fit under the limit; false (nothing taken) when they do not. */
  reserve(bytes: number): boolean {
    if (bytes < 0 || this.#used + bytes > this.#limitBytes) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

export interface HostService {
  /**
   * Called from the isolate as plain functions; sync callbacks block only the isolate's thread. A Reference
   * to an async host function lets the isolate wait for slow host work with `applySyncPromise` (readFileSync)
   * while the gateway's loop keeps running.
   */
  readonly callbacks: Record<string, ivm.Callback | ivm.Reference>;
  /** Ends everything the service opened for the instance. Called once, when the instance ends. */
  close(): void;
}

export type HostServiceFactory = (context: ServiceContext) => HostService;
