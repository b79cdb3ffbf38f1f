/**
 * A counting limiter. Sync invocations take a slot or fail at once (432); async work waits for one.
 * Waiters are served first-in first-out.
 */
import type { CancelSignal } from '../runtimes/cancellation.ts';

export class ConcurrencyLimiter {
  #limit: number;
  #inFlight = 0;
  #waiters: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get available(): number {
    return Math.max(0, this.#limit - this.#inFlight);
  }

  /** Change the limit (configuration update); waiters are let in if room appeared. */
  setLimit(limit: number): void {
    this.#limit = limit;
    this.#drain();
  }

  tryAcquire(): boolean {
    if (this.#inFlight >= this.#limit || this.#waiters.length > 0) return false;
    this.#inFlight++;
    return true;
  }

  /** Wait for a slot; rejects if the signal aborts first. */
  acquire(signal?: CancelSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(grant);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(grant);
    });
  }

  release(): void {
    this.#inFlight--;
    this.#drain();
  }

  #drain(): void {
    while (this.#inFlight < this.#limit && this.#waiters.length > 0) {
      this.#inFlight++;
      this.#waiters.shift()!();
    }
  }
}
