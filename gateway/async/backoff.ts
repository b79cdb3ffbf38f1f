/** Exponential backoff with jitter for async retries and throttled events. */

export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** Each further retry waits this many times longer. */
  factor: number;
  /** Cap on one delay. */
  maxMs: number;
}

/** Function errors: 1 s, 2 s, 4 s … up to 5 min (before jitter). */
export const DEFAULT_RETRY_BACKOFF: BackoffOptions = { baseMs: 1000, factor: 2, maxMs: 5 * 60 * 1000 };
/** Throttled attempts (432): short waits, they spend no retry. */
export const DEFAULT_THROTTLE_BACKOFF: BackoffOptions = { baseMs: 200, factor: 2, maxMs: 10_000 };

/**
 * The wait before retry number `n` (1-based): "equal jitter", half fixed and half random, so retries
 * of events that failed together spread out but never come back sooner than half the nominal delay.
 */
export function backoffDelay(n: number, options: BackoffOptions, random: () => number = Math.random): number {
  const nominal = Math.min(options.maxMs, options.baseMs * options.factor ** Math.max(0, n - 1));
  return Math.round(nominal / 2 + (nominal / 2) * random());
}
