/**
 * Where every live event of the dispatcher is: the queues by function, the ring of queues with runnable
 * events (served round-robin), the delayed events by due time, and the payload cache. No I/O, no timers:
 * the dispatcher decides when things move, this keeps the counts exact.
 */
import type { AsyncEventState } from '../../store/queue-statements.ts';
import { FnError } from '../errors.ts';
import { FunctionQueue, newState, type EventRef } from './function-queue.ts';
import { MinHeap } from './heap.ts';
import {
  DEFAULT_MAX_EVENT_AGE_MS,
  MAX_CACHED_PAYLOAD_BYTES,
  PAYLOAD_CACHE_BYTES,
  PAYLOAD_PREFETCH,
  type AsyncTarget,
  type EnqueueItem,
  type QueueStats,
} from './types.ts';

const queueKey = (namespace: string, functionName: string, qualifier: string): string =>
  `${namespace}\u0000${functionName}\u0000${qualifier}`;

export class EventTable {
  readonly queues = new Map<string, FunctionQueue>();
  readonly refs = new Map<string, EventRef>();
  #resolve: (namespace: string, functionName: string, qualifier: string) => AsyncTarget | undefined;
  /** Queues with runnable events, served round-robin from `#turn`. */
  #ring: FunctionQueue[] = [];
  #turn = 0;
  #delayed = new MinHeap<EventRef>((ref) => ref.state.availableAt);
  /** Characters of payloads held by live events (UTF-16 length; a bound, not an exact byte count). */
  #cachedPayloadChars = 0;

  constructor(resolve: (namespace: string, functionName: string, qualifier: string) => AsyncTarget | undefined) {
    this.#resolve = resolve;
  }

