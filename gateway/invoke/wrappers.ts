/**
 * The invoke pipeline's wrappers, outermost first in `pipeline.ts`. Each does one thing around `next`.
 */
import type { Store } from '../../store/types.ts';
import type { ConcurrencyLimiter } from '../concurrency.ts';
import { Cancellation } from '../../runtimes/cancellation.ts';
import { ErrorCodes, FnError, toFnError, type ErrorCode } from '../errors.ts';
import type { Invocation, InvokeStep, Wrapper } from './invocation.ts';
import type { InvocationLogFrame } from './log-frame.ts';

/** SPEC §5: a response over 6 MB is refused (407). */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/**
 * The phases every invocation goes through, outermost first, in one async frame (one promise and one
 * await per invocation instead of three of each, on the warm path):
 *   recording   — hand the finished invocation (status, timings, framed log) to the store; never blocks
 *                 (no store: `gateway.recordInvocations` is off, nothing is kept);
 *   concurrency — sync calls take a slot of the function and of the gateway or fail at once (432), async
 *                 calls wait for theirs;
 *   framing     — START … END / Report / Init Report around the invocation (SPEC §6).
 */
export const invocationPhases = (store: Store | undefined, global: ConcurrencyLimiter): Wrapper => (next) => async (invocation) => {
  let statusCode = 200;
  let errorMessage: string | undefined;
  try {
    // Sync calls take their slots without an await (the warm path); async ones wait for them.
    if (invocation.mode === 'sync') takeSlotsNow(invocation, global);
    else await waitForSlots(invocation, global);
    try {
      invocation.log.start();
      try {
        return await next(invocation);
      } finally {
        endFrame(invocation);
      }
    } finally {
      global.release();
      invocation.fn.limiter.release();
    }
  } catch (error) {
    const fnError = toFnError(error);
    statusCode = fnError.status;
    errorMessage = fnError.message;
    throw fnError;
  } finally {
    if (store) record(store, invocation, statusCode, errorMessage);
  }
};

function takeSlotsNow(invocation: Invocation, global: ConcurrencyLimiter): void {
  const own = invocation.fn.limiter;
  if (!own.tryAcquire()) {
    throw new FnError('CONCURRENCY_LIMIT', `function ${invocation.fn.config.name} reached its concurrency limit of ${invocation.fn.config.reservedConcurrency}`);
  }
  if (!global.tryAcquire()) {
    own.release();
    throw new FnError('CONCURRENCY_LIMIT', `the gateway reached its concurrency limit of ${global.limit}`);
  }
}

async function waitForSlots(invocation: Invocation, global: ConcurrencyLimiter): Promise<void> {
  const own = invocation.fn.limiter;
  await own.acquire(invocation.signal);
  try {
    await global.acquire(invocation.signal);
  } catch (error) {
    own.release();
    throw error;
  }
}

function endFrame(invocation: Invocation): void {
  invocation.log.end({
    durationMs: invocation.durationMs,
    memoryMb: invocation.fn.config.memoryMb,
    memUsageBytes: invocation.memUsageBytes,
    coldStart: invocation.coldStart,
  });
}

function record(store: Store, invocation: Invocation, statusCode: number, errorMessage: string | undefined): void {
  const { fn } = invocation;
  store.recordInvocation(
    {
      requestId: invocation.requestId,
      namespace: fn.config.namespace,
      functionName: fn.config.name,
      version: fn.version,
      mode: invocation.mode,
      startedAt: invocation.startedAt,
      durationMs: invocation.durationMs,
      billedDurationMs: Math.ceil(invocation.durationMs),
      memoryMb: fn.config.memoryMb,
      memUsageBytes: invocation.memUsageBytes,
      statusCode,
      errorMessage,
      coldStart: invocation.coldStart,
      frame: invocation.log.frame,
    },
    invocation.log.lines,
  );
}

/** Start failures the function's own code causes: the user needs them in the function log, not only in the answer. */
const START_FAILURES: ReadonlySet<ErrorCode> = new Set(['USER_CODE_LOAD_ERROR', 'HANDLER_NOT_FOUND', 'NOT_LISTENING', 'INIT_TIMEOUT']);

/**
 * A failed start goes into the log of the request that waited for it (SPEC §6: framed like the user's
 * own lines), with its message and stack, as SCF's log shows a load error. Lines the instance already
 * printed (a process's own traceback on stderr) are not repeated.
 */
