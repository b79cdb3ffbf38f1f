/**
 * The instances of one function version. Reuses the most recently used idle instance (the warmest),
 * starts new ones up to `maxInstances` (as many at once as the runtime's start gate lets: start-gate.ts),
 * replaces instances that died, and recycles instances idle longer than `idleMs` (keeping `provisioned`
 * of them warm). A redeploy retires the pool: its instances finish what they serve and end, while
 * requests that still reach it go to the pool that replaced it.
 */
import type { CancelSignal } from './cancellation.ts';
import { FnError } from '../gateway/errors.ts';
import type { LogTarget } from './instance-log.ts';
import type { FunctionSpec, InitTimings, Instance, InstanceEnd, RuntimeAdapter } from './runtime.ts';
import type { StartGate, StartPlace } from './start-gate.ts';

export interface PoolOptions {
  spec: FunctionSpec;
  adapter: RuntimeAdapter;
  /** Most instances alive at once. */
  maxInstances: number;
  /** Requests one instance serves at once: 1 for event functions, more for web servers. */
  perInstanceConcurrency: number;
  /** Idle time after which an instance above the provisioned count is closed. */
  idleMs: number;
  /** Called when a provisioned instance finished starting (the `Provisioned Report`). */
  onProvisioned?: (instance: Instance, timings: InitTimings, coldStartMs: number) => void;
  /** Called when starting a replacement or provisioned instance fails outside any request. */
  onBackgroundError?: (error: unknown) => void;
}

export type InstanceState = 'starting' | 'idle' | 'busy';

export interface InstanceInfo {
  id: string;
  state: InstanceState;
  createdAt: number;
  lastUsedAt: number;
  invocations: number;
  inFlight: number;
  provisioned: boolean;
  memoryBytes: number;
}

/** What a cold start cost, for the `Init Report` of the request that waited for it. */
export interface ColdStart extends InitTimings {
  coldStartMs: number;
}

export interface Lease {
  instance: Instance;
  /** Set when this request started the instance. */
  coldStart: ColdStart | undefined;
  release(): void;
}

interface Slot {
  instance: Instance;
  ready: boolean;
  /** While starting: settles when the instance is ready (or failed). */
  starting: Promise<void> | undefined;
  createdAt: number;
  lastUsedAt: number;
  invocations: number;
  inFlight: number;
  provisioned: boolean;
}

/** How often the idle sweep runs, at most. */
const MAX_SWEEP_INTERVAL_MS = 30_000;

interface Retirement {
  successor: InstancePool | undefined;
  /** The instances being closed; `done` resolves once there are no slots and these have ended. */
  closing: Array<Promise<void>>;
  done: Promise<void>;
  resolve: () => void;
}

export class InstancePool {
  #options: PoolOptions;
  #slots: Slot[] = [];
  #waiters: Array<() => void> = [];
  #provisioned = 0;
  #sweepTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #retirement: Retirement | undefined;
  #coldStarts = 0;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  get spec(): FunctionSpec {
    return this.#options.spec;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Requests that waited for an instance to start, since the pool was made (load tests diff this). */
  get coldStarts(): number {
    return this.#coldStarts;
  }

