/** Shared pieces of the async tests: a manual clock, a scriptable executor, a store in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CancelSignal } from '../../runtimes/cancellation.ts';
import type { Clock, ClockTimer } from '../../gateway/async/clock.ts';
import type { AsyncExecutor, AsyncTarget, AttemptResult } from '../../gateway/async/dispatcher.ts';
import { openStore, type SqliteStore } from '../../store/index.ts';

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Time moves only when a test calls `advance`; due timers fire in order, each at its own time. */
export class ManualClock implements Clock {
  #now: number;
  #timers: PendingTimer[] = [];
  #seq = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): ClockTimer {
    const timer: PendingTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((timer) => !timer.cancelled);
      let next: PendingTimer | undefined;
      for (const timer of this.#timers) {
        if (timer.at <= target && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) next = timer;
      }
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }
}

/** Poll (in real time) until `check` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A promise with its resolve in hand. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

export interface FakeTarget extends AsyncTarget {
  name: string;
  /** Attempts of this function allowed at once. */
  limit: number;
  inFlight: number;
}

export function fakeTarget(name: string, overrides: Partial<Omit<FakeTarget, 'hasCapacity' | 'name'>> = {}): FakeTarget {
  const target: FakeTarget = {
    name,
    retryNum: 2,
    maxEventAgeMs: 6 * 60 * 60 * 1000,
    maxPendingEvents: 100_000,
    leaseMs: 30_000,
    limit: 10,
    inFlight: 0,
    ...overrides,
    hasCapacity: () => target.inFlight < target.limit,
  };
  return target;
}

export interface Call {
  requestId: string;
  fn: string;
  payload: string;
  signal: CancelSignal;
}

export type Handler = (call: Call, attempt: number) => AttemptResult | Promise<AttemptResult>;

/** Runs attempts through `handler`, counting per-function and global slots like the pipeline does. */
export class FakeExecutor implements AsyncExecutor {
  readonly targets = new Map<string, FakeTarget>();
  readonly calls: Call[] = [];
  globalLimit = Number.POSITIVE_INFINITY;
  inFlight = 0;
  handler: Handler = () => ({ statusCode: 200, result: '"ok"', durationMs: 1 });
  #attempts = new Map<string, number>();

  add(target: FakeTarget): FakeTarget {
    this.targets.set(target.name, target);
    return target;
  }

  resolve(_namespace: string, functionName: string): AsyncTarget | undefined {
    return this.targets.get(functionName);
  }

  globalAvailable(): number {
    return this.globalLimit - this.inFlight;
  }

  async run(target: AsyncTarget, requestId: string, payload: string, signal: CancelSignal): Promise<AttemptResult> {
    const fake = target as FakeTarget;
    const attempt = (this.#attempts.get(requestId) ?? 0) + 1;
    this.#attempts.set(requestId, attempt);
    const call: Call = { requestId, fn: fake.name, payload, signal };
    this.calls.push(call);
    fake.inFlight++;
    this.inFlight++;
    try {
      return await this.handler(call, attempt);
    } finally {
      fake.inFlight--;
      this.inFlight--;
    }
  }

  callsOf(requestId: string): Call[] {
    return this.calls.filter((call) => call.requestId === requestId);
  }
}

type Teardown = { teardown(fn: () => unknown): void };
const cleanups = new WeakMap<Teardown, Array<() => unknown>>();

/** Run `fn` at teardown, after everything deferred later (last in, first out: a dispatcher before its store). */
export function defer(t: Teardown, fn: () => unknown): void {
  let stack = cleanups.get(t);
  if (stack === undefined) {
    const created: Array<() => unknown> = [];
    stack = created;
    cleanups.set(t, created);
    t.teardown(async () => {
      while (created.length > 0) await created.pop()!();
    });
  }
  stack.push(fn);
}

/** A real SQLite store in a fresh temp dir, closed and removed at teardown. */
export async function tempStore(t: Teardown, dataDir?: string): Promise<{ store: SqliteStore; dataDir: string }> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'fngate-async-'));
  const store = await openStore({ dataDir: dir, retentionMs: Number.POSITIVE_INFINITY, flushIntervalMs: 2 });
  defer(t, async () => {
    await store.close();
    if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
  });
  return { store, dataDir: dir };
}

/** A function-error result. */
export const fail = (statusCode = 430, errorMessage = 'boom'): AttemptResult => ({ statusCode, errorMessage, durationMs: 1 });
export const ok = (result = '"ok"'): AttemptResult => ({ statusCode: 200, result, durationMs: 1 });
