/**
 * The async dispatcher: takes accepted events (durably stored first), runs them within each function's
 * concurrency, retries function errors with backoff, dead-letters what cannot succeed, and hands
 * everything it has not finished to the next start (leases).
 *
 * - One queue per function (namespace, name, qualifier). A queue is served only while its function has
 *   a free slot, so events wait in the queue, not in the concurrency limiter: waiting is free and spends
 *   no retry. Queues with runnable events sit in a ring served round-robin, one event per turn, so a
 *   function with a deep backlog cannot starve the others of the gateway's global slots.
 * - Each attempt is a claim: status running with `lease_until` (the function's timeouts plus a margin),
 *   written in a flush (claims.ts). On start, events still `running` from a previous process run again
 *   once their lease has passed. Delivery is at-least-once: a crash during an attempt, or before its
 *   result was written, repeats it.
 * - The state of a live event is kept here and written whole on each transition (QueueStore.update);
 *   payloads stay in SQLite and are read when an attempt starts (small ones accepted by this process
 *   are also kept in memory, PAYLOAD_CACHE_BYTES in all), so memory is bounded by the count of pending
 *   events, not their size.
 *
 * Files: types.ts (the contract and defaults), event-table.ts and function-queue.ts (where each live
 * event is), outcome.ts (what an attempt's result does to its event), claims.ts (claim writes),
 * dead-letters.ts (redrive, purge); this file moves events between them, runs attempts and owns the timers.
 */
import type { QueueStore } from '../../store/queue-store.ts';
import type { AsyncEventState, AsyncEventStatus, AttemptEntry, PendingAsyncEvent } from '../../store/queue-statements.ts';
import { Cancellation } from '../../runtimes/cancellation.ts';
import { FnError, toFnError } from '../errors.ts';
import { DEFAULT_RETRY_BACKOFF, DEFAULT_THROTTLE_BACKOFF } from './backoff.ts';
import { DueTimer, settledWithin, systemClock, type Clock, type ClockTimer } from './clock.ts';
import { ClaimWriter } from './claims.ts';
import { EventTable } from './event-table.ts';
import { stateOf, type EventRef } from './function-queue.ts';
import { DeadLetters } from './dead-letters.ts';
import { expire, finish, interrupted, settleAttempt, type RetryPolicy } from './outcome.ts';
import {
  CAPACITY_POLL_MS,
  DEFAULT_CLAIM_DELAY_MS,
  DEFAULT_EXPIRY_SWEEP_MS,
  DEFAULT_MAX_WRITE_BACKLOG,
  DEFAULT_SHUTDOWN_GRACE_MS,
  type AsyncDispatcherOptions,
  type AsyncExecutor,
  type AsyncTarget,
  type AttemptResult,
  type DispatcherLogger,
  type EnqueueItem,
  type QueueStats,
  type RedriveSummary,
} from './types.ts';

export * from './types.ts';

const NOOP_LOGGER: DispatcherLogger = { info() {}, warn() {}, error() {} };

export class AsyncDispatcher {
  #store: QueueStore;
  #executor: AsyncExecutor;
  #clock: Clock;
  #logger: DispatcherLogger;
  #policy: RetryPolicy;
  #expirySweepMs: number;
  #shutdownGraceMs: number;
  #maxWriteBacklog: number;

