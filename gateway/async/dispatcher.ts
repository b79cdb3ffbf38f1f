/**
 * The async dispatcher: takes accepted events (durably stored first), runs them within each function's
 * concurrency, retries function errors with backoff, dead-letters what cannot succeed, and hands
 * everything it has not finished to the next start (leases).
 *
 * - One queue per function (namespace, name, qualifier). A queue is served only while its function has
 *   a free slot, so events wait in the queue, not in the concurrency limiter: waiting is free and spends
 *   no retry. Queues with runnable events sit in a ring served round-robin, one event per turn, so a
 *   function with a deep backlog cannot starve the others of the gateway's global slots.
 * - Each attempt is a claim: status running with `lease_until` (the function's timeouts plus a margin).
 *   On start, events still `running` from a previous process run again once their lease has passed.
 *   Claims are written in a flush every `claimDelayMs`, for the attempts still running then: most
 *   attempts finish sooner and cost one state write instead of two; a crash before the claim was
 *   written finds the event still queued, and it runs again at once.
 *   Delivery is at-least-once: a crash during an attempt, or before its result was written, repeats it.
 * - The state of a live event is kept here and written whole on each transition (QueueStore.update);
 *   payloads stay in SQLite and are read when an attempt starts (small ones accepted by this process
 *   are also kept in memory, PAYLOAD_CACHE_BYTES in all), so memory is bounded by the count of pending
 *   events, not their size.
 */
import type { QueueStore } from '../../store/queue-store.ts';
import {
  MAX_STORED_ERROR_CHARS,
  MAX_STORED_RESULT_CHARS,
  type AsyncEventState,
  type AsyncEventStatus,
  type AttemptEntry,
  type PendingAsyncEvent,
} from '../../store/queue-statements.ts';
import { FnError, toFnError } from '../errors.ts';
import { backoffDelay, DEFAULT_RETRY_BACKOFF, DEFAULT_THROTTLE_BACKOFF, type BackoffOptions } from './backoff.ts';
import { systemClock, type Clock, type ClockTimer } from './clock.ts';
import { MinHeap } from './heap.ts';

/** What the dispatcher needs to know about the function behind a queue. */
export interface AsyncTarget {
  /** Failed attempts retried before the event is dead-lettered. */
  retryNum: number;
  maxEventAgeMs: number;
  maxPendingEvents: number;
  /** How long a claim holds: longer than any attempt can take. */
  leaseMs: number;
  /** One more invocation of this function can start now without waiting. */
  hasCapacity(): boolean;
}

export interface AttemptResult {
  /** 200, or the SCF status of the failure. */
  statusCode: number;
  errorMessage?: string;
  /** The result as JSON text, on success. */
  result?: string;
  durationMs: number;
}

/** How the dispatcher reaches functions: the gateway binds it to the registry and the invoke pipeline. */
export interface AsyncExecutor {
  /** The function a queue feeds, or undefined when it is not deployed (its events wait, then expire). */
  resolve(namespace: string, functionName: string, qualifier: string): AsyncTarget | undefined;
  /** Invocations the gateway as a whole can still start without waiting. */
  globalAvailable(): number;
  /** Run one attempt; a failure resolves with its status code. */
  run(target: AsyncTarget, requestId: string, payload: string, signal: AbortSignal): Promise<AttemptResult>;
}

export interface DispatcherLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AsyncDispatcherOptions {
  store: QueueStore;
  executor: AsyncExecutor;
  /** @default the system clock */
  clock?: Clock;
  /** Jitter source. @default Math.random */
  random?: () => number;
  logger?: DispatcherLogger;
  /** Backoff between attempts after a function error. @default 1 s doubling to 5 min */
  retryBackoff?: BackoffOptions;
  /** Backoff after a throttled attempt (432), which spends no retry. @default 200 ms doubling to 10 s */
  throttleBackoff?: BackoffOptions;
  /** How often waiting events are checked against maxEventAge. @default 1000 */
  expirySweepMs?: number;
  /** On close, how long running attempts may finish before they are aborted and re-queued. @default 5000 */
  shutdownGraceMs?: number;
  /**
   * No attempt starts while more rows than this wait for the store's writer: the queue drains no faster
   * than the results (records, logs, event states) can be written, instead of the store dropping logs.
   * @default 20000
   */
  maxWriteBacklog?: number;
  /**
   * Claims (status running, lease) of the attempts still running are written every this many ms, so an
   * attempt is claimed at most this long after it started; 0 writes each claim at once. @default 250
   */
  claimDelayMs?: number;
}

