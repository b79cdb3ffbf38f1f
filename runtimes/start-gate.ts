/**
 * How many instances start at once, machine-wide, for runtimes whose instances are processes (a sandbox,
 * an interpreter, its pasta). Starting one is mostly CPU: spawns, namespaces, an interpreter's start-up.
 * Without a bound, a burst of 50 requests to a cold function started 50 sandboxes together on the one core
 * the gateway shares with them: none was ready for 15–20 s, requests timed out meanwhile, and the
 * gateway's event loop stalled for up to 1.8 s among the spawns (bench/results/python-budget.md).
 *
 * With the gate, a request that finds no idle instance starts one only while fewer than `limit` starts
 * are under way; otherwise it waits for either a start to finish or an instance to free up, whichever
 * comes first, and takes a warm instance when there is one by then. One invocation per instance stays
 * the rule: the gate decides when instances start, never how many requests one serves. SCF, too, scales
 * a function out at a bounded rate rather than all at once.
 * Isolates (the Node.js runtime) start in about a millisecond on the gateway's own thread: no gate.
 */
import { availableParallelism } from 'node:os';

/** Two starts per core: one process spawning while another runs its interpreter's start-up. */
export const MAX_CONCURRENT_PROCESS_STARTS = Math.max(2, 2 * availableParallelism());

export class StartGate {
  readonly limit: number;
  #running = 0;
  /** Called, once each, when a start ends: the waiters look again (an idle instance, or room to start). */
  #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Starts under way. */
  get running(): number {
    return this.#running;
  }

  /** Take a place for one start now, if there is room; give it back with `release` when the start ends. */
  tryTake(): boolean {
    if (this.#running >= this.limit) return false;
    this.#running++;
    return true;
  }

  release(): void {
    this.#running--;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
  }

  /** Call `wake` once, when the next start ends (a start that ends frees a place for whoever looks first). */
  whenFree(wake: () => void): void {
    this.#waiting.push(wake);
  }

  /** Forget a waiter that no longer waits (its request was cancelled). */
  forget(wake: () => void): void {
    const index = this.#waiting.indexOf(wake);
    if (index >= 0) this.#waiting.splice(index, 1);
  }

  /** A place for a start nobody waits on (provisioned instances): waits its turn. */
  async take(): Promise<void> {
    while (!this.tryTake()) await new Promise<void>((resolve) => this.whenFree(resolve));
  }
}

/** The gate every process-based runtime's instances share. */
export const PROCESS_STARTS = new StartGate(MAX_CONCURRENT_PROCESS_STARTS);
