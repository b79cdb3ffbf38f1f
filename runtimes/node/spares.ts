/**
 * Isolates made ahead of need, so a cold start skips creating the isolate, its context and running the
 * shim (~2–3 ms of the ~5 ms a Node cold start costs here). Like the pre-warmed Python and PHP
 * interpreters, a spare is generic: the function's configuration, host bridge and code reach it at
 * `start`. Spares are kept per memory limit (an isolate's heap limit is fixed when it is made), only for
 * limits an instance has already asked for, and refilled on a later turn of the event loop.
 */
import ivm from 'isolated-vm';
import { compileShim } from './shim.ts';

/** Spares kept per memory limit. */
export const SPARES_PER_LIMIT = 2;

export interface PreparedIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  /** The shim's setup function, not yet given its configuration. */
  setup: ivm.Reference<(host: unknown, config: unknown) => unknown>;
}

export function prepareIsolate(memoryLimitMb: number): PreparedIsolate {
  const isolate = new ivm.Isolate({ memoryLimit: memoryLimitMb });
  try {
    const context = isolate.createContextSync();
    const setup = compileShim(isolate).runSync(context, { reference: true, release: true }) as PreparedIsolate['setup'];
    return { isolate, context, setup };
  } catch (error) {
    isolate.dispose();
    throw error;
  }
}

export class IsolateSpares {
  readonly #perLimit: number;
  #spares = new Map<number, PreparedIsolate[]>();
  #refill: NodeJS.Immediate | undefined;

  constructor(perLimit = SPARES_PER_LIMIT) {
    this.#perLimit = perLimit;
  }

  /** A prepared isolate: a spare if one is ready, else one made now. Either way the spares refill later. */
  take(memoryLimitMb: number): PreparedIsolate {
    const spares = this.#spares.get(memoryLimitMb) ?? [];
    this.#spares.set(memoryLimitMb, spares);
    let spare = spares.pop();
    while (spare?.isolate.isDisposed) spare = spares.pop();
    this.#scheduleRefill();
    return spare ?? prepareIsolate(memoryLimitMb);
  }

  /** Spares ready for a memory limit. */
  ready(memoryLimitMb: number): number {
    return this.#spares.get(memoryLimitMb)?.length ?? 0;
  }

  /** Dispose every spare (the adapter closes); later takes start over. */
  close(): void {
    if (this.#refill) clearImmediate(this.#refill);
    this.#refill = undefined;
    for (const spares of this.#spares.values()) for (const spare of spares) spare.isolate.dispose();
    this.#spares.clear();
  }

  #scheduleRefill(): void {
    if (this.#perLimit === 0 || this.#refill) return;
    // One spare per turn: making an isolate blocks the event loop for a few ms, so it is spread out.
    this.#refill = setImmediate(() => {
      this.#refill = undefined;
      for (const [limit, spares] of this.#spares) {
        if (spares.length >= this.#perLimit) continue;
        try {
          spares.push(prepareIsolate(limit));
        } catch {
          return; // out of memory or isolates: instances then make their own
        }
        this.#scheduleRefill();
        return;
      }
    });
    // Spares never keep the process alive.
    this.#refill.unref();
  }
}
