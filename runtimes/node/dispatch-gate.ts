/**
 * How many calls into isolates run at once. isolated-vm runs each call on a thread of its own pool, sized
 * to the machine's cores + 1; when every pool thread is busy it starts a new OS thread for the call and
 * lets it end afterwards. Under load — 50 requests in flight, each in its own isolate — most calls then
 * pay for a thread's creation on the gateway's main thread, and the threads fight over the cores: the
 * same hello costs about twice the CPU (measured in-process: bench/results/http-budget.md).
 *
 * The gate keeps the calls running at once within the pool. A call holds its place until it settles,
 * or, when it waits on something of the host's (a timer, a fetch, a socket), until HOLD_MS have passed:
 * its isolate is idle then, and the place goes to the next call. So one invocation per instance stays
 * the rule, I/O-bound handlers still run side by side, and a CPU-bound one holds a place only briefly.
 */
import { cpus } from 'node:os';

/** isolated-vm's pool: std::thread::hardware_concurrency() + 1 (it ignores CPU affinity, as does this). */
export const ISOLATE_POOL_THREADS = cpus().length + 1;
/** After this long a running call gives its place up (its isolate is waiting on the host, or busy). */
const HOLD_MS = 1;

/** A call's place in the gate; given back with `leave` (idempotent) when the call ends. */
export interface Place {
  since: number;
  held: boolean;
}

export class DispatchGate {
  readonly #limit: number;
  #running = 0;
  readonly #holders = new Set<Place>();
  readonly #waiting: Array<(place: Place) => void> = [];
  #sweep: NodeJS.Timeout | undefined;

  constructor(limit = ISOLATE_POOL_THREADS) {
    this.#limit = limit;
  }

  /**
   * Calls `start` with a place once there is room: now, or when a running call leaves. No promise: the
   * caller learns of its call's end by other means and gives the place back with `leave`.
   */
  enter(start: (place: Place) => void): void {
    if (this.#running < this.#limit) {
      start(this.#take());
      return;
    }
    this.#waiting.push(start);
    this.#armSweep();
  }

  leave(place: Place): void {
    if (!place.held) return;
    place.held = false;
    this.#holders.delete(place);
    this.#running--;
    const next = this.#waiting.shift();
    if (next !== undefined) next(this.#take());
  }

  #take(): Place {
    this.#running++;
    const place: Place = { since: performance.now(), held: true };
    this.#holders.add(place);
    return place;
  }

  /** While calls wait, places held longer than HOLD_MS are given up. */
  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#sweep = setTimeout(() => {
      this.#sweep = undefined;
      const now = performance.now();
      for (const place of this.#holders) {
        if (this.#waiting.length === 0) break;
        if (now - place.since >= HOLD_MS) this.leave(place);
      }
      if (this.#waiting.length > 0) this.#armSweep();
    }, HOLD_MS);
    this.#sweep.unref();
  }
}
