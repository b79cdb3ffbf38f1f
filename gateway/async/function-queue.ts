/**
 * A live event as the dispatcher holds it (EventRef) and the FIFO of one function's runnable events
 * (FunctionQueue). Counts per queue are kept exact as events move between ready, delayed and running.
 */
import type { AsyncEventState, PendingAsyncEvent } from '../../store/queue-statements.ts';
import type { Cancellation } from '../../runtimes/cancellation.ts';
import type { AsyncTarget } from './types.ts';

export type Where = 'ready' | 'delayed' | 'running' | 'gone';

export interface EventRef {
  state: AsyncEventState;
  queue: FunctionQueue;
  where: Where;
  controller: Cancellation | undefined;
  /** terminate() asked for the running attempt to end the event. */
  terminating: boolean;
  /** close() aborted the running attempt: the event goes back to the queue, for the next start. */
  shuttingDown: boolean;
  /** Resolves when the running attempt's outcome is handled. */
  settled: Promise<void> | undefined;
  /** The event, when it is in the payload cache. */
  payload: string | undefined;
}

export class FunctionQueue {
  readonly namespace: string;
  readonly functionName: string;
  readonly qualifier: string;
  target: AsyncTarget | undefined;
  /** FIFO of runnable events; entries that left it (`where` changed) are skipped lazily. */
  #fifo: EventRef[] = [];
  #head = 0;
  ready = 0;
  delayed = 0;
  running = 0;
  /** Accepts waiting for their commit: they count against maxPendingEvents already. */
  reserved = 0;
  /** Scratch count of one enqueue call's items for this queue (no per-call map). */
  incoming = 0;
  inRing = false;
  /**
   * No ready event was queued before this (epoch ms): a lower bound, lowered on each push and made exact
   * by each walk of `readyQueuedBy`, so the once-a-second expiry sweep walks a deep queue only when one of
   * its events may have reached maxEventAge, not every time.
   */
  #oldestQueuedAt = Number.POSITIVE_INFINITY;

  constructor(namespace: string, functionName: string, qualifier: string) {
    this.namespace = namespace;
    this.functionName = functionName;
    this.qualifier = qualifier;
  }

  get pending(): number {
    return this.ready + this.delayed + this.running;
  }

  pushReady(ref: EventRef): void {
    ref.where = 'ready';
    this.ready++;
    this.#fifo.push(ref);
    if (ref.state.queuedAt < this.#oldestQueuedAt) this.#oldestQueuedAt = ref.state.queuedAt;
  }

  /** The next runnable event, if any. */
  peek(): EventRef | undefined {
    while (this.#head < this.#fifo.length) {
      const ref = this.#fifo[this.#head]!;
      if (ref.where === 'ready' && ref.queue === this) return ref;
      this.#head++;
    }
    this.#compact();
    return undefined;
  }

  /** Take the event `peek` returned. */
  take(): void {
    this.#head++;
    this.ready--;
    if (this.#head >= 1024 && this.#head * 2 >= this.#fifo.length) this.#compact();
  }

  /** The runnable events queued at or before `cutoff` (epoch ms), for the expiry sweep. */
  readyQueuedBy(cutoff: number): EventRef[] {
    if (this.#oldestQueuedAt > cutoff) return [];
    const found: EventRef[] = [];
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = this.#head; i < this.#fifo.length; i++) {
      const ref = this.#fifo[i]!;
      if (ref.where !== 'ready' || ref.queue !== this) continue;
      const queuedAt = ref.state.queuedAt;
      if (queuedAt <= cutoff) found.push(ref);
      // The found ones count too: if the caller leaves one ready, the next sweep still finds it.
      if (queuedAt < oldest) oldest = queuedAt;
    }
    this.#oldestQueuedAt = oldest;
    return found;
  }

  /** Every runnable event, from the next to run on. */
  *readyRefs(): Iterable<EventRef> {
    for (let i = this.#head; i < this.#fifo.length; i++) {
      const ref = this.#fifo[i]!;
      if (ref.where === 'ready') yield ref;
    }
  }

  #compact(): void {
    this.#fifo = this.#fifo.slice(this.#head).filter((ref) => ref.where === 'ready');
    this.#head = 0;
  }
}

/** The mutable state of a stored event (what the dispatcher keeps in memory for a live one). */
export function stateOf(row: PendingAsyncEvent): AsyncEventState {
  return {
    requestId: row.requestId,
    status: row.status,
    availableAt: row.availableAt,
    leaseUntil: row.leaseUntil,
    attempts: row.attempts,
    failures: row.failures,
    throttles: row.throttles,
    redrives: row.redrives,
    queuedAt: row.queuedAt,
    lastStartedAt: row.lastStartedAt,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    result: null,
    finishedAt: row.finishedAt,
    deadReason: row.deadReason,
  };
}

/** The state of an event just accepted: queued and available at once. */
export function newState(requestId: string, now: number): AsyncEventState {
  return {
    requestId,
    status: 'queued',
    availableAt: now,
    leaseUntil: null,
    attempts: 0,
    failures: 0,
    throttles: 0,
    redrives: 0,
    queuedAt: now,
    lastStartedAt: null,
    lastStatusCode: null,
    lastError: null,
    result: null,
    finishedAt: null,
    deadReason: null,
  };
}