export const DEFAULT_EXPIRY_SWEEP_MS = 1_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
export const DEFAULT_MAX_WRITE_BACKLOG = 20_000;
export const DEFAULT_CLAIM_DELAY_MS = 250;
/** SPEC §5: events older than 6 hours expire (also for a function that is no longer deployed). */
export const DEFAULT_MAX_EVENT_AGE_MS = 6 * 60 * 60 * 1000;
/**
 * While events wait for a slot, the queues are looked at again this often: a slot freed by a sync
 * invocation (or another gateway-wide user of the global limit) sends no signal here.
 */
export const CAPACITY_POLL_MS = 50;
/**
 * Payloads of events accepted by this process are kept in memory up to this many bytes in all (each
 * at most MAX_CACHED_PAYLOAD_BYTES), saving a read when they run; the rest are read from SQLite.
 */
export const PAYLOAD_CACHE_BYTES = 32 * 1024 * 1024;
export const MAX_CACHED_PAYLOAD_BYTES = 8 * 1024;
/** The status that marks a throttled attempt: it waits and spends no retry. */
const THROTTLED_STATUS = 432;

/** One event to accept. */
export interface EnqueueItem {
  requestId: string;
  namespace: string;
  functionName: string;
  qualifier: string;
  /** `invoke`, `timer:<trigger>`, `cmq:<topic>`, `ckafka:<topic>`. */
  source: string;
  /** JSON text, already validated. */
  payload: string;
}

export interface QueueStats {
  namespace: string;
  functionName: string;
  qualifier: string;
  deployed: boolean;
  /** Not final: ready + delayed + running. */
  pending: number;
  ready: number;
  delayed: number;
  running: number;
}

export interface RedriveSummary {
  redriven: string[];
  /** Dead letters left because the queue is full. */
  left: number;
}

type Where = 'ready' | 'delayed' | 'running' | 'gone';

interface EventRef {
  state: AsyncEventState;
  queue: FunctionQueue;
  where: Where;
  controller: AbortController | undefined;
  /** terminate() asked for the running attempt to end the event. */
  terminating: boolean;
  /** close() aborted the running attempt: the event goes back to the queue, for the next start. */
  shuttingDown: boolean;
  /** Resolves when the running attempt's outcome is handled. */
  settled: Promise<void> | undefined;
  /** The event, when it is in the payload cache. */
  payload: string | undefined;
}

class FunctionQueue {
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
  inRing = false;

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

