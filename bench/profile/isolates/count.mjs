// Counts isolated-vm isolates made (and disposed by the time of SIGTERM) in a node process, for
// telling a steady state from isolate churn (bench/results/async-exec.md). Load it with
//   NODE_OPTIONS="--import <repo>/bench/profile/isolates/count.mjs" ISOLATES_OUT=<file>
// and it appends {pid, atSigterm: {made, disposed}, made} to ISOLATES_OUT when the process exits.
// On the main thread this registers itself as a module hook; in the hooks thread it resolves the bare
// specifier `isolated-vm` (of any importer but the wrapper) to wrapper.mjs, which counts constructions.
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const WRAPPER = new URL('./wrapper.mjs', import.meta.url).href;

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, next) {
  if (specifier === 'isolated-vm' && context.parentURL !== WRAPPER) return { url: WRAPPER, shortCircuit: true };
  return next(specifier, context);
}
