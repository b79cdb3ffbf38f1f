/**
 * How many event invocations of a runtime run at once, machine-wide, before they take an instance: the
 * process-based runtimes share `PROCESS_CALLS`; the Node.js runtime has a gate of its own, within
 * isolated-vm's thread pool (runtimes/node/adapter.ts). One invocation per instance stays the rule; the
 * gate decides how many instances are busy at the same moment, never how many requests one serves.
 *
 * Why: with 50 requests in flight to a one-core gateway, every request had its own process (50
 * interpreters, each woken once per request, each with its own cold caches) although at most a core's
 * worth of them could run at once. Waiting in the gateway for one of a few busy instances to finish costs
 * the request nothing it was not already paying in the kernel's run queue, and those few instances stay
 * hot: the next request in line takes the instance the last one just gave back (the pool is LIFO).
 *
 * A call holds its place until it ends or, while others wait, until `holdMs` passed: by then its process
 * is waiting on something (a socket, a timer, a slow start) or computing for long, and the next request
 * may start beside it. So I/O-bound handlers still run side by side, `holdMs` apart at most per place.
 */
import { availableParallelism } from 'node:os';
import type { CancelSignal } from './cancellation.ts';

/**
 * A core's worth of calls. One more (a call whose answer is on its way back, as the limit once was) cost
 * more than it gained: on one core, a sandboxed Python hello at 50 connections served 7.9–8.1k req/s with two
 * interpreters taking turns against 9.1–9.2k with one (p99 20–21 against 12–13 ms), each interpreter's
 * caches cold after the other had run; on two cores both limits served the same (bench/results/python-budget.md).
 */
export const MAX_RUNNING_PROCESS_CALLS = availableParallelism();
/**
 * A call held this long while others wait gives its place up (it is waiting, or busy for long). Under
 * load the gateway's event loop reads an answer a few ms after it arrived, so a shorter hold lets calls in
 * early whose instances are done already: at 50 connections 5 ms served 3–10 % more than 1–3 ms with a
 * lower p99 (Node.js and Python hellos, bench/cpu-budget.ts, alternating). The cost: a burst of I/O-bound
 * calls is let in `limit` per 5 ms (50 on two cores within ~85 ms).
 */
export const RUN_HOLD_MS = 5;

/** One call's place; given back with `RunGate.leave` (idempotent). */
export interface RunPlace {
  since: number;
  held: boolean;
}

interface Waiter {
  admit(place: RunPlace): void;
  signal: CancelSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class RunGate {
  readonly limit: number;
  readonly #holdMs: number;
  #running = 0;
  readonly #holders = new Set<RunPlace>();
  #waiting: Waiter[] = [];
  #sweep: NodeJS.Timeout | undefined;

  constructor(limit: number, holdMs = RUN_HOLD_MS) {
    this.limit = limit;
    this.#holdMs = holdMs;
  }

  /** Places held now. */
  get running(): number {
    return this.#running;
  }

  /** A place now, if there is room and nobody waits before this call. */
  tryEnter(): RunPlace | undefined {
    if (this.#running >= this.limit || this.#waiting.length > 0) return undefined;
    return this.#take();
  }

  /** A place once there is room; rejects with the signal's reason if it aborts first. */
  enter(signal?: CancelSignal): Promise<RunPlace> {
    const place = this.tryEnter();
    if (place !== undefined) return Promise.resolve(place);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<RunPlace>((resolve, reject) => {
      const waiter: Waiter = { admit: resolve, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const at = this.#waiting.indexOf(waiter);
          if (at === -1) return;
          this.#waiting.splice(at, 1);
          if (this.#waiting.length === 0) this.#stopSweep();
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort);
      }
      this.#waiting.push(waiter);
      this.#armSweep();
    });
  }

  leave(place: RunPlace): void {
    if (!place.held) return;
    place.held = false;
    this.#holders.delete(place);
    this.#running--;
    const next = this.#waiting.shift();
    if (next === undefined) return;
    if (next.onAbort !== undefined) next.signal?.removeEventListener('abort', next.onAbort);
    if (this.#waiting.length === 0) this.#stopSweep();
    next.admit(this.#take());
  }

  #take(): RunPlace {
    this.#running++;
    const place: RunPlace = { since: performance.now(), held: true };
    this.#holders.add(place);
    return place;
  }

  #stopSweep(): void {
    clearTimeout(this.#sweep);
    this.#sweep = undefined;
  }

  /** While calls wait, places held for `holdMs` or more are given up, one waiter each. */
  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#sweep = setTimeout(() => {
      this.#sweep = undefined;
      const now = performance.now();
      for (const place of this.#holders) {
        if (this.#waiting.length === 0) break;
        if (now - place.since >= this.#holdMs) this.leave(place);
      }
      if (this.#waiting.length > 0) this.#armSweep();
    }, this.#holdMs);
    // Not unref'd: it runs only while calls wait (stopped when the last one is let in), and an embedding
    // application's invocation waiting for a place keeps its process alive as the call itself would.
  }
}

/** The gate every process-based runtime's event invocations share. */
export const PROCESS_CALLS = new RunGate(MAX_RUNNING_PROCESS_CALLS);
