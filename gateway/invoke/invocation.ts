/** One invocation as it travels through the pipeline of wrappers (STYLE §6). */
import type { CancelSignal } from '../../runtimes/cancellation.ts';
import type { ColdStart } from '../../runtimes/pool.ts';
import type { Instance } from '../../runtimes/runtime.ts';
import type { DeployedFunction } from '../registry.ts';
import { InvocationLogFrame } from './log-frame.ts';

export type InvocationMode = 'sync' | 'async';

export interface Invocation {
  readonly requestId: string;
  readonly fn: DeployedFunction;
  /** The event as JSON text, already validated. */
  readonly payload: string;
  readonly mode: InvocationMode;
  /** Aborted when the caller gives up (async terminate, gateway shutdown). */
  readonly signal: CancelSignal | undefined;
  readonly log: InvocationLogFrame;
  /** Epoch ms the invocation entered the pipeline. */
  readonly startedAt: number;
  /** Filled in by the wrappers. */
  durationMs: number;
  memUsageBytes: number;
  coldStart: ColdStart | undefined;
  /** The instance serving the invocation, once leased. */
  instance: Instance | undefined;
}

export function newInvocation(fields: {
  requestId: string;
  fn: DeployedFunction;
  payload: string;
  mode: InvocationMode;
  signal?: CancelSignal;
}): Invocation {
  // Every field spelled out, in one order: one object shape for every invocation (no spread on the warm path).
  return {
    requestId: fields.requestId,
    fn: fields.fn,
    payload: fields.payload,
    mode: fields.mode,
    signal: fields.signal,
    log: new InvocationLogFrame(fields.requestId),
    startedAt: Date.now(),
    durationMs: 0,
    memUsageBytes: 0,
    coldStart: undefined,
    instance: undefined,
  };
}

/** A step of the pipeline: resolves with the result as JSON text, rejects with an FnError. */
export type InvokeStep = (invocation: Invocation) => Promise<string>;
export type Wrapper = (next: InvokeStep) => InvokeStep;