  /** Every runnable event, for the expiry sweep. */
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

const queueKey = (namespace: string, functionName: string, qualifier: string): string =>
  `${namespace}\u0000${functionName}\u0000${qualifier}`;

const NOOP_LOGGER: DispatcherLogger = { info() {}, warn() {}, error() {} };

/** The mutable state of a stored event (what the dispatcher keeps in memory for a live one). */
function stateOf(row: PendingAsyncEvent): AsyncEventState {
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

function cut(text: string | undefined, max: number): string | null {
  if (text === undefined) return null;
  return text.length > max ? `${text.slice(0, max)}…[truncated]` : text;
}

export class AsyncDispatcher {
  #store: QueueStore;
  #executor: AsyncExecutor;
  #clock: Clock;
  #random: () => number;
  #logger: DispatcherLogger;
  #retryBackoff: BackoffOptions;
  #throttleBackoff: BackoffOptions;
  #expirySweepMs: number;
  #shutdownGraceMs: number;
  #maxWriteBacklog: number;
  #claimDelayMs: number;

  #queues = new Map<string, FunctionQueue>();
  #refs = new Map<string, EventRef>();
  /** Queues with runnable events, served round-robin from `#turn`. */
  #ring: FunctionQueue[] = [];
  #turn = 0;
  #delayed = new MinHeap<EventRef>((ref) => ref.state.availableAt);
  #delayTimer: ClockTimer | undefined;
  #delayTimerAt = Number.POSITIVE_INFINITY;
  #sweepTimer: ClockTimer | undefined;
  #pollTimer: ClockTimer | undefined;
  /** Attempts started since the last claim write, with the attempt number each was started as. */
  #unclaimed: Array<[EventRef, number]> = [];
  #claimTimer: ClockTimer | undefined;
  #pumpScheduled = false;
  /** Characters of payloads held by live events (UTF-16 length; a bound, not an exact byte count). */
  #cachedPayloadChars = 0;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: AsyncDispatcherOptions) {
    this.#store = options.store;
    this.#executor = options.executor;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#retryBackoff = options.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    this.#throttleBackoff = options.throttleBackoff ?? DEFAULT_THROTTLE_BACKOFF;
    this.#expirySweepMs = options.expirySweepMs ?? DEFAULT_EXPIRY_SWEEP_MS;
    this.#shutdownGraceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    this.#maxWriteBacklog = options.maxWriteBacklog ?? DEFAULT_MAX_WRITE_BACKLOG;
    this.#claimDelayMs = options.claimDelayMs ?? DEFAULT_CLAIM_DELAY_MS;
  }

  /**
   * Take over every event not final in the store (after a restart: queued, retrying, and running ones
   * whose lease is void once it passes), then start dispatching.
   */
  start(): void {
    if (this.#started) throw new Error('async dispatcher: already started');
    this.#started = true;
    const now = this.#clock.now();
    let interrupted = 0;
    const pending = this.#store.loadPending();
    for (const row of pending) {
      if (row.status === 'running') interrupted++;
      this.#adopt(row, now);
    }
    if (pending.length > 0) {
      this.#logger.info({ pending: pending.length, interrupted }, 'async: resumed the events left by the last run');
    }
    for (const queue of this.#queues.values()) {
      if (queue.target === undefined && queue.pending > 0) {
        this.#logger.warn(
          { function: queue.functionName, namespace: queue.namespace, qualifier: queue.qualifier, pending: queue.pending },
          'async: events wait for a function that is not deployed; they expire after its maxEventAge',
        );
      }
    }
    this.#armSweep();
    this.#armDelayTimer();
    this.#schedulePump();
  }

  /** Look the functions behind the queues up again (after a deploy). */
  refreshTargets(): void {
    for (const queue of this.#queues.values()) {
      queue.target = this.#executor.resolve(queue.namespace, queue.functionName, queue.qualifier);
    }
    this.#schedulePump();
  }

  /**
   * Accept events: durably stored (fsynced) when this resolves, then dispatched. All or nothing per
   * call: if one function's queue is full, nothing is stored and ASYNC_QUEUE_FULL is thrown.
   */
  async enqueue(items: readonly EnqueueItem[], topicOffsets: ReadonlyArray<[string, number]> = []): Promise<void> {
    if (this.#closed) throw new FnError('CANCELLED', 'the gateway is shutting down; the event was not accepted');
    // Before start() the stored queue is not loaded yet: an event added now would be loaded twice.
    if (!this.#started) throw new FnError('INTERNAL', 'async dispatcher: enqueue before start');
    const byQueue = new Map<FunctionQueue, number>();
    for (const item of items) {
      const queue = this.#queueFor(item.namespace, item.functionName, item.qualifier);
      byQueue.set(queue, (byQueue.get(queue) ?? 0) + 1);
    }
    for (const [queue, count] of byQueue) {
      const target = queue.target;
      if (target === undefined) {
        throw new FnError('FUNCTION_NOT_FOUND', `function ${queue.functionName} (${queue.qualifier}) is not deployed in namespace ${queue.namespace}`);
      }
      if (queue.pending + queue.reserved + count > target.maxPendingEvents) {
        throw new FnError(
          'ASYNC_QUEUE_FULL',
          `the async queue of function ${queue.functionName} is full: ${queue.pending + queue.reserved} of ${target.maxPendingEvents} pending events`,
        );
      }
    }
    for (const [queue, count] of byQueue) queue.reserved += count;
    const now = this.#clock.now();
    const events = items.map((item) => ({ ...item, enqueuedAt: now }));
    let failure: unknown;
    try {
      await this.#store.insert(events, topicOffsets);
    } catch (error) {
      failure = error;
    }
    for (const [queue, count] of byQueue) queue.reserved -= count;
    // A failed commit (or a batch it waited on) may still have stored some rows: those are accepted.
    const accepted = failure === undefined ? events : events.filter((event) => this.#store.exists(event.requestId));
    for (const event of accepted) this.#addNew(event, now);
    this.#schedulePump();
    if (accepted.length < events.length) {
      // A failed commit says why (disk full, read-only …); rows refused one by one leave no error.
      const why = failure instanceof Error ? failure.message : failure === undefined ? 'the database refused the row' : String(failure);
      throw new FnError('STORE_UNAVAILABLE', `the event could not be stored: ${why}; nothing was accepted: free space in the data dir (or fix its permissions) and retry`, {
        cause: failure,
      });
    }
  }

  /**
   * End an event: a waiting one at once, a running one by aborting its attempt (the pipeline reports
   * 499). Resolves with the final status. Throws ASYNC_EVENT_NOT_FOUND, or INVALID_PARAMETER when the
   * event is already final.
   */
  async terminate(requestId: string): Promise<AsyncEventStatus> {
    const ref = this.#refs.get(requestId);
    if (ref !== undefined) {
      if (ref.where === 'running') {
        ref.terminating = true;
        ref.controller?.abort(new FnError('CANCELLED', 'the async event was terminated'));
        await ref.settled;
        return ref.state.status;
      }
      const now = this.#clock.now();
      this.#final(ref, 'terminated', now, {
        attempt: ref.state.attempts,
        outcome: 'terminated',
        startedAt: now,
        endedAt: now,
      });
      return 'terminated';
    }
    await this.#store.flush();
    const record = this.#store.get(requestId);
    if (record === undefined) throw new FnError('ASYNC_EVENT_NOT_FOUND', `no async event with request ID ${requestId}`);
    throw new FnError('INVALID_PARAMETER', `the async event ${requestId} is already ${record.status}`);
  }

  /** Put one dead letter back in its queue with a fresh set of retries and a fresh maxEventAge. */
  async redrive(requestId: string): Promise<void> {
    await this.#store.flush();
    const record = this.#store.get(requestId);
    if (record === undefined) throw new FnError('ASYNC_EVENT_NOT_FOUND', `no dead letter with request ID ${requestId}`);
    if ((record.status !== 'dead' && record.status !== 'expired') || this.#refs.has(requestId)) {
      throw new FnError('INVALID_PARAMETER', `the async event ${requestId} is ${this.#refs.get(requestId)?.state.status ?? record.status}, not a dead letter`);
    }
    const queue = this.#queueFor(record.namespace, record.functionName, record.qualifier);
    this.#checkRoom(queue, 1);
    this.#revive(record, queue);
    this.#schedulePump();
  }

  /** Redrive the dead letters of a function, oldest first, as many as its queue has room for. */
  async redriveAll(namespace: string, functionName: string, qualifier: string): Promise<RedriveSummary> {
    await this.#store.flush();
    const queue = this.#queueFor(namespace, functionName, qualifier);
    const target = queue.target;
    if (target === undefined) throw new FnError('FUNCTION_NOT_FOUND', `function ${functionName} is not deployed in namespace ${namespace}`);
    const room = Math.max(0, target.maxPendingEvents - queue.pending - queue.reserved);
    const total = this.#store.countDeadLetters(namespace, functionName);
    const redriven: string[] = [];
    for (const record of this.#store.deadLetters({ namespace, functionName, limit: room })) {
      if (this.#refs.has(record.requestId)) continue;
      this.#revive(record, this.#queueFor(namespace, functionName, record.qualifier));
      redriven.push(record.requestId);
    }
    this.#schedulePump();
    return { redriven, left: total - redriven.length };
  }

  /** Drop the dead letters of a function (they become `failed`); resolves with how many. */
  async purge(namespace: string, functionName: string): Promise<number> {
    await this.#store.flush();
    return this.#store.purgeDeadLetters(namespace, functionName);
  }

  /** The live state of a pending event, if this dispatcher holds it. */
  peekState(requestId: string): Readonly<AsyncEventState> | undefined {
    return this.#refs.get(requestId)?.state;
  }

  stats(): QueueStats[] {
    return [...this.#queues.values()].map((queue) => ({
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

  /**
   * Stop dispatching; give running attempts `shutdownGraceMs` to finish, then abort them and leave
   * them queued for the next start (no retry spent). Resolves once their state is committed.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#sweepTimer?.cancel();
    this.#pollTimer?.cancel();
    this.#claimTimer?.cancel();
    this.#delayTimer?.cancel();
    this.#delayTimer = undefined;
    const running = [...this.#refs.values()].filter((ref) => ref.where === 'running');
    if (running.length > 0) {
      const settled = Promise.all(running.map((ref) => ref.settled));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.#shutdownGraceMs);
      });
      if ((await Promise.race([settled, grace])) === 'timeout') {
        for (const ref of running) {
          if (ref.where !== 'running') continue;
          ref.shuttingDown = true;
          ref.controller?.abort(new FnError('CANCELLED', 'the gateway is shutting down; the event will run again'));
        }
        await settled;
      }
      clearTimeout(timer);
    }
    try {
      await this.#store.flush();
    } catch (error) {
      this.#logger.error({ err: error }, 'async: the last queue writes failed');
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Queues

  #queueFor(namespace: string, functionName: string, qualifier: string): FunctionQueue {
    const key = queueKey(namespace, functionName, qualifier);
    let queue = this.#queues.get(key);
    if (queue === undefined) {
      queue = new FunctionQueue(namespace, functionName, qualifier);
      queue.target = this.#executor.resolve(namespace, functionName, qualifier);
      this.#queues.set(key, queue);
    }
    return queue;
  }

  #checkRoom(queue: FunctionQueue, count: number): void {
    const target = queue.target;
    if (target === undefined) {
      throw new FnError('FUNCTION_NOT_FOUND', `function ${queue.functionName} is not deployed in namespace ${queue.namespace}`);
    }
    if (queue.pending + queue.reserved + count > target.maxPendingEvents) {
      throw new FnError('ASYNC_QUEUE_FULL', `the async queue of function ${queue.functionName} is full (${target.maxPendingEvents} pending events)`);
    }
  }

  #newRef(state: AsyncEventState, queue: FunctionQueue): EventRef {
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
    this.#refs.set(state.requestId, ref);
    return ref;
  }

  #addNew(event: EnqueueItem, now: number): void {
    const queue = this.#queueFor(event.namespace, event.functionName, event.qualifier);
    const ref = this.#newRef(
      {
        requestId: event.requestId,
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
      },
      queue,
    );
    if (event.payload.length <= MAX_CACHED_PAYLOAD_BYTES && this.#cachedPayloadChars + event.payload.length <= PAYLOAD_CACHE_BYTES) {
      ref.payload = event.payload;
      this.#cachedPayloadChars += event.payload.length;
    }
    this.#makeReady(ref);
  }

  /** A pending row from the store, at start. */
  #adopt(row: PendingAsyncEvent, now: number): void {
    const queue = this.#queueFor(row.namespace, row.functionName, row.qualifier);
    const state = stateOf(row);
    const ref = this.#newRef(state, queue);
    if (state.status === 'running') {
      // The process that claimed it is gone (or, with two gateways on one data dir, may still run it):
      // wait out the lease, then run it again. The lost attempt spends no retry.
      const leaseUntil = state.leaseUntil ?? now;
      state.status = state.failures > 0 ? 'retrying' : 'queued';
      state.availableAt = Math.max(now, leaseUntil);
      state.leaseUntil = null;
      this.#store.update(state, {
        attempt: state.attempts,
        outcome: 'interrupted',
        startedAt: state.lastStartedAt ?? now,
        endedAt: null,
        errorMessage: 'the gateway stopped during this attempt; the event runs again once its lease has passed',
      });
    }
    if (state.availableAt <= now) this.#makeReady(ref);
    else this.#delay(ref);
  }

  #revive(record: PendingAsyncEvent, queue: FunctionQueue): void {
    const now = this.#clock.now();
    const revived: AsyncEventState = {
      ...stateOf(record),
      status: 'queued',
      availableAt: now,
      leaseUntil: null,
      failures: 0,
      redrives: record.redrives + 1,
      queuedAt: now,
      finishedAt: null,
      deadReason: null,
    };
    this.#store.update(revived, { attempt: record.attempts, outcome: 'redriven', startedAt: now, endedAt: now });
    this.#makeReady(this.#newRef(revived, queue));
  }

  #makeReady(ref: EventRef): void {
    const queue = ref.queue;
    queue.pushReady(ref);
    if (!queue.inRing) {
      queue.inRing = true;
      this.#ring.push(queue);
    }
  }

