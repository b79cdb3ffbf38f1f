/**
 * The host half of an isolate's timers: one host timer per isolate timer id. The isolate keeps callbacks
 * and ref state; the host only says "timer `id` is due". Owned by one instance, which clears them all.
 */

/** Timer kinds as the shim sends them (shim/timers.js). */
export const TimerKind = { TIMEOUT: 0, INTERVAL: 1, IMMEDIATE: 2 } as const;

type HostTimer = { kind: 'timer'; handle: NodeJS.Timeout } | { kind: 'immediate'; handle: NodeJS.Immediate };

export class HostTimers {
  readonly #due: (id: number) => void;
  readonly #timers = new Map<number, HostTimer>();

  /** `due(id)` is called when the isolate's timer `id` should fire. */
  constructor(due: (id: number) => void) {
    this.#due = due;
  }

  get size(): number {
    return this.#timers.size;
  }

  start(id: number, delayMs: number, kind: number): void {
    this.clear(id);
    if (kind === TimerKind.IMMEDIATE) {
      const handle = setImmediate(() => {
        this.#timers.delete(id);
        this.#due(id);
      });
      this.#timers.set(id, { kind: 'immediate', handle });
      return;
    }
    const fire = (): void => {
      if (kind !== TimerKind.INTERVAL) this.#timers.delete(id);
      this.#due(id);
    };
    // Left ref'd like any pending work of the process: an invocation may be waiting on it. The owning
    // instance clears them all when it closes.
    const handle = kind === TimerKind.INTERVAL ? setInterval(fire, delayMs) : setTimeout(fire, delayMs);
    this.#timers.set(id, { kind: 'timer', handle });
  }

  clear(id: number): void {
    const timer = this.#timers.get(id);
    if (timer === undefined) return;
    this.#timers.delete(id);
    if (timer.kind === 'immediate') clearImmediate(timer.handle);
    else clearTimeout(timer.handle);
  }

  clearAll(): void {
    for (const id of [...this.#timers.keys()]) this.clear(id);
  }
}