  queueFor(namespace: string, functionName: string, qualifier: string): FunctionQueue {
    const key = queueKey(namespace, functionName, qualifier);
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = new FunctionQueue(namespace, functionName, qualifier);
      queue.target = this.#resolve(namespace, functionName, qualifier);
      this.queues.set(key, queue);
    }
    return queue;
  }

  /** Look the functions behind the queues up again (after a deploy). */
  refreshTargets(): void {
    for (const queue of this.queues.values()) queue.target = this.#resolve(queue.namespace, queue.functionName, queue.qualifier);
  }

  /** Why `count` more events cannot join `queue`, or undefined when they can. */
  refusal(queue: FunctionQueue, count: number): FnError | undefined {
    const target = queue.target;
    if (target === undefined) {
      return new FnError('FUNCTION_NOT_FOUND', `function ${queue.functionName} (${queue.qualifier}) is not deployed in namespace ${queue.namespace}`);
    }
    if (queue.pending + queue.reserved + count > target.maxPendingEvents) {
      return new FnError(
        'ASYNC_QUEUE_FULL',
        `the async queue of function ${queue.functionName} is full: ${queue.pending + queue.reserved} of ${target.maxPendingEvents} pending events`,
      );
    }
    return undefined;
  }

  newRef(state: AsyncEventState, queue: FunctionQueue): EventRef {
    const ref: EventRef = {
      state,
      queue,
      where: 'gone',
      controller: undefined,
      terminating: false,
      shuttingDown: false,
      settled: undefined,
      payload: undefined,
    };
    this.refs.set(state.requestId, ref);
    return ref;
  }

  /** An event just accepted (committed): runnable at once, its payload cached if small and there is room. */
  addNew(item: EnqueueItem, queue: FunctionQueue, now: number): void {
    const ref = this.newRef(newState(item.requestId, now), queue);
    this.cachePayload(ref, item.payload);
    this.makeReady(ref);
  }

  /** Characters of payloads the cache has room for, and the most one of them may have. */
  get payloadRoom(): [chars: number, maxEach: number] {
    return [PAYLOAD_CACHE_BYTES - this.#cachedPayloadChars, MAX_CACHED_PAYLOAD_BYTES];
  }

  /** Keep `payload` with `ref` if it is small and the cache has room (an accept, or a start's load). */
  cachePayload(ref: EventRef, payload: string): void {
    const size = payload.length;
    if (size <= MAX_CACHED_PAYLOAD_BYTES && this.#cachedPayloadChars + size <= PAYLOAD_CACHE_BYTES) {
      ref.payload = payload;
      this.#cachedPayloadChars += size;
    }
  }

  /**
   * The payload of `ref`, about to run, read from the store together with those of the events queued
   * right behind it (up to PAYLOAD_PREFETCH, as far as the cache has room): a drain of events this
   * process did not accept reads the store once per batch, not once per event.
   */
  fetchPayload(ref: EventRef, read: (requestIds: readonly string[]) => Map<string, string>): string | undefined {
    const batch = [ref];
    let room = PAYLOAD_CACHE_BYTES - this.#cachedPayloadChars;
    for (const next of ref.queue.readyRefs()) {
      if (batch.length >= PAYLOAD_PREFETCH || room <= 0) break;
      if (next.payload === undefined && next !== ref) batch.push(next);
    }
    const payloads = read(batch.map((each) => each.state.requestId));
    for (const each of batch) {
      const payload = payloads.get(each.state.requestId);
      if (payload === undefined || payload.length > MAX_CACHED_PAYLOAD_BYTES || payload.length > room) continue;
      each.payload = payload;
      this.#cachedPayloadChars += payload.length;
      room -= payload.length;
    }
    return ref.payload ?? payloads.get(ref.state.requestId);
  }

  /** Ready events waiting past their function's maxEventAge (it may never have had a free slot), with that age. */
  expiredReady(now: number): Array<[EventRef, number]> {
    const expired: Array<[EventRef, number]> = [];
    for (const queue of this.queues.values()) {
      if (queue.ready === 0) continue;
      const maxAgeMs = queue.target?.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS;
      for (const ref of queue.readyQueuedBy(now - maxAgeMs)) expired.push([ref, maxAgeMs]);
    }
    return expired;
  }

  makeReady(ref: EventRef): void {
    const queue = ref.queue;
    queue.pushReady(ref);
    if (!queue.inRing) {
      queue.inRing = true;
      this.#ring.push(queue);
    }
  }

  delay(ref: EventRef): void {
    ref.where = 'delayed';
    ref.queue.delayed++;
    this.#delayed.push(ref);
  }

  /** When the soonest delayed event is due (Infinity when none is). */
  get nextDueAt(): number {
    return this.#delayed.peek()?.state.availableAt ?? Number.POSITIVE_INFINITY;
  }

  /** Make every delayed event due by `now` runnable. */
  releaseDue(now: number): void {
    for (let next = this.#delayed.peek(); next !== undefined && next.state.availableAt <= now; next = this.#delayed.peek()) {
      this.#delayed.pop();
      if (next.where !== 'delayed') continue;
      next.queue.delayed--;
      this.makeReady(next);
    }
  }

  get hasRunnable(): boolean {
    return this.#ring.length > 0;
  }

  /**
   * The next event to start, taken from its queue: round-robin over the queues with runnable events,
   * one event per turn, skipping functions without a free slot. Undefined when none can start now.
   */
  takeNext(): EventRef | undefined {
    let skipped = 0;
    while (this.#ring.length > 0 && skipped < this.#ring.length) {
      if (this.#turn >= this.#ring.length) this.#turn = 0;
      const queue = this.#ring[this.#turn]!;
      const ref = queue.peek();
      if (ref === undefined) {
        queue.inRing = false;
        this.#ring.splice(this.#turn, 1);
        continue;
      }
      this.#turn++;
      const target = queue.target;
      if (target === undefined || !target.hasCapacity()) {
        skipped++;
        continue;
      }
      queue.take();
      return ref;
    }
    return undefined;
  }

  /** Take a live event out of wherever it waits; it is final or forgotten after this. */
  detach(ref: EventRef): void {
    const queue = ref.queue;
    if (ref.where === 'ready') queue.ready--;
    else if (ref.where === 'delayed') queue.delayed--;
    else if (ref.where === 'running') queue.running--;
    ref.where = 'gone';
    this.refs.delete(ref.state.requestId);
    if (ref.payload !== undefined) {
      this.#cachedPayloadChars -= ref.payload.length;
      ref.payload = undefined;
    }
  }

  stats(): QueueStats[] {
    return [...this.queues.values()].map((queue) => ({
      namespace: queue.namespace,
      functionName: queue.functionName,
      qualifier: queue.qualifier,
      deployed: queue.target !== undefined,
      pending: queue.pending,
      ready: queue.ready,
      delayed: queue.delayed,
      running: queue.running,
    }));
  }
}
