/**
 * Time as the async queue sees it: the current time and one-shot timers. Swappable (STYLE §5) so
 * tests drive retries, backoff, expiry and cron ticks with a manual clock instead of waiting.
 */
export interface ClockTimer {
  cancel(): void;
}

export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Call `fn` once, `ms` from now. The timer does not keep the process alive. */
  setTimer(fn: () => void, ms: number): ClockTimer;
}

/** Whether `work` settled within `ms` of wall time (a real timer: shutdown's grace is not a test clock's). */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), grace]);
  } finally {
    clearTimeout(timer);
  }
}

/** Longest a Node timer can wait (2^31 - 1 ms); longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    let handle: NodeJS.Timeout;
    const due = Date.now() + Math.max(0, ms);
    const arm = (): void => {
      const wait = due - Date.now();
      handle = setTimeout(wait > MAX_TIMER_MS ? arm : fn, Math.max(0, Math.min(wait, MAX_TIMER_MS)));
      handle.unref();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** One timer for the soonest of many due times: re-armed only when that time changes. */
export class DueTimer {
  #clock: Clock;
  #onDue: () => void;
  #timer: ClockTimer | undefined;
  #at = Number.POSITIVE_INFINITY;

  constructor(clock: Clock, onDue: () => void) {
    this.#clock = clock;
    this.#onDue = onDue;
  }

  /** When it fires next (Infinity: not armed). */
  get at(): number {
    return this.#at;
  }

  /** Fire at `at` (Infinity: never); a timer already set for that time is kept. */
  arm(at: number): void {
    if (at === this.#at && this.#timer !== undefined) return;
    this.cancel();
    this.#at = at;
    if (at === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#at = Number.POSITIVE_INFINITY;
      this.#onDue();
    }, at - this.#clock.now());
  }

  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
  }
}
