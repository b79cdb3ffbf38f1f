/**
 * The Runtime API of SPEC §3 as a state machine, independent of any transport:
 *
 *   initializing --ready--> idle --invoke--> in-flight --first response/error--> idle
 *   any state --terminate--> closed
 *
 * The runtime side (`ready`, `next`, `respond`, `fail`) is driven by the function process, over pipes
 * (pipe-channel.ts) or over HTTP (the custom runtime); the host side (`whenReady`, `invoke`, `terminate`)
 * by the instance. Both transports therefore share every rule: the first `ready` counts, a repeated `next`
 * returns the event in flight, the first response or error is final and later ones change nothing.
 */
import { FnError, type ErrorCode } from '../../gateway/errors.ts';
import type { ReadyTimings, RuntimeErrorData } from './protocol.ts';

export type SessionState = 'initializing' | 'idle' | 'in-flight' | 'closed';

export interface Invocation {
  requestId: string;
  /** The event as JSON text. */
  payload: string;
  /** Epoch ms at which the invocation times out. */
  deadline: number;
  context: Record<string, unknown>;
}

/**
 * Codes a runtime may report for itself. Anything else (a typo, a forged INTERNAL) becomes the default
 * of the phase, so user code cannot impersonate platform failures.
 */
export const RUNTIME_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USER_CODE_EXCEPTION',
  'USER_CODE_LOAD_ERROR',
  'HANDLER_NOT_FOUND',
  'MEMORY_LIMIT',
]);

export function runtimeError(data: RuntimeErrorData, fallback: ErrorCode): FnError {
  const code = RUNTIME_ERROR_CODES.has(data.code as ErrorCode) ? (data.code as ErrorCode) : fallback;
  return new FnError(code, data.message, { stackTrace: data.stackTrace ?? '', errorType: data.errorType });
}

interface InFlight {
  invocation: Invocation;
  resolve(body: string): void;
  reject(error: FnError): void;
}

interface Poll {
  resolve(invocation: Invocation): void;
  reject(error: FnError): void;
}

export class RuntimeApiSession {
  #state: SessionState = 'initializing';
  #ready: Promise<ReadyTimings>;
  #resolveReady!: (timings: ReadyTimings) => void;
  #rejectReady!: (error: FnError) => void;
  #current: InFlight | undefined;
  #polls: Poll[] = [];
  #listeners: Array<(invocation: Invocation) => void> = [];
  #closedWith: FnError | undefined;

  constructor() {
    this.#ready = new Promise<ReadyTimings>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A start that nobody awaits (the instance was closed first) must not be an unhandled rejection.
    this.#ready.catch(() => {});
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The invocation in flight, if any. */
  get current(): Invocation | undefined {
    return this.#current?.invocation;
  }

  // ---- runtime side ----

  /** Initialisation done. Repeat calls are allowed and change nothing; returns whether this one counted. */
  ready(timings: ReadyTimings = {}): boolean {
    if (this.#state !== 'initializing') return false;
    this.#state = 'idle';
    this.#resolveReady(timings);
    return true;
  }

  /**
   * The next invocation: the one in flight (a repeated `next` returns the same event), else the next to
   * start. A runtime that polls for work has evidently finished initialising, so this implies `ready`.
   */
  next(): Promise<Invocation> {
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    if (this.#state === 'initializing') this.ready();
    if (this.#current) return Promise.resolve(this.#current.invocation);
    return new Promise((resolve, reject) => this.#polls.push({ resolve, reject }));
  }

  /** Push form of `next` for transports that deliver work themselves (pipes). */
  onInvoke(listener: (invocation: Invocation) => void): void {
    this.#listeners.push(listener);
  }

  /** The result of the invocation in flight; false if there is none (or `requestId` names another one). */
  respond(body: string, requestId?: string): boolean {
    const current = this.#take(requestId);
    if (!current) return false;
    current.resolve(body);
    return true;
  }

  /** A failure: of the invocation in flight, or, while initialising, of the start. */
  fail(error: RuntimeErrorData, requestId?: string): boolean {
    if (this.#state === 'initializing' && requestId === undefined) {
      this.terminate(runtimeError(error, 'USER_CODE_LOAD_ERROR'));
      return true;
    }
    const current = this.#take(requestId);
    if (!current) return false;
    current.reject(runtimeError(error, 'USER_CODE_EXCEPTION'));
    return true;
  }

  // ---- host side ----

  /** Resolves with the runtime's own timings once it is ready; rejects if it failed or ended first. */
  whenReady(): Promise<ReadyTimings> {
    return this.#ready;
  }

  /** Hand one invocation to the runtime; resolves with its response body, rejects with an FnError. */
  invoke(invocation: Invocation): Promise<string> {
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    if (this.#state !== 'idle') {
      return Promise.reject(new FnError('INTERNAL', `the runtime cannot take an invocation while ${this.#state}`));
    }
    return new Promise<string>((resolve, reject) => {
      this.#state = 'in-flight';
      this.#current = { invocation, resolve, reject };
      const polls = this.#polls;
      this.#polls = [];
      for (const poll of polls) poll.resolve(invocation);
      for (const listener of this.#listeners) listener(invocation);
    });
  }

  /** End the session: everything pending rejects with `error`. The first termination wins. */
  terminate(error: FnError): void {
    if (this.#closedWith) return;
    this.#closedWith = error;
    this.#state = 'closed';
    this.#rejectReady(error);
    const current = this.#current;
    this.#current = undefined;
    current?.reject(error);
    const polls = this.#polls;
    this.#polls = [];
    for (const poll of polls) poll.reject(error);
  }

  #take(requestId: string | undefined): InFlight | undefined {
    const current = this.#current;
    if (!current || this.#state !== 'in-flight') return undefined;
    if (requestId !== undefined && requestId !== current.invocation.requestId) return undefined;
    this.#current = undefined;
    this.#state = 'idle';
    return current;
  }
}