  #table: EventTable;
  /** Fires when the soonest delayed event is due. */
  #delayTimer: DueTimer;
  #sweepTimer: ClockTimer | undefined;
  #pollTimer: ClockTimer | undefined;
  #claims: ClaimWriter;
  #deadLetters: DeadLetters;
  #pumpScheduled = false;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: AsyncDispatcherOptions) {
    this.#store = options.store;
    this.#executor = options.executor;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? NOOP_LOGGER;
    this.#policy = {
      retryBackoff: options.retryBackoff ?? DEFAULT_RETRY_BACKOFF,
      throttleBackoff: options.throttleBackoff ?? DEFAULT_THROTTLE_BACKOFF,
      random: options.random ?? Math.random,
    };
    this.#expirySweepMs = options.expirySweepMs ?? DEFAULT_EXPIRY_SWEEP_MS;
    this.#shutdownGraceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    this.#maxWriteBacklog = options.maxWriteBacklog ?? DEFAULT_MAX_WRITE_BACKLOG;
    this.#claims = new ClaimWriter(this.#store, this.#clock, options.claimDelayMs ?? DEFAULT_CLAIM_DELAY_MS);
    this.#delayTimer = new DueTimer(this.#clock, () => this.#onDelayDue());
    this.#table = new EventTable((namespace, functionName, qualifier) => this.#executor.resolve(namespace, functionName, qualifier));
    this.#deadLetters = new DeadLetters(this.#store, this.#table, this.#clock, () => this.#schedulePump());
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
    // The oldest come with their payloads (as far as the cache holds them): a drain reads none while it runs.
    const pending = this.#store.loadPending(...this.#table.payloadRoom);
    for (const row of pending) {
      if (row.status === 'running') interrupted++;
      this.#adopt(row, now);
    }
    if (pending.length > 0) {
      this.#logger.info({ pending: pending.length, interrupted }, 'async: resumed the events left by the last run');
    }
    for (const queue of this.#table.queues.values()) {
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
    this.#table.refreshTargets();
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
    const queues = items.map((item) => this.#table.queueFor(item.namespace, item.functionName, item.qualifier));
    // Room is checked per queue for all of its items at once (counted in the queue itself, no map).
    for (const queue of queues) queue.incoming++;
    let refusal: FnError | undefined;
    for (const queue of queues) {
      if (queue.incoming === 0) continue;
      refusal ??= this.#table.refusal(queue, queue.incoming);
      queue.incoming = 0;
    }
    if (refusal !== undefined) throw refusal;
    for (const queue of queues) queue.reserved++;
    const now = this.#clock.now();
    let failure: unknown;
    try {
      await this.#store.accept(items, now, topicOffsets);
    } catch (error) {
      failure = error;
    }
    for (const queue of queues) queue.reserved--;
    // A failed commit (or a batch it waited on) may still have stored some rows: those are accepted.
    let accepted = items.length;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (failure === undefined || this.#store.exists(item.requestId)) this.#table.addNew(item, queues[i]!, now);
      else accepted--;
    }
    this.#schedulePump();
    if (accepted < items.length) {
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
    const ref = this.#table.refs.get(requestId);
    if (ref !== undefined) {
      if (ref.where === 'running') {
        ref.terminating = true;
        ref.controller?.abort(new FnError('CANCELLED', 'the async event was terminated'));
        await ref.settled;
        return ref.state.status;
      }
      const now = this.#clock.now();
      finish(ref.state, 'terminated', now);
      this.#settle(ref, 'final', {
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
  redrive(requestId: string): Promise<void> {
    return this.#deadLetters.redrive(requestId);
  }

  /** Redrive the dead letters of a function, oldest first, as many as its queue has room for. */
  redriveAll(namespace: string, functionName: string, qualifier: string): Promise<RedriveSummary> {
    return this.#deadLetters.redriveAll(namespace, functionName, qualifier);
  }

  /** Drop the dead letters of a function (they become `failed`); resolves with how many. */
  purge(namespace: string, functionName: string): Promise<number> {
    return this.#deadLetters.purge(namespace, functionName);
  }

  /** The live state of a pending event, if this dispatcher holds it. */
  peekState(requestId: string): Readonly<AsyncEventState> | undefined {
    return this.#table.refs.get(requestId)?.state;
  }

  stats(): QueueStats[] {
    return this.#table.stats();
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
    this.#claims.cancel();
    this.#delayTimer.cancel();
    const running = [...this.#table.refs.values()].filter((ref) => ref.where === 'running');
    const settled = Promise.all(running.map((ref) => ref.settled));
    if (!(await settledWithin(settled, this.#shutdownGraceMs))) {
      for (const ref of running) {
        if (ref.where !== 'running') continue;
        ref.shuttingDown = true;
        ref.controller?.abort(new FnError('CANCELLED', 'the gateway is shutting down; the event will run again'));
      }
      await settled;
    }
    try {
      await this.#store.flush();
    } catch (error) {
      this.#logger.error({ err: error }, 'async: the last queue writes failed');
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Events in and out

  /** A pending row from the store, at start. */
  #adopt(row: PendingAsyncEvent, now: number): void {
    const queue = this.#table.queueFor(row.namespace, row.functionName, row.qualifier);
    const state = stateOf(row);
    const ref = this.#table.newRef(state, queue);
    if (row.payload !== undefined) this.#table.cachePayload(ref, row.payload);
    if (state.status === 'running') this.#store.update(state, interrupted(state, now));
    if (state.availableAt <= now) this.#table.makeReady(ref);
    else this.#delay(ref);
  }

  #delay(ref: EventRef): void {
    this.#table.delay(ref);
    if (ref.state.availableAt < this.#delayTimer.at) this.#armDelayTimer();
  }

  /** Write the event's new state (with `entry` in its history) and move it where `next` says. */
  #settle(ref: EventRef, next: 'final' | 'delayed' | 'left', entry: AttemptEntry | undefined): void {
    this.#store.update(ref.state, entry);
    if (next === 'delayed') {
      ref.queue.running--;
      this.#delay(ref);
    } else {
      this.#table.detach(ref);
    }
  }

  #expire(ref: EventRef, maxEventAgeMs: number, now: number): void {
    this.#settle(ref, expire(ref.state, maxEventAgeMs, now), undefined);
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
    while (globalRoom > 0 && this.#store.writeBacklog <= this.#maxWriteBacklog) {
      const ref = this.#table.takeNext();
      if (ref === undefined) break;
      if (this.#start(ref, ref.queue.target!)) globalRoom--;
    }
    if (this.#table.hasRunnable && this.#pollTimer === undefined) {
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
    // take() moved it out of the ready count; #settle/detach must not count it again.
    ref.where = 'running';
    ref.queue.running++;
    if (now - state.queuedAt >= target.maxEventAgeMs) {
      this.#expire(ref, target.maxEventAgeMs, now);
      return false;
    }
    const payload = ref.payload ?? this.#table.fetchPayload(ref, (requestIds) => this.#store.payloads(requestIds));
    if (payload === undefined) {
      this.#logger.error({ requestId: state.requestId }, 'async: the event row is gone from the store; dropping it');
      this.#table.detach(ref);
      return false;
    }
    state.status = 'running';
    state.attempts++;
    state.leaseUntil = now + target.leaseMs;
    state.lastStartedAt = now;
    this.#claims.later(ref);
    const controller = new Cancellation();
    ref.controller = controller;
    // One promise per attempt: its outcome (or a rejection, read as the failure it carries) is handled once.
    ref.settled = this.#executor.run(target, state.requestId, payload, controller.signal).then(
      (result) => this.#finish(ref, target, result, now),
      (error: unknown) => {
        const fnError = toFnError(error);
        this.#finish(ref, target, { statusCode: fnError.status, errorMessage: fnError.message, durationMs: 0 }, now);
      },
    );
    return true;
  }

  #finish(ref: EventRef, target: AsyncTarget, result: AttemptResult, startedAt: number): void {
    try {
      ref.controller = undefined;
      const end = { target, result, startedAt, now: this.#clock.now(), terminating: ref.terminating, shuttingDown: ref.shuttingDown };
      const { entry, next } = settleAttempt(ref.state, end, this.#policy);
      this.#settle(ref, next, entry);
    } catch (error) {
      this.#logger.error({ err: error, requestId: ref.state.requestId }, 'async: handling an attempt failed');
    }
    this.#schedulePump();
  }

  // -------------------------------------------------------------------------------------------------
  // Timers

  #armDelayTimer(): void {
    if (this.#closed || !this.#started) return;
    this.#delayTimer.arm(this.#table.nextDueAt);
  }

  #onDelayDue(): void {
    this.#table.releaseDue(this.#clock.now());
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
    for (const [ref, maxAgeMs] of this.#table.expiredReady(now)) this.#expire(ref, maxAgeMs, now);
  }
}