  #delay(ref: EventRef): void {
    ref.where = 'delayed';
    ref.queue.delayed++;
    this.#delayed.push(ref);
    if (ref.state.availableAt < this.#delayTimerAt) this.#armDelayTimer();
  }

  /** Take a live event out of wherever it waits; it is final or forgotten after this. */
  #detach(ref: EventRef): void {
    const queue = ref.queue;
    if (ref.where === 'ready') queue.ready--;
    else if (ref.where === 'delayed') queue.delayed--;
    else if (ref.where === 'running') queue.running--;
    ref.where = 'gone';
    this.#refs.delete(ref.state.requestId);
    if (ref.payload !== undefined) {
      this.#cachedPayloadChars -= ref.payload.length;
      ref.payload = undefined;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Dispatching

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#closed || !this.#started) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Start events round-robin over the queues that have some, while slots are free. */
  #pump(): void {
    if (this.#closed) return;
    let globalRoom = this.#executor.globalAvailable();
    let skipped = 0;
    while (this.#ring.length > 0 && skipped < this.#ring.length && globalRoom > 0 && this.#store.writeBacklog <= this.#maxWriteBacklog) {
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
      skipped = 0;
      queue.take();
      if (this.#start(ref, target)) globalRoom--;
    }
    if (this.#ring.length > 0 && this.#pollTimer === undefined) {
      this.#pollTimer = this.#clock.setTimer(() => {
        this.#pollTimer = undefined;
        this.#pump();
      }, CAPACITY_POLL_MS);
    }
  }

