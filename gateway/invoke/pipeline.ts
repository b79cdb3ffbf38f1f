/**
 * The invoke pipelines' phases, listed once, outermost first: the phases every invocation goes through,
 * then a lease strategy (one instance per event invocation; shared instances for web functions) and the
 * step that runs the call.
 */
import type { Store } from '../../store/types.ts';
import type { ConcurrencyLimiter } from '../concurrency.ts';
import type { InvokeStep, Wrapper } from './invocation.ts';
import { execution, instanceLease, invocationPhases } from './wrappers.ts';

export interface PipelineDeps {
  store: Store;
  globalLimiter: ConcurrencyLimiter;
  /** `gateway.recordInvocations`: off, the recording phase is left out (no records, no stored function logs). */
  recordInvocations: boolean;
}

/** Recording (records and logs), concurrency (432) and framing (START/END/Report, Init Report), as one wrapper. */
export function sharedPhases(deps: PipelineDeps): Wrapper[] {
  return [invocationPhases(deps.recordInvocations ? deps.store : undefined, deps.globalLimiter)];
}

export function compose(phases: Wrapper[], step: InvokeStep): InvokeStep {
  return phases.reduceRight<InvokeStep>((next, wrap) => wrap(next), step);
}

/** The event pipeline: the shared phases, one instance per invocation, the call under the timeout. */
export function createPipeline(deps: PipelineDeps): InvokeStep {
  return compose([...sharedPhases(deps), instanceLease], execution);
}
