/**
 * Isolates made ahead of need, so a cold start skips creating the isolate and its context and compiling
 * and setting up the shim (every global and built-in hook, console framing, the invoke machinery): with a
 * spare ready, a cold start only attaches the instance, hands over the function's configuration and loads
 * its code. Like the pre-warmed Python and PHP interpreters, a spare is generic: it has seen only the
 * platform's facts (PLATFORM_CONFIG); the function's configuration, host hooks and code reach it at `start`,
 * and a spare serves one instance only. Spares are kept per memory limit (an isolate's heap limit is fixed
 * when it is made), only for limits an instance has already asked for, and refilled on a later turn of the
 * event loop.
 */
import ivm from 'isolated-vm';
import { MAX_LOG_BYTES_PER_INVOCATION } from '../instance-log.ts';
import { createHostLink, type HostLink } from './bridge.ts';
import { CODE_ROOT } from './layout.ts';
import type { ResolveRecord } from './modules.ts';
import { SHIM_FILENAME, compileShim, compileShimAsync } from './shim.ts';

/** Spares kept per memory limit. */
export const SPARES_PER_LIMIT = 2;

/** What the shim is set up with: the same for every function of this gateway (shim/*.js read it as `config`). */
const PLATFORM_CONFIG = {
  logBudget: MAX_LOG_BYTES_PER_INVOCATION,
  codeDir: CODE_ROOT,
  nodeVersion: process.version,
  arch: process.arch,
  shimFilename: SHIM_FILENAME,
};

/** The shim's API (shim/invoke.js). */
export interface ShimApi {
  /** Configures the isolate for its function, then loads the handler's (and initializer's) file. */
  load(entry: ResolveRecord, initializerEntry: ResolveRecord | null, functionConfig: Record<string, unknown>): Promise<string>;
  invoke(requestId: string, payload: string, deadline: number): void;
  dispatch(kind: number, id: number, data?: unknown): void;
  watch(): Promise<never>;
}

export interface PreparedIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  /** The host object the shim holds, not yet attached to an instance. */
  link: HostLink;
  load: ivm.Reference<ShimApi['load']>;
  invoke: ivm.Reference<ShimApi['invoke']>;
  dispatch: ivm.Reference<ShimApi['dispatch']>;
  /** The heap once the shim was set up. */
  heap: ivm.HeapStatistics;
}

/** How the shim's setup is called: the host object holds callbacks, the config is copied in. */
const SETUP_OPTIONS = { arguments: { copy: true }, result: { reference: true } } as const;
type ShimSetup = ivm.Reference<(host: unknown, config: unknown) => ShimApi>;

/** A prepared isolate, made now on the host's thread (a cold start that found no spare). */
export function prepareIsolate(memoryLimitMb: number): PreparedIsolate {
  const isolate = new ivm.Isolate({ memoryLimit: memoryLimitMb });
  try {
    const context = isolate.createContextSync();
    const setup = compileShim(isolate).runSync(context, { reference: true, release: true }) as ShimSetup;
    const link = createHostLink();
    const api = setup.applySync(undefined, [link.host, PLATFORM_CONFIG], SETUP_OPTIONS) as ivm.Reference<ShimApi>;
    setup.release();
    return prepared(isolate, context, link, api, isolate.getHeapStatisticsSync());
  } catch (error) {
    isolate.dispose();
    throw error;
  }
}

/**
 * The same, with the work done on the isolate's own thread (isolated-vm's thread pool): a refill leaves
 * the host's event loop, which serves every other function, free but for creating the isolate.
 */
export async function prepareIsolateAsync(memoryLimitMb: number): Promise<PreparedIsolate> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryLimitMb });
  try {
    const context = await isolate.createContext();
    const setup = (await (await compileShimAsync(isolate)).run(context, { reference: true, release: true })) as ShimSetup;
    const link = createHostLink();
    const api = (await setup.apply(undefined, [link.host, PLATFORM_CONFIG], SETUP_OPTIONS)) as ivm.Reference<ShimApi>;
    setup.release();
    return prepared(isolate, context, link, api, await isolate.getHeapStatistics());
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

function prepared(isolate: ivm.Isolate, context: ivm.Context, link: HostLink, api: ivm.Reference<ShimApi>, heap: ivm.HeapStatistics): PreparedIsolate {
  const result: PreparedIsolate = {
    isolate,
    context,
    link,
    load: api.getSync('load', { reference: true }),
    invoke: api.getSync('invoke', { reference: true }),
    dispatch: api.getSync('dispatch', { reference: true }),
    heap,
  };
  // One promise call that the shim never settles: isolated-vm rejects it ("abandoned") only when the
  // isolate's heap is torn down. Made here, off any cold start's clock; it reaches the instance once attached.
  const watch = api.getSync('watch', { reference: true });
  watch.apply(undefined, [], { result: { promise: true } }).then(undefined, () => link.died());
  watch.release();
  api.release();
  return result;
}

/**
 * How long the spares wait after the last take before they refill. A cold start from a spare takes a
 * millisecond or two, its first invocation about as long: a refill in that window would run on the same
 * cores at the same time and be paid by that very cold start (its p90). A burst of cold starts keeps
 * pushing the refill back; its later starts make their isolates themselves, as they would without spares.
 */
export const REFILL_DELAY_MS = 10;

export class IsolateSpares {
  readonly #perLimit: number;
  #spares = new Map<number, PreparedIsolate[]>();
  #refill: NodeJS.Timeout | undefined;
  /** A refill under way (one at a time). */
  #preparing = false;
  #closed = false;

  constructor(perLimit = SPARES_PER_LIMIT) {
    this.#perLimit = perLimit;
  }

  /** A prepared isolate: a spare if one is ready, else one made now. Either way the spares refill later. */
  take(memoryLimitMb: number): PreparedIsolate {
    this.#closed = false;
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
    this.#closed = true;
    clearTimeout(this.#refill);
    this.#refill = undefined;
    for (const spares of this.#spares.values()) for (const spare of spares) spare.isolate.dispose();
    this.#spares.clear();
  }

  /** (Re)starts the wait before the next refill. */
  #scheduleRefill(): void {
    if (this.#perLimit === 0) return;
    if (this.#refill !== undefined) {
      this.#refill.refresh();
      return;
    }
    this.#refill = setTimeout(() => {
      this.#refill = undefined;
      this.#refillOne();
    }, REFILL_DELAY_MS);
    // Spares never keep the process alive.
    this.#refill.unref();
  }

  /** Prepares one spare for a limit that lacks one, then waits again before the next. */
  #refillOne(): void {
    if (this.#preparing || this.#closed) return;
    const limit = [...this.#spares].find(([, spares]) => spares.length < this.#perLimit)?.[0];
    if (limit === undefined) return;
    this.#preparing = true;
    prepareIsolateAsync(limit).then(
      (spare) => {
        this.#preparing = false;
        const spares = this.#spares.get(limit);
        if (this.#closed || spares === undefined) {
          spare.isolate.dispose();
          return;
        }
        spares.push(spare);
        this.#scheduleRefill();
      },
      () => {
        // Out of memory or isolates: instances then make their own.
        this.#preparing = false;
      },
    );
  }
}
