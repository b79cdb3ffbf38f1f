/**
 * What every instance of one deployment starts from, worked out once: its module resolver, its entry
 * files (read and resolved on the host) and the configuration the shim's `load` hands the isolate. A
 * FunctionSpec is made per deploy (gateway/registry.ts) and the code behind it does not change while it
 * serves: a redeploy, a hot reload included, makes a new spec. So these are kept per spec object and go
 * with it; each isolate still gets its own copy of them.
 */
import { FnError } from '../../gateway/errors.ts';
import { functionEnvironment, scfContext } from '../env.ts';
import type { FunctionSpec } from '../runtime.ts';
import { CODE_ROOT } from './layout.ts';
import type { ResolveRecord } from './modules.ts';
import { VIRTUAL_NODE_PATH, VirtualModules } from './virtual-modules.ts';

export interface DeploymentStart {
  resolver: VirtualModules;
  /** The handler's file and, when it is another one, the initializer's (shim/invoke.js `load`). */
  entries: readonly [ResolveRecord, ResolveRecord | null];
  /** The function's configuration as the shim's `load` takes it. */
  config: Record<string, unknown>;
}

const starts = new WeakMap<FunctionSpec, DeploymentStart>();

/** The start data of `spec`'s deployment; a missing handler or initializer file is a 437 (never cached). */
export function deploymentStart(spec: FunctionSpec): DeploymentStart {
  let start = starts.get(spec);
  if (start === undefined) {
    const resolver = new VirtualModules(spec.codeDir, spec.layerDirs);
    start = { resolver, entries: readEntries(spec, resolver), config: functionConfig(spec) };
    starts.set(spec, start);
  }
  return start;
}

function readEntries(spec: FunctionSpec, resolver: VirtualModules): [ResolveRecord, ResolveRecord | null] {
  const handler = splitHandler(spec.handler);
  const entry = handler.name === '' ? null : resolver.resolveEntry(handler.file);
  if (entry === null || entry.code !== undefined) {
    throw new FnError('HANDLER_NOT_FOUND', `the handler "${spec.handler}" names no file ${handler.file}.js in the code folder`);
  }
  const initializer = initializerOf(spec);
  if (initializer === null || initializer.file === handler.file) return [entry, null];
  const initializerEntry = initializer.name === '' ? null : resolver.resolveEntry(initializer.file);
  if (initializerEntry === null || initializerEntry.code !== undefined) {
    throw new FnError('HANDLER_NOT_FOUND', `the initializer "${spec.initializer}" names no file ${initializer.file}.js in the code folder`);
  }
  return [entry, initializerEntry];
}

function functionConfig(spec: FunctionSpec): Record<string, unknown> {
  // The function sees SCF's paths (layout.ts): its code at /var/user, the cwd.
  const env = functionEnvironment(spec, { codeRoot: `${CODE_ROOT}/`, runtimeVariables: { NODE_PATH: VIRTUAL_NODE_PATH } });
  const { request_id: _, ...context } = scfContext(spec, '', env);
  return {
    env,
    style: spec.handlerStyle,
    handler: splitHandler(spec.handler),
    initializer: initializerOf(spec),
    initTimeoutMs: spec.initTimeoutMs,
    context,
  };
}

function initializerOf(spec: FunctionSpec): { file: string; name: string } | null {
  return spec.handlerStyle === 'functiongraph' && spec.initializer ? splitHandler(spec.initializer) : null;
}

/** `index.main_handler` → file `index`, export `main_handler` (the file part may contain dots and slashes). */
function splitHandler(handler: string): { file: string; name: string } {
  const at = handler.lastIndexOf('.');
  return at <= 0 ? { file: handler, name: '' } : { file: handler.slice(0, at), name: handler.slice(at + 1) };
}
