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