  /** Begin the idle sweep and start the provisioned instances. */
  start(provisioned = 0): Promise<void> {
    const interval = Math.max(50, Math.min(this.#options.idleMs / 2, MAX_SWEEP_INTERVAL_MS));
    this.#sweepTimer = setInterval(() => this.#sweep(), interval);
    this.#sweepTimer.unref();
    return this.setProvisioned(provisioned);
  }

  /** Keep `count` instances warm; starts the missing ones now. */
  async setProvisioned(count: number): Promise<void> {
    if (this.#retirement || this.#closed) return;
    this.#provisioned = count;
    const missing = Math.min(count, this.#options.maxInstances) - this.#slots.length;
    const starts: Array<Promise<void>> = [];
    const gate = this.#options.adapter.startGate;
    for (let i = 0; i < missing; i++) {
      const slot = this.#createSlot(true);
      let startedAt = 0;
      const start = (): ReturnType<Instance['start']> => {
        startedAt = performance.now();
        return slot.instance.start();
      };
      // A pool closed while its start waited for a place: the slot's instance was closed with it, never started.
      const started = gate
        ? gate.take().then((place) => (this.#closed ? Promise.reject(new FnError('CANCELLED', 'the function is being unloaded')) : start()).finally(place.release))
        : start();
      starts.push(
        started.then(
          (timings) => {
            slot.ready = true;
            this.#options.onProvisioned?.(slot.instance, timings, performance.now() - startedAt);
            this.#wake();
          },
          (error) => {
            this.#remove(slot);
            if (!this.#closed) this.#options.onBackgroundError?.(error);
          },
        ),
      );
    }
    await Promise.all(starts);
  }

  /**
   * An instance with room for one more request: an idle warm one, else a new one. When this request
   * starts the instance, the start-up output goes to `startLog`, also when the start fails.
   */
  async acquire(signal?: CancelSignal, startLog?: LogTarget): Promise<Lease> {
    return this.leaseWarm() ?? this.#acquire(signal, startLog);
  }

  /**
   * A warm instance with room, leased now; undefined when `acquire` has to wait, start one, or refuse.
   * The warm invoke path asks this first: no promise and no await for the common case.
   */
  leaseWarm(): Lease | undefined {
    if (this.#closed || this.#retirement) return undefined;
    const warm = this.#pickWarm();
    return warm ? this.#lease(warm, undefined) : undefined;
  }

  async #acquire(signal: CancelSignal | undefined, startLog: LogTarget | undefined): Promise<Lease> {
    for (;;) {
      if (this.#closed) throw new FnError('CANCELLED', 'the function is being unloaded');
      // Requests that resolved this pool before it was replaced (or waited for room in it) run on the new one.
      if (this.#retirement) {
        if (this.#retirement.successor) return this.#retirement.successor.acquire(signal, startLog);
        throw new FnError('CANCELLED', `version ${this.#options.spec.version} of function ${this.#options.spec.name} was removed`);
      }
      const warm = this.#pickWarm();
      if (warm) return this.#lease(warm, undefined);
      // An instance that serves several requests at once and is still starting takes this one too,
      // rather than a burst of first requests each starting its own server.
      const joinable = this.#pickStarting();
      if (joinable) {
        joinable.inFlight++;
        try {
          await joinable.starting;
        } finally {
          joinable.inFlight--;
          this.#reap();
        }
        continue;
      }
      if (this.#slots.length < this.#options.maxInstances) {
        // Room for an instance, but the machine may be starting enough already: then whichever comes
        // first, a start ending or an instance freeing up, and look again.
        const gate = this.#options.adapter.startGate;
        const place = gate?.tryTake();
        if (gate === undefined || place !== undefined) return this.#startForRequest(startLog, place);
        await this.#waitForRoom(signal, gate);
        continue;
      }
      await this.#waitForRoom(signal);
    }
  }

  info(): InstanceInfo[] {
    return this.#slots.map((slot) => ({
      id: slot.instance.id,
      state: !slot.ready ? 'starting' : slot.inFlight > 0 ? 'busy' : 'idle',
      createdAt: slot.createdAt,
      lastUsedAt: slot.lastUsedAt,
      invocations: slot.invocations,
      inFlight: slot.inFlight,
      provisioned: slot.provisioned,
      memoryBytes: slot.ready && slot.instance.alive ? slot.instance.memoryUsage() : 0,
    }));
  }

  /**
   * Stop serving new requests: idle instances end now, busy ones once their requests are done; requests
   * that still arrive here (or wait for room) go to `successor`, or fail without one (a removed version).
   * Resolves when every instance has ended.
   */
  retire(successor?: InstancePool): Promise<void> {
    if (this.#retirement) return this.#retirement.done;
    let resolve!: () => void;
    const done = new Promise<void>((settle) => (resolve = settle));
    this.#retirement = { successor, closing: [], done, resolve };
    this.#provisioned = 0;
    clearInterval(this.#sweepTimer);
    this.#wake();
    return done;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    const slots = this.#slots;
    this.#slots = [];
    this.#wake();
    await Promise.allSettled(slots.map((slot) => slot.instance.close('closed')));
    this.#retirement?.resolve();
  }

  #pickWarm(): Slot | undefined {
    for (;;) {
      let best: Slot | undefined;
      for (const slot of this.#slots) {
        if (!slot.ready || slot.inFlight >= this.#options.perInstanceConcurrency) continue;
        // The most recently used instance is the warmest (JIT, caches); idle ones recycle sooner.
        if (!best || slot.lastUsedAt > best.lastUsedAt) best = slot;
      }
      // `alive` may ask the runtime (an isolate, a process), so only the chosen one is asked.
      if (!best || best.instance.alive) return best;
      this.#remove(best);
      void best.instance.close('broken');
    }
  }

  #pickStarting(): Slot | undefined {
    if (this.#options.perInstanceConcurrency <= 1) return undefined;
    return this.#slots.find((slot) => slot.starting && slot.inFlight < this.#options.perInstanceConcurrency);
  }

  #createSlot(provisioned: boolean): Slot {
    const now = Date.now();
    const slot: Slot = {
      instance: this.#options.adapter.createInstance(this.#options.spec),
      ready: false,
      starting: undefined,
      createdAt: now,
      lastUsedAt: now,
      invocations: 0,
      inFlight: 0,
      provisioned,
    };
    this.#slots.push(slot);
    return slot;
  }

  /** Start an instance for this request (holding `place` in the start gate, if any) and lease it. */
  async #startForRequest(startLog: LogTarget | undefined, place: StartPlace | undefined): Promise<Lease> {
    try {
      return await this.#startAndLease(startLog);
    } finally {
      place?.release();
    }
  }

  async #startAndLease(startLog: LogTarget | undefined): Promise<Lease> {
    const slot = this.#createSlot(false);
    this.#coldStarts++;
    if (startLog) slot.instance.log.attach(startLog);
    // Hold the slot for this request while it starts, so a second request does not pick it.
    slot.inFlight = 1;
    const startedAt = performance.now();
    const start = slot.instance.start();
    slot.starting = start.then(
      () => undefined,
      () => undefined,
    );
    try {
      const timings = await start;
      slot.ready = true;
      slot.inFlight--;
      return this.#lease(slot, { ...timings, coldStartMs: performance.now() - startedAt });
    } catch (error) {
      this.#remove(slot);
      await slot.instance.close('broken');
      throw error;
    } finally {
      slot.starting = undefined;
      if (startLog) slot.instance.log.detach();
    }
  }

  #lease(slot: Slot, coldStart: ColdStart | undefined): Lease {
    slot.inFlight++;
    slot.invocations++;
    let released = false;
    return {
      instance: slot.instance,
      coldStart,
      release: () => {
        if (released) return;
        released = true;
        slot.inFlight--;
        slot.lastUsedAt = Date.now();
        if (!slot.instance.alive) {
          this.#remove(slot);
          void slot.instance.close('broken');
        }
        this.#wake();
      },
    };
  }

  #remove(slot: Slot): void {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    this.#wake();
  }

  /** Until this pool changes (an instance freed, ended or ready), or a place in `gate` frees up. */
  #waitForRoom(signal?: CancelSignal, gate?: StartGate): Promise<void> {
    return new Promise((resolve, reject) => {
      const stopWaiting = (): void => {
        const index = this.#waiters.indexOf(wake);
        if (index >= 0) this.#waiters.splice(index, 1);
        gate?.forget(wake);
      };
      const onAbort = (): void => {
        stopWaiting();
        reject(signal?.reason ?? new FnError('CANCELLED', 'cancelled while waiting for an instance'));
      };
      const wake = (): void => {
        stopWaiting();
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(wake);
      gate?.whenFree(wake);
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
    this.#reap();
  }

  /** A retired pool ends each instance as soon as it serves nothing, and is done when none is left. */
  #reap(): void {
    const retirement = this.#retirement;
    if (!retirement || this.#closed) return;
    for (let i = this.#slots.length - 1; i >= 0; i--) {
      const slot = this.#slots[i]!;
      if (!slot.ready || slot.inFlight > 0) continue;
      this.#slots.splice(i, 1);
      retirement.closing.push(slot.instance.close('closed'));
    }
    if (this.#slots.length === 0) void Promise.allSettled(retirement.closing).then(retirement.resolve);
  }

  #sweep(): void {
    const now = Date.now();
    const idle = this.#slots
      .filter((slot) => slot.ready && slot.inFlight === 0)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt);
    let keep = Math.max(0, this.#provisioned - (this.#slots.length - idle.length));
    for (const slot of idle.reverse()) {
      if (!slot.instance.alive) {
        this.#remove(slot);
        void slot.instance.close('broken');
        continue;
      }
      if (keep > 0) {
        keep--;
        continue;
      }
      if (now - slot.lastUsedAt >= this.#options.idleMs) {
        this.#remove(slot);
        void slot.instance.close('idle' satisfies InstanceEnd);
      }
    }
    if (this.#slots.length < this.#provisioned && !this.#closed) {
      this.setProvisioned(this.#provisioned).catch((error) => this.#options.onBackgroundError?.(error));
    }
  }
}
