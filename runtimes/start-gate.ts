/**
 * How many instances start at once, machine-wide, for runtimes whose instances are processes (a sandbox,
 * an interpreter, its pasta). Starting one is mostly CPU: spawns, namespaces, an interpreter's start-up.
 * Without a bound, a burst of 50 requests to a cold function started 50 sandboxes together on the one core
 * the gateway shares with them: the first answer came after 5.2 s, and the gateway's event loop stalled
 * for up to 2 s among the spawns (bench/results/python-budget.md).
 *
 * With the gate, a request that finds no idle instance starts one only while fewer than `limit` starts
 * hold a place; otherwise it waits for either a place to free up or an instance to, whichever comes first,
 * and takes a warm instance when there is one by then. One invocation per instance stays the rule: the
 * gate decides when instances start, never how many requests one serves. SCF, too, scales a function out
 * at a bounded rate rather than all at once.
 *
 * A start holds its place until it ends or `holdMs` passed, whichever is first: a slow start (a JVM, an
 * initializer that loads for seconds, a code folder being pulled) is waiting more than computing by then,
 * and must not hold every other function's cold starts back behind it.
 * Isolates (the Node.js runtime) start in about a millisecond on the gateway's own thread: no gate.
 */
import { availableParallelism } from 'node:os';

/** Two starts per core: one process spawning while another runs its interpreter's start-up. */
export const MAX_CONCURRENT_PROCESS_STARTS = Math.max(2, 2 * availableParallelism());
/** A sandboxed interpreter starts in ~0.3–1 s on a busy core; a start still going after this stops counting. */
export const START_HOLD_MS = 2000;

/** One start's place in the gate; `release` (idempotent) gives it back. */
export interface StartPlace {
  release(): void;
}

export class StartGate {
  readonly limit: number;
  readonly #holdMs: number;
  #running = 0;
  /** Called, once each, when a place frees up: the waiters look again (an idle instance, or room to start). */
  #waiting: Array<() => void> = [];

  constructor(limit: number, holdMs = START_HOLD_MS) {
    this.limit = limit;
    this.#holdMs = holdMs;
  }

  /** Places held now. */
  get running(): number {
    return this.#running;
  }

  /** A place for one start now, if there is room. */
  tryTake(): StartPlace | undefined {
    if (this.#running >= this.limit) return undefined;
    this.#running++;
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      this.#running--;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const wake of waiting) wake();
    };
    const timer = setTimeout(release, this.#holdMs);
    timer.unref();
    return { release };
  }

  /** Call `wake` once, when the next place frees up (whoever looks first takes it). */
  whenFree(wake: () => void): void {
    this.#waiting.push(wake);
  }

  /** Forget a waiter that no longer waits (its request was cancelled). */
  forget(wake: () => void): void {
    const index = this.#waiting.indexOf(wake);
    if (index >= 0) this.#waiting.splice(index, 1);
  }

  /** A place for a start nobody waits on (provisioned instances): waits its turn. */
  async take(): Promise<StartPlace> {
    for (;;) {
      const place = this.tryTake();
      if (place !== undefined) return place;
      await new Promise<void>((resolve) => this.whenFree(resolve));
    }
  }
}

/** The gate every process-based runtime's instances share. */
export const PROCESS_STARTS = new StartGate(MAX_CONCURRENT_PROCESS_STARTS);
