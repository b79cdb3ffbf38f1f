/**
 * The web pipeline (SPEC §4): the event pipeline's shared phases — recording, concurrency (432), framing
 * (START/END/Report, Init Report) — then the web lease strategy (many requests share one instance) and
 * the exchange with the user's server (web-proxy.ts) as the step.
 */
import type { CancelSignal } from '../../runtimes/cancellation.ts';
import { isWebServer, startupLogOf, type WebServer } from '../../runtimes/web/server.ts';
import { FnError } from '../errors.ts';
import type { DeployedFunction } from '../registry.ts';
import { newInvocation, type Invocation, type InvokeStep, type Wrapper } from './invocation.ts';
import { compose, sharedPhases, type PipelineDeps } from './pipeline.ts';
import { logStartFailure } from './wrappers.ts';

/** One request's conversation with the server of the leased instance. */
export interface Exchange {
  /** Resolves when it is over; rejects with an FnError. */
  run(server: WebServer, invocation: Invocation): Promise<void>;
}

interface WebInvocation extends Invocation {
  readonly exchange: Exchange;
}

export interface WebRequest {
  fn: DeployedFunction;
  requestId: string;
  /** Aborted when the client goes away. */
  signal: CancelSignal;
  exchange: Exchange;
}

export type WebPipeline = (request: WebRequest) => Promise<void>;

/**
 * Like the event pipeline's instance lease, but many requests share one instance: its output goes to the
 * most recent request in flight. A failed start puts the bootstrap's output in this request's log.
 */
const webLease: Wrapper = (next) => async (invocation) => {
  let lease;
  try {
    lease = await invocation.fn.pool.acquire(invocation.signal);
  } catch (error) {
    for (const line of startupLogOf(error)) invocation.log.user(line);
    logStartFailure(invocation.log, error);
    throw error;
  }
  invocation.coldStart = lease.coldStart;
  invocation.instance = lease.instance;
  const server = lease.instance;
  if (!isWebServer(server)) {
    lease.release();
    throw new FnError('INTERNAL', `function ${invocation.fn.config.name} is not served by the web runtime`);
  }
  const detach = server.attachRequestLog(invocation.log.user);
  try {
    return await next(invocation);
  } finally {
    detach();
    invocation.memUsageBytes = server.alive ? server.memoryUsage() : invocation.memUsageBytes;
    lease.release();
  }
};

const exchangeStep: InvokeStep = async (invocation) => {
  const started = performance.now();
  try {
    await (invocation as WebInvocation).exchange.run(invocation.instance as WebServer, invocation);
  } finally {
    invocation.durationMs = performance.now() - started;
  }
  return '';
};

export function createWebPipeline(deps: PipelineDeps): WebPipeline {
  const run = compose([...sharedPhases(deps), webLease], exchangeStep);
  return async ({ fn, requestId, signal, exchange }) => {
    const invocation: WebInvocation = Object.assign(newInvocation({ requestId, fn, payload: '', mode: 'sync', signal }), { exchange });
    await run(invocation);
  };
}
