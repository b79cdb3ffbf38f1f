/**
 * The runtime contract. Every runtime (isolated-vm Node.js, the subprocess runtimes, web functions)
 * implements `RuntimeAdapter` in its own folder; the pool and the invoke pipeline know nothing else.
 */
import type { CancelSignal } from './cancellation.ts';
import type { InstanceLog } from './instance-log.ts';
import type { RunGate } from './run-gate.ts';
import type { SandboxNetworkSettings } from './sandbox/network.ts';
import type { StartGate } from './start-gate.ts';

/** Platform identity reported to functions (SPEC §1 built-ins, context keys, X-Scf-* headers). */
export interface PlatformIdentity {
  region: string;
  appId: string;
  uin: string;
}

/** Everything a runtime needs to know about one function version. Fully resolved: absolute paths, ms. */
export interface FunctionSpec {
  namespace: string;
  name: string;
  /** `$LATEST` or a published version number. */
  version: string;
  /** The SCF runtime name as configured, e.g. `Nodejs18.15`, `Python3.9`. */
  runtime: string;
  type: 'event' | 'web';
  handler: string;
  handlerStyle: 'scf' | 'functiongraph';
  /** FunctionGraph-style `file.function` run once per instance before the first event. */
  initializer: string | undefined;
  /** Absolute path of the code folder (zips are extracted before this point). */
  codeDir: string;
  /** Absolute layer folders in binding order. */
  layerDirs: string[];
  memoryMb: number;
  timeoutMs: number;
  initTimeoutMs: number;
  /** The function's own variables (environment.variables). */
  environment: Record<string, string>;
  platform: PlatformIdentity;
  /** The network of the function's sandbox (fngate.yml `gateway.sandboxNetwork`). @default DEFAULT_SANDBOX_NETWORK */
  sandboxNetwork?: SandboxNetworkSettings;
}

/** Cold-start phases in ms (SPEC §6 `Init Report`). */
export interface InitTimings {
  pullCodeMs: number;
  initRuntimeMs: number;
  initFunctionMs: number;
}

export interface InvokeRequest {
  requestId: string;
  /** The event as JSON text (already validated). */
  payload: string;
  /** Epoch ms at which the invocation times out. */
  deadline: number;
  /** Aborted on timeout or cancellation: the instance must stop the work and mark itself not alive. */
  signal: CancelSignal;
}

/** Why an instance stopped being usable; the pool replaces it. */
export type InstanceEnd = 'closed' | 'timeout' | 'memory' | 'crashed' | 'idle' | 'broken';

export interface Instance {
  readonly id: string;
  /** False once the instance broke, was aborted or closed: the pool never hands it out again. */
  readonly alive: boolean;
  /** Log of the instance: user output goes to the invocation in flight, or waits for the next one. */
  readonly log: InstanceLog;
  /** Start the instance; resolves when it can take invocations. Rejects with an FnError (443, 450 …). */
  start(): Promise<InitTimings>;
  /** Run one invocation; resolves with the result as JSON text, rejects with an FnError. */
  invoke(request: InvokeRequest): Promise<string>;
  /** Memory in use now, in bytes (heap for isolates, RSS for processes). */
  memoryUsage(): number;
  /** End the instance and everything it started. Idempotent. */
  close(reason?: InstanceEnd): Promise<void>;
}

/** One per runtime family; creates instances without side effects (they begin at `start`). */
export interface RuntimeAdapter {
  readonly kind: string;
  supports(runtime: string): boolean;
  createInstance(spec: FunctionSpec): Instance;
  /** Bounds the starts of this runtime's instances that run at once (start-gate.ts); none: unbounded. */
  readonly startGate?: StartGate;
  /** Bounds the event invocations of this runtime that run at once, before they lease (run-gate.ts); none: unbounded. */
  readonly runGate?: RunGate;
  /** Release what the adapter shares between instances (pre-warmed processes, caches). */
  close?(): Promise<void>;
}