  /** Claim and run one attempt; false if the event expired instead. */
  #start(ref: EventRef, target: AsyncTarget): boolean {
    const now = this.#clock.now();
    const state = ref.state;
    // take() moved it out of the ready count; #final/#detach must not count it again.
    ref.where = 'running';
    ref.queue.running++;
    if (now - state.queuedAt >= target.maxEventAgeMs) {
      this.#expire(ref, target.maxEventAgeMs, now);
      return false;
    }
    const payload = ref.payload ?? this.#store.payload(state.requestId);
    if (payload === undefined) {
      this.#logger.error({ requestId: state.requestId }, 'async: the event row is gone from the store; dropping it');
      this.#detach(ref);
      return false;
    }
    state.status = 'running';
    state.attempts++;
    state.leaseUntil = now + target.leaseMs;
    state.lastStartedAt = now;
    this.#claimLater(ref);
    const controller = new AbortController();
    ref.controller = controller;
    ref.settled = this.#executor
      .run(target, state.requestId, payload, controller.signal)
      .catch((error: unknown): AttemptResult => {
        const fnError = toFnError(error);
        return { statusCode: fnError.status, errorMessage: fnError.message, durationMs: 0 };
      })
      .then((result) => this.#finish(ref, target, result, now))
      .catch((error: unknown) => this.#logger.error({ err: error, requestId: state.requestId }, 'async: handling an attempt failed'));
    return true;
  }

  #finish(ref: EventRef, target: AsyncTarget, result: AttemptResult, startedAt: number): void {
    const now = this.#clock.now();
    const state = ref.state;
    ref.controller = undefined;
    const entry: AttemptEntry = {
      attempt: state.attempts,
      outcome: 'failed',
      startedAt,
      endedAt: now,
      durationMs: Math.round(result.durationMs * 100) / 100,
      statusCode: result.statusCode,
    };
    const errorMessage = cut(result.errorMessage, MAX_STORED_ERROR_CHARS) ?? undefined;
    if (errorMessage !== undefined) entry.errorMessage = errorMessage;
    state.leaseUntil = null;
    state.lastStatusCode = result.statusCode;
    state.lastError = errorMessage ?? null;
    if (ref.terminating) {
      entry.outcome = 'terminated';
      this.#final(ref, 'terminated', now, entry);
    } else if (ref.shuttingDown) {
      entry.outcome = 'interrupted';
      state.status = state.failures > 0 ? 'retrying' : 'queued';
      state.availableAt = now;
      this.#store.update(state, entry);
      this.#detach(ref);
    } else if (result.statusCode === 200) {
      entry.outcome = 'succeeded';
      state.result =
        result.result === undefined || result.result.length <= MAX_STORED_RESULT_CHARS
          ? (result.result ?? null)
          : JSON.stringify(`[fngate] result of ${result.result.length} characters not kept; see the invocation log`);
      this.#final(ref, 'succeeded', now, entry);
    } else if (result.statusCode === THROTTLED_STATUS) {
      entry.outcome = 'throttled';
      state.throttles++;
      this.#retryLater(ref, target, now, now + backoffDelay(state.throttles, this.#throttleBackoff, this.#random), entry);
    } else {
      state.failures++;
      if (state.failures > target.retryNum) {
        state.deadReason = `failed ${state.failures} time(s) (retryNum ${target.retryNum}); last status ${result.statusCode}${errorMessage ? `: ${errorMessage}` : ''}`;
        this.#final(ref, 'dead', now, entry);
      } else {
        this.#retryLater(ref, target, now, now + backoffDelay(state.failures, this.#retryBackoff, this.#random), entry);
      }
    }
    this.#schedulePump();
  }

