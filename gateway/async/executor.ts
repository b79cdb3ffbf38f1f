/**
 * Binds the dispatcher to the gateway: queues resolve to deployed functions through the registry,
 * attempts run through the invoke pipeline in async mode (its `recording` wrapper writes the invocation
 * record and framed log of every attempt under the event's request ID), capacity is read from the
 * function's and the gateway's concurrency limiters.
 */
import type { ConcurrencyLimiter } from '../concurrency.ts';
import { toFnError } from '../errors.ts';
import { newInvocation, type InvokeStep } from '../invoke/invocation.ts';
import type { DeployedFunction, FunctionRegistry } from '../registry.ts';
import type { AsyncExecutor, AsyncTarget, AttemptResult } from './dispatcher.ts';

/**
 * A claim outlives the longest an attempt can take (a cold start within initTimeout, then the
 * invocation within timeout) by this much, so a live attempt's lease never lapses.
 */
export const LEASE_MARGIN_MS = 10_000;

interface GatewayTarget extends AsyncTarget {
  fn: DeployedFunction;
  qualifier: string;
}

export interface GatewayExecutorDeps {
  registry: FunctionRegistry;
  globalLimiter: ConcurrencyLimiter;
  invoke: InvokeStep;
}

export function createGatewayExecutor(deps: GatewayExecutorDeps): AsyncExecutor {
  // By function version and qualifier: an alias's queue keeps its own target.
  const targets = new WeakMap<DeployedFunction, Map<string, GatewayTarget>>();
  const targetOf = (fn: DeployedFunction, qualifier: string): GatewayTarget => {
    let byQualifier = targets.get(fn);
    if (byQualifier === undefined) targets.set(fn, (byQualifier = new Map()));
    let target = byQualifier.get(qualifier);
    if (target === undefined) {
      const { config } = fn;
      target = {
        fn,
        qualifier,
        retryNum: config.retryNum,
        maxEventAgeMs: config.maxEventAgeS * 1000,
        maxPendingEvents: config.maxPendingEvents,
        leaseMs: config.timeoutMs + config.initTimeoutMs + LEASE_MARGIN_MS,
        // The pipeline takes the slot synchronously when `invoke` is called, so this stays exact.
        hasCapacity: () => fn.limiter.available > 0,
      };
      byQualifier.set(qualifier, target);
    }
    return target;
  };
  return {
    resolve(namespace, functionName, qualifier) {
      try {
        return targetOf(deps.registry.lookup(namespace, functionName, qualifier), qualifier);
      } catch {
        return undefined;
      }
    },
    globalAvailable: () => deps.globalLimiter.available,
    // Not async: the pipeline's promise is mapped to the attempt's result in place (one promise less per attempt).
    run(target, requestId, payload, signal): Promise<AttemptResult> {
      const { fn, qualifier } = target as GatewayTarget;
      // Each attempt runs the version its qualifier names now: an alias draws by weight per event, and
      // `$LATEST` is the one deployed when the attempt starts.
      let current = fn;
      try {
        current = deps.registry.lookup(fn.config.namespace, fn.config.name, qualifier);
      } catch {
        // Removed since the queue resolved it: the attempt runs where the queue pointed (its pool forwards or cancels).
      }
      const invocation = newInvocation({ requestId, fn: current, payload, mode: 'async', signal });
      return deps.invoke(invocation).then(
        (result): AttemptResult => ({ statusCode: 200, result, durationMs: invocation.durationMs }),
        (error: unknown): AttemptResult => {
          const fnError = toFnError(error);
          return { statusCode: fnError.status, errorMessage: fnError.message, durationMs: invocation.durationMs };
        },
      );
    },
  };
}
