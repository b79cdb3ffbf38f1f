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
  /** Attempts started since the last flush, with the attempt number each was started as. */
  #unclaimed: Array<[EventRef, number]> = [];
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
    this.#unclaimed.push([ref, ref.state.attempts]);
    this.#timer ??= this.#clock.setTimer(() => this.#flush(), this.#delayMs);
  }

  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #flush(): void {
    this.#timer = undefined;
    const unclaimed = this.#unclaimed;
    this.#unclaimed = [];
    for (const [ref, attempt] of unclaimed) {
      if (ref.where === 'running' && ref.state.attempts === attempt) this.#store.update(ref.state);
    }
  }
}
