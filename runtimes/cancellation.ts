/**
 * Cancelling an invocation. Node's AbortSignal is the obvious type, but creating one costs ~8–25 µs on
 * Node 20 (it is tracked for `AbortSignal.any` and garbage collection) — as much as the rest of a warm
 * invoke's gateway work — and the invoke path makes one per invocation. `Cancellation` is the same
 * contract for the few members the runtimes use, at the cost of an object.
 */

/** What the invoke path needs of a signal. AbortSignal has this shape, so a real one fits too. */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Controller and signal in one: `abort(reason)` runs each listener once, in the order they were added. */
export class Cancellation implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  #listeners: Array<() => void> | undefined;

  get signal(): CancelSignal {
    return this;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    const at = listeners.indexOf(listener);
    if (at !== -1) listeners.splice(at, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners === undefined) return;
    for (const listener of listeners) listener();
  }
}

/** A real AbortSignal following `signal`, for the Node APIs that take only that (a cold path: connecting). */
export function toAbortSignal(signal: CancelSignal): AbortSignal {
  if (signal instanceof AbortSignal) return signal;
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}
