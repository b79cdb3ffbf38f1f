/** The invoke pipeline: its phases, listed once, outermost first. */
import type { Store } from '../../store/types.ts';
import type { ConcurrencyLimiter } from '../concurrency.ts';
import type { InvokeStep, Wrapper } from './invocation.ts';
import { concurrency, execution, framing, instanceLease, recording } from './wrappers.ts';

export function createPipeline(deps: { store: Store; globalLimiter: ConcurrencyLimiter }): InvokeStep {
  const phases: Wrapper[] = [recording(deps.store), concurrency(deps.globalLimiter), framing, instanceLease];
  return phases.reduceRight<InvokeStep>((next, wrap) => wrap(next), execution);
}