  /** Wait until `at` for the next attempt, unless that is past the event's maxEventAge. */
  #retryLater(ref: EventRef, target: AsyncTarget, now: number, at: number, entry: AttemptEntry): void {
    const state = ref.state;
    if (at - state.queuedAt >= target.maxEventAgeMs) {
      state.deadReason = `maxEventAge of ${target.maxEventAgeMs / 1000} s reached after ${state.attempts} attempt(s); last status ${state.lastStatusCode ?? '-'}`;
      this.#final(ref, 'expired', now, entry);
      return;
    }
    state.status = state.failures > 0 ? 'retrying' : 'queued';
    state.availableAt = at;
    this.#store.update(state, entry);
    ref.queue.running--;
    this.#delay(ref);
  }

  #expire(ref: EventRef, maxEventAgeMs: number, now: number): void {
    const state = ref.state;
    state.deadReason =
      state.attempts === 0
        ? `not run within maxEventAge of ${maxEventAgeMs / 1000} s`
        : `maxEventAge of ${maxEventAgeMs / 1000} s reached after ${state.attempts} attempt(s); last status ${state.lastStatusCode ?? '-'}`;
    this.#final(ref, 'expired', now, undefined);
  }

  #final(ref: EventRef, status: AsyncEventStatus, now: number, entry: AttemptEntry | undefined): void {
    const state = ref.state;
    state.status = status;
    state.finishedAt = now;
    state.leaseUntil = null;
    this.#store.update(state, entry);
    this.#detach(ref);
  }

  /** Write the claim of `ref`'s attempt if it still runs at the next claim flush. */
  #claimLater(ref: EventRef): void {
    if (this.#claimDelayMs === 0) {
      this.#store.update(ref.state);
      return;
    }
    this.#unclaimed.push([ref, ref.state.attempts]);
    this.#claimTimer ??= this.#clock.setTimer(() => this.#writeClaims(), this.#claimDelayMs);
  }

  #writeClaims(): void {
    this.#claimTimer = undefined;
    const unclaimed = this.#unclaimed;
    this.#unclaimed = [];
    for (const [ref, attempt] of unclaimed) {
      if (ref.where === 'running' && ref.state.attempts === attempt) this.#store.update(ref.state);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Timers

  #armDelayTimer(): void {
    if (this.#closed || !this.#started) return;
    const next = this.#delayed.peek();
    const at = next === undefined ? Number.POSITIVE_INFINITY : next.state.availableAt;
    if (at === this.#delayTimerAt && this.#delayTimer !== undefined) return;
    this.#delayTimer?.cancel();
    this.#delayTimer = undefined;
    this.#delayTimerAt = at;
    if (next === undefined) return;
    this.#delayTimer = this.#clock.setTimer(() => this.#onDelayDue(), at - this.#clock.now());
  }

  #onDelayDue(): void {
    this.#delayTimer = undefined;
    this.#delayTimerAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    for (let next = this.#delayed.peek(); next !== undefined && next.state.availableAt <= now; next = this.#delayed.peek()) {
      this.#delayed.pop();
      if (next.where !== 'delayed') continue;
      next.queue.delayed--;
      this.#makeReady(next);
    }
    this.#armDelayTimer();
    this.#schedulePump();
  }

  #armSweep(): void {
    if (this.#closed) return;
    this.#sweepTimer = this.#clock.setTimer(() => {
      this.#sweepExpired();
      this.#armSweep();
    }, this.#expirySweepMs);
  }

  /** Expire waiting events past their maxEventAge (their function may never have had a free slot). */
  #sweepExpired(): void {
    const now = this.#clock.now();
    for (const queue of this.#queues.values()) {
      if (queue.ready === 0) continue;
      const maxAge = queue.target?.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS;
      for (const ref of queue.readyRefs()) {
        if (now - ref.state.queuedAt >= maxAge) this.#expire(ref, maxAge, now);
      }
    }
  }
}