export function logStartFailure(log: InvocationLogFrame, error: unknown): void {
  const fnError = toFnError(error);
  if (!START_FAILURES.has(fnError.code)) return;
  // Framed lines are `<time> <requestId> <text>`: the text starts after the second space.
  const logged = new Set(log.lines.map(({ line }) => line.slice(line.indexOf(' ', line.indexOf(' ') + 1) + 1)));
  const { message, stackTrace } = fnError;
  const text = stackTrace.includes(message) ? stackTrace : [message, stackTrace].filter(Boolean).join('\n');
  const fresh = text.split('\n').filter((line) => !logged.has(line));
  const now = Date.now();
  log.user({ time: now, text: `[fngate] the function failed to start: ${fnError.status} ${ErrorCodes[fnError.code].type}` });
  for (const line of fresh) log.user({ time: now, text: line });
}

/**
 * Take an instance from the pool (starting one is a cold start), route its output to this invocation's
 * log, and give it back. A dead instance is dropped by the pool on release.
 */
export const instanceLease: Wrapper = (next) => async (invocation) => {
  const { pool, runGate: gate } = invocation.fn;
  // Within the runtime's bound on calls running at once; a place taken without an await when there is room.
  const place = gate === undefined ? undefined : (gate.tryEnter() ?? (await gate.enter(invocation.signal)));
  try {
    // A warm instance is leased without an await (the warm path); the rest waits in `acquire`.
    let lease = pool.leaseWarm();
    if (lease === undefined) {
      try {
        lease = await pool.acquire(invocation.signal, invocation.log.user);
      } catch (error) {
        logStartFailure(invocation.log, error);
        throw error;
      }
    }
    invocation.coldStart = lease.coldStart;
    invocation.instance = lease.instance;
    lease.instance.log.attach(invocation.log.user);
    try {
      return await next(invocation);
    } finally {
      lease.instance.log.detach();
      invocation.memUsageBytes = lease.instance.memoryUsage();
      lease.release();
    }
  } finally {
    // After the lease's release: the next request in line takes the instance this one gave back.
    if (gate !== undefined && place !== undefined) gate.leave(place);
  }
};

/**
 * Run the instance under the function's timeout: past it the instance is aborted (and replaced) → 433.
 * One timer and one promise per call: this is the warm path (see runtimes/cancellation.ts for why the
 * signal is not an AbortController).
 */
export const execution: InvokeStep = (invocation) => {
  const { fn } = invocation;
  const instance = invocation.instance;
  if (!instance) return Promise.reject(new FnError('INTERNAL', 'no instance leased for the invocation'));
  const timeoutMs = fn.config.timeoutMs;
  const cancellation = new Cancellation();
  const callerSignal = invocation.signal;
  // Only async attempts and web exchanges have a caller's signal: sync invokes make no listener.
  const onCallerAbort = callerSignal && ((): void => cancellation.abort(new FnError('CANCELLED', 'the invocation was cancelled')));
  if (onCallerAbort) callerSignal.addEventListener('abort', onCallerAbort, { once: true });
  const started = performance.now();
  return new Promise<string>((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      if (onCallerAbort) callerSignal.removeEventListener('abort', onCallerAbort);
      invocation.durationMs = performance.now() - started;
    };
    // The instance is told through the signal; the call fails at the deadline even if it does not listen.
    const timer = setTimeout(() => {
      const error = new FnError('TIMEOUT', `Invoking task timed out after ${timeoutMs / 1000} seconds`);
      cancellation.abort(error);
      finish();
      reject(error);
    }, timeoutMs);
    instance.invoke({ requestId: invocation.requestId, payload: invocation.payload, deadline: Date.now() + timeoutMs, signal: cancellation }).then(
      (result) => {
        finish();
        if (cancellation.aborted) return reject(cancellation.reason);
        // A UTF-8 character is at most 3 bytes per UTF-16 unit: short results skip the byte count.
        if (result.length > MAX_RESPONSE_BYTES / 3 && Buffer.byteLength(result) > MAX_RESPONSE_BYTES) {
          return reject(new FnError('RESPONSE_TOO_LARGE', `the function's response is over ${MAX_RESPONSE_BYTES} bytes`));
        }
        resolve(result);
      },
      (error: unknown) => {
        finish();
        reject(cancellation.aborted ? cancellation.reason : error);
      },
    );
  });
};
