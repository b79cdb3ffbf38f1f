/**
 * What an attempt's result does to its event: the history entry it adds and the event's next state —
 * final (succeeded, terminated, dead, expired), back to its queue after a backoff (a function error
 * with retries left, or a throttle, which spends none), or left queued for the next start (shutdown).
 * Pure: it changes the state object and returns what the dispatcher must do with the event. Also the
 * two transitions that are not attempts: an attempt interrupted by a crash, and a redrive.
 */
import {
  MAX_STORED_ERROR_CHARS,
  MAX_STORED_RESULT_CHARS,
  type AsyncEventState,
  type AttemptEntry,
} from '../../store/queue-statements.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import type { AsyncTarget, AttemptResult } from './types.ts';

/** The status that marks a throttled attempt: it waits and spends no retry. */
export const THROTTLED_STATUS = 432;

export interface RetryPolicy {
  retryBackoff: BackoffOptions;
  throttleBackoff: BackoffOptions;
  random: () => number;
}

export interface AttemptEnd {
  target: AsyncTarget;
  result: AttemptResult;
  startedAt: number;
  now: number;
  /** terminate() aborted the attempt. */
  terminating: boolean;
  /** close() aborted the attempt: the event stays queued for the next start. */
  shuttingDown: boolean;
}

/** `final`: the event is done; `delayed`: it runs again at state.availableAt; `left`: the next start runs it. */
export type Next = 'final' | 'delayed' | 'left';

function cut(text: string | undefined, max: number): string | null {
  if (text === undefined) return null;
  return text.length > max ? `${text.slice(0, max)}…[truncated]` : text;
}

/** Apply an attempt's end to `state`; returns the history entry to store with it and where the event goes. */
export function settleAttempt(state: AsyncEventState, end: AttemptEnd, policy: RetryPolicy): { entry: AttemptEntry; next: Next } {
  const { result, now, target } = end;
  const entry: AttemptEntry = {
    attempt: state.attempts,
    outcome: 'failed',
    startedAt: end.startedAt,
    endedAt: now,
    durationMs: Math.round(result.durationMs * 100) / 100,
    statusCode: result.statusCode,
  };
  const errorMessage = cut(result.errorMessage, MAX_STORED_ERROR_CHARS) ?? undefined;
  if (errorMessage !== undefined) entry.errorMessage = errorMessage;
  state.leaseUntil = null;
  state.lastStatusCode = result.statusCode;
  state.lastError = errorMessage ?? null;
  if (end.terminating) {
    entry.outcome = 'terminated';
    return { entry, next: finish(state, 'terminated', now) };
  }
  if (end.shuttingDown) {
    entry.outcome = 'interrupted';
    state.status = state.failures > 0 ? 'retrying' : 'queued';
    state.availableAt = now;
    return { entry, next: 'left' };
  }
  if (result.statusCode === 200) {
    entry.outcome = 'succeeded';
    state.result =
      result.result === undefined || result.result.length <= MAX_STORED_RESULT_CHARS
        ? (result.result ?? null)
        : JSON.stringify(`[fngate] result of ${result.result.length} characters not kept; see the invocation log`);
    return { entry, next: finish(state, 'succeeded', now) };
  }
  if (result.statusCode === THROTTLED_STATUS) {
    entry.outcome = 'throttled';
    state.throttles++;
    return { entry, next: retryAt(state, target, now, now + backoffDelay(state.throttles, policy.throttleBackoff, policy.random)) };
  }
  state.failures++;
  if (state.failures > target.retryNum) {
    state.deadReason = `failed ${state.failures} time(s) (retryNum ${target.retryNum}); last status ${result.statusCode}${errorMessage ? `: ${errorMessage}` : ''}`;
    return { entry, next: finish(state, 'dead', now) };
  }
  return { entry, next: retryAt(state, target, now, now + backoffDelay(state.failures, policy.retryBackoff, policy.random)) };
}

/** Wait until `at` for the next attempt, unless that is past the event's maxEventAge. */
function retryAt(state: AsyncEventState, target: AsyncTarget, now: number, at: number): Next {
  if (at - state.queuedAt >= target.maxEventAgeMs) {
    state.deadReason = `maxEventAge of ${target.maxEventAgeMs / 1000} s reached after ${state.attempts} attempt(s); last status ${state.lastStatusCode ?? '-'}`;
    return finish(state, 'expired', now);
  }
  state.status = state.failures > 0 ? 'retrying' : 'queued';
  state.availableAt = at;
  return 'delayed';
}

/** Make the event final with `status`. */
export function finish(state: AsyncEventState, status: AsyncEventState['status'], now: number): 'final' {
  state.status = status;
  state.finishedAt = now;
  state.leaseUntil = null;
  return 'final';
}

/** An event past its maxEventAge before (or between) its attempts: expired, with the reason. */
export function expire(state: AsyncEventState, maxEventAgeMs: number, now: number): 'final' {
  state.deadReason =
    state.attempts === 0
      ? `not run within maxEventAge of ${maxEventAgeMs / 1000} s`
      : `maxEventAge of ${maxEventAgeMs / 1000} s reached after ${state.attempts} attempt(s); last status ${state.lastStatusCode ?? '-'}`;
  return finish(state, 'expired', now);
}

/**
 * A stored event still `running` at start: the process that claimed it is gone (or, with two gateways
 * on one data dir, may still run it): wait out the lease, then run it again. The lost attempt spends no
 * retry. Returns the history entry recording it.
 */
export function interrupted(state: AsyncEventState, now: number): AttemptEntry {
  const leaseUntil = state.leaseUntil ?? now;
  state.status = state.failures > 0 ? 'retrying' : 'queued';
  state.availableAt = Math.max(now, leaseUntil);
  state.leaseUntil = null;
  return {
    attempt: state.attempts,
    outcome: 'interrupted',
    startedAt: state.lastStartedAt ?? now,
    endedAt: null,
    errorMessage: 'the gateway stopped during this attempt; the event runs again once its lease has passed',
  };
}

/** A dead letter back in its queue with fresh retries and a fresh maxEventAge; returns its history entry. */
export function redriven(state: AsyncEventState, now: number): AttemptEntry {
  const entry: AttemptEntry = { attempt: state.attempts, outcome: 'redriven', startedAt: now, endedAt: now };
  state.status = 'queued';
  state.availableAt = now;
  state.leaseUntil = null;
  state.failures = 0;
  state.redrives++;
  state.queuedAt = now;
  state.finishedAt = null;
  state.deadReason = null;
  return entry;
}
