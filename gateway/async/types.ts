/**
 * The async dispatcher's contract: what it needs from the gateway (targets, an executor), its options
 * and defaults, and what it takes and reports.
 */
import type { CancelSignal } from '../../runtimes/cancellation.ts';
import type { BackoffOptions } from './backoff.ts';
import type { Clock } from './clock.ts';
import type { AsyncEventInput } from '../../store/queue-statements.ts';
import type { QueueStore } from '../../store/queue-store.ts';

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
  run(target: AsyncTarget, requestId: string, payload: string, signal: CancelSignal): Promise<AttemptResult>;
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
 * Payloads of events accepted by this process (and of the oldest pending ones at start) are kept in memory
 * up to this many bytes in all (each at most MAX_CACHED_PAYLOAD_BYTES), saving a read when they run; the
 * rest are read from SQLite.
 */
export const PAYLOAD_CACHE_BYTES = 32 * 1024 * 1024;
export const MAX_CACHED_PAYLOAD_BYTES = 8 * 1024;
/** Payloads read from SQLite in one statement when an event without a cached one starts: it and those queued behind it. */
export const PAYLOAD_PREFETCH = 64;

/** One event to accept. */
export type EnqueueItem = AsyncEventInput;

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
