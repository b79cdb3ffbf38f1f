/**
 * Claims of running attempts (status running, lease_until), written in a flush every `delayMs` for the
 * attempts still running then: most attempts end sooner and cost one state write instead of two. A
 * crash before the claim was written finds the event still queued, and it runs again at once.
 */
import type { QueueStore } from '../../store/queue-store.ts';
import type { Clock, ClockTimer } from './clock.ts';
import type { EventRef } from './function-queue.ts';

export class ClaimWriter {
  #store: QueueStore;
  #clock: Clock;
  #delayMs: number;
  /** Attempts started since the last flush, and the attempt number each was started as (two arrays: no pair per attempt). */
  #unclaimed: EventRef[] = [];
  #attempts: number[] = [];
  #timer: ClockTimer | undefined;

  /** `delayMs` 0 writes each claim at once. */
  constructor(store: QueueStore, clock: Clock, delayMs: number) {
    this.#store = store;
    this.#clock = clock;
    this.#delayMs = delayMs;
  }

  /** Write the claim of `ref`'s attempt if it still runs at the next flush. */
  later(ref: EventRef): void {
    if (this.#delayMs === 0) {
      this.#store.update(ref.state);
      return;
    }
    this.#unclaimed.push(ref);
    this.#attempts.push(ref.state.attempts);
    this.#timer ??= this.#clock.setTimer(() => this.#flush(), this.#delayMs);
  }

  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #flush(): void {
    this.#timer = undefined;
    const unclaimed = this.#unclaimed;
    const attempts = this.#attempts;
    this.#unclaimed = [];
    this.#attempts = [];
    for (let i = 0; i < unclaimed.length; i++) {
      const ref = unclaimed[i]!;
      if (ref.where === 'running' && ref.state.attempts === attempts[i]) this.#store.update(ref.state);
    }
  }
}
