/**
 * One Node.js function instance: one isolate, one context. `start()` takes an isolate whose Node-like
 * globals are already set up (a spare, spares.ts), attaches it to this instance, hands it the function's
 * configuration and loads the user's module; `invoke()` is one call into the isolate
 * that the host does not wait on (`applyIgnored`) and one call back with the outcome (the shim's
 * `host.done`), so a CPU-bound handler runs on the isolate's thread and never stalls the gateway's event loop.
 * Neither carries a promise: isolated-vm's promise calls capture the caller's stack, create resolvers on
 * both sides and enter a node callback scope per result, which cost about a third of a warm hello's CPU.
 * A death of the isolate in the middle of a call (its memory limit)
 * would then go unnoticed, so every isolate also holds one promise call that only the isolate's end
 * settles (`watch`, made with the spare), from which a pending call learns why it ended (hook `died`).
 * Timeouts, aborts, `process.exit()` and the memory limit all end the same way: the isolate is disposed
 * (which stops even `while (true) {}`), host timers and fetches are dropped, and `alive` turns false.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ivm from 'isolated-vm';
import { FnError, type ErrorCode } from '../../gateway/errors.ts';
import { InstanceLog } from '../instance-log.ts';
import type { FunctionSpec, InitTimings, Instance, InstanceEnd, InvokeRequest } from '../runtime.ts';
import { DispatchKind, type InstanceHooks } from './bridge.ts';
import { HostFetches, type FetchFailureData, type FetchRequestData, type FetchResponseData } from './fetch.ts';
import { hostServices, type HostServices } from './builtins/index.ts';
import { HostMemory, type HostService, type ServiceContext } from './builtins/service.ts';
import { deploymentStart, type DeploymentStart } from './deployment.ts';
import { loadOnDemandPart } from './shim.ts';
import type { IsolateSpares, ShimApi } from './spares.ts';
import type { FunctionModules } from './virtual-modules.ts';
import { HostTimers } from './timers.ts';

/** isolated-vm refuses smaller heaps. */
const MIN_MEMORY_MB = 8;
/** How stale `memoryUsage()` may be before a background refresh (reading it synchronously would wait
 * for a busy isolate). */
const MEMORY_STATS_MAX_AGE_MS = 1000;
const PROMISE_RESULT = { result: { promise: true } } as const;
const COPY_ARGUMENTS = { arguments: { copy: true } } as const;
/** First character of the outcome the shim's invoke() calls `host.done` with (shim/invoke.js). */
const OUTCOME_ERROR = '1';
/** First character of what the shim's load() resolves with (shim/invoke.js); '' means loaded. */
const LOAD_HANDLER_MISSING = 'H';
const LOAD_INITIALIZER_FAILED = 'I';

/** Why this instance disposed its isolate; decides which error a pending call gets. */
type DisposeReason = 'aborted' | 'init-timeout' | 'exit' | 'memory' | 'closed' | 'broken';

interface DescribedError {
  name?: string;
  message: string;
  stack: string;
}

let instanceCount = 0;

export class NodeInstance implements Instance {
  readonly id: string;
  readonly log = new InstanceLog();
  readonly #spec: FunctionSpec;
  readonly #timers: HostTimers;
  readonly #fetches: HostFetches;
  #state: 'new' | 'starting' | 'ready' | 'closed' = 'new';
  #isolate: ivm.Isolate | undefined;
  #context: ivm.Context | undefined;
  #invokeRef: ivm.Reference<ShimApi['invoke']> | undefined;
  #dispatchRef: ivm.Reference<ShimApi['dispatch']> | undefined;
  #disposed: DisposeReason | undefined;
  #exitCode = 0;
  #busy = false;
  #request: InvokeRequest | undefined;
  /** Settle the invocation in flight; set while one is. */
  #resolve: ((result: string) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #deadline = 0;
  /** [used heap, total heap, external] bytes, refreshed in the background. */
  #memory: [number, number, number] = [0, 0, 0];
  #memoryAt = 0;
  #memoryRefreshing = false;
  readonly #spares: IsolateSpares;
  /** Host services the function has used (builtins/), each closed with the instance. */
  readonly #services = new Map<string, HostService>();
  /** The host services' factories, loaded by `start` (builtins/index.ts). */
  #hostServices: HostServices = {};
  readonly #hostMemory: HostMemory;
  /** The instance's private `/tmp` on the host, made on first use and removed when the instance ends. */
  #tmpDir: string | undefined;

  /** @param spares where the isolate comes from (prepared ahead when one is ready) */
  constructor(spec: FunctionSpec, spares: IsolateSpares) {
    this.#spec = spec;
    this.#spares = spares;
    this.id = `${spec.name}-node-${++instanceCount}`;
    this.#hostMemory = new HostMemory(spec.memoryMb * 1024 * 1024);
    this.#timers = new HostTimers((id) => this.#dispatch(DispatchKind.TIMER, id));
    this.#fetches = new HostFetches({
      done: (id: number, response: FetchResponseData) => this.#dispatch(DispatchKind.FETCH_DONE, id, response),
      failed: (id: number, failure: FetchFailureData) => this.#dispatch(DispatchKind.FETCH_FAILED, id, failure),
    });
  }

  get alive(): boolean {
    return this.#state !== 'closed' && this.#disposed === undefined && !(this.#isolate?.isDisposed ?? false);
  }

  async start(): Promise<InitTimings> {
    if (this.#state !== 'new') throw new FnError('INTERNAL', `instance ${this.id} was already started`);
    this.#state = 'starting';
    this.#hostServices = await hostServices();
    const startedAt = performance.now();
    // The entry files are read up front (once per deployment), sparing the isolate a blocking call back to the host.
    let deployment: DeploymentStart;
    try {
      deployment = deploymentStart(this.#spec);
    } catch (error) {
      this.#dispose('broken');
      throw error;
    }
    const runtimeStartedAt = performance.now();
    const load = this.#createIsolate(deployment.resolver);
    const runtimeReadyAt = performance.now();
    const initTimer = setTimeout(() => this.#dispose('init-timeout'), this.#spec.initTimeoutMs);
    let outcome: string;
    try {
      outcome = (await load.apply(undefined, [...deployment.entries, deployment.config], { ...COPY_ARGUMENTS, ...PROMISE_RESULT })) as string;
    } catch (error) {
      throw this.#callFailure(error, 'start');
    } finally {
      clearTimeout(initTimer);
      release(load);
    }
    if (outcome !== '') {
      this.#dispose('broken');
      throw loadFailure(outcome);
    }
    if (this.#disposed !== undefined) throw this.#callFailure(new Error('the isolate ended while starting'), 'start');
    this.#state = 'ready';
    this.#refreshMemory();
    const initRuntimeMs = runtimeReadyAt - runtimeStartedAt;
    return { pullCodeMs: 0, initRuntimeMs, initFunctionMs: performance.now() - startedAt - initRuntimeMs };
  }

  invoke(request: InvokeRequest): Promise<string> {
    const invokeRef = this.#invokeRef;
    if (this.#state !== 'ready' || invokeRef === undefined || this.#disposed !== undefined) {
      return Promise.reject(new FnError('INTERNAL', `instance ${this.id} is not running`));
    }
    if (this.#busy) return Promise.reject(new FnError('INTERNAL', `instance ${this.id} runs one invocation at a time`));
    if (request.signal.aborted) {
      this.#dispose('aborted');
      return Promise.reject(abortError(request));
    }
    this.#busy = true;
    this.#request = request;
    this.#deadline = request.deadline;
    // Not removed when the call ends: the signal belongs to this one call (a removal costs more than the
    // listener), and the listener (one per instance, not a closure per call) ignores a signal whose
    // invocation is over.
    request.signal.addEventListener('abort', this.#onAbort);
    // The warm path: one call into the isolate and one back, strings both ways, handlers bound once per instance.
    // How many calls run at once (isolated-vm's thread pool) is bounded before the lease (adapter.ts).
    return new Promise<string>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      try {
        invokeRef.applyIgnored(undefined, [request.requestId, request.payload, request.deadline]);
      } catch (error) {
        // The isolate is gone (disposed by isolated-vm before the call was scheduled).
        this.#failInvocation(error);
      }
    });
  }

  /** An invocation's signal aborted: only the one in flight ends the isolate (a late abort of an old call does not). */
  readonly #onAbort = (): void => {
    if (this.#request?.signal.aborted === true) this.#dispose('aborted');
  };

  memoryUsage(): number {
    // Not `alive`: asking the isolate whether it is disposed costs a lock; #refreshMemory checks it.
    if (this.#disposed === undefined && !this.#memoryRefreshing && performance.now() - this.#memoryAt > MEMORY_STATS_MAX_AGE_MS) this.#refreshMemory();
    return this.#memory[0] + this.#memory[2] + this.#hostMemory.used;
  }

  close(_reason: InstanceEnd = 'closed'): Promise<void> {
    this.#state = 'closed';
    this.#dispose('closed');
    return Promise.resolve();
  }

  /** The isolate (a spare when one is ready: context and shim set up), attached to this instance; returns the shim's `load`. */
  #createIsolate(resolver: FunctionModules): ivm.Reference<ShimApi['load']> {
    try {
      const prepared = this.#spares.take(Math.max(MIN_MEMORY_MB, this.#spec.memoryMb));
      this.#isolate = prepared.isolate;
      this.#context = prepared.context;
      prepared.link.attach(this.#hooks(), resolver);
      this.#invokeRef = prepared.invoke;
      this.#dispatchRef = prepared.dispatch;
      this.#storeMemory(prepared.heap);
      return prepared.load;
    } catch (error) {
      this.#dispose('broken');
      throw new FnError('INTERNAL', `could not create the Node.js isolate: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  #hooks(): InstanceHooks {
    return {
      log: (text: string, time: number, droppedBytes?: number, droppedLines?: number) =>
        droppedLines ? this.log.dropped(droppedBytes ?? 0, droppedLines, time) : this.log.write(text, time),
      timerStart: (id: number, delayMs: number, kind: number) => {
        if (this.#disposed === undefined) this.#timers.start(id, delayMs, kind);
      },
      timerClear: (id: number) => this.#timers.clear(id),
      fetchStart: (id: number, request: FetchRequestData) => {
        if (this.#disposed !== undefined) return;
        const now = Date.now();
        this.#fetches.start(id, request, this.#busy && this.#deadline > now ? this.#deadline - now : this.#spec.timeoutMs);
      },
      fetchAbort: (id: number) => this.#fetches.abort(id),
      exit: (code: number) => {
        this.#exitCode = code;
        this.#dispose('exit');
      },
      done: this.#onDone,
      // The isolate's death watch (spares.ts) was abandoned: disposed by isolated-vm itself means its memory
      // limit; the call in flight (if any) then fails with 434, as a promise call would have.
      died: () => {
        if (this.#disposed === undefined) this.#dispose(this.#isolate?.isDisposed === true ? 'memory' : 'broken');
      },
      memory: () => this.#memory,
      service: (name: string) => this.#service(name)?.callbacks ?? null,
      shimPart: (name: string) => (this.#isolate !== undefined && this.#context !== undefined ? loadOnDemandPart(this.#isolate, this.#context, name) : null),
    };
  }

  #service(name: string): HostService | undefined {
    let service = this.#services.get(name);
    if (service === undefined && this.#disposed === undefined && Object.hasOwn(this.#hostServices, name)) {
      service = this.#hostServices[name]!(this.#serviceContext(name));
      this.#services.set(name, service);
    }
    return service;
  }

  #serviceContext(service: string): ServiceContext {
    const instance = this;
    return {
      spec: this.#spec,
      get tmpDir() {
        instance.#tmpDir ??= mkdtempSync(join(tmpdir(), 'fngate-node-tmp-'));
        return instance.#tmpDir;
      },
      send: (id: number, event: string, data?: unknown) => this.#dispatch(DispatchKind.SERVICE, id, [service, event, data]),
      remainingMs: () => {
        const now = Date.now();
        return this.#busy && this.#deadline > now ? this.#deadline - now : this.#spec.timeoutMs;
      },
      log: (text: string) => this.log.write(text, Date.now()),
      memory: this.#hostMemory,
    };
  }

  /** The shim's `host.done`: the invocation in flight ended with `outcome`. Late ones (after an abort) are dropped. */
  readonly #onDone = (outcome: string): void => {
    const resolve = this.#resolve;
    const reject = this.#reject;
    if (resolve === undefined || reject === undefined) return;
    this.#endInvocation();
    if (outcome[0] === OUTCOME_ERROR) reject(userError('USER_CODE_EXCEPTION', JSON.parse(outcome.slice(1)) as DescribedError));
    else resolve(outcome.slice(1));
  };

  /** Ends the invocation in flight, if any, with the error that explains `error` (or the isolate's end). */
  #failInvocation(error: unknown): void {
    const reject = this.#reject;
    if (reject === undefined) return;
    const request = this.#request;
    this.#endInvocation();
    reject(this.#callFailure(error, 'invoke', request));
  }

  #endInvocation(): void {
    this.#busy = false;
    this.#request = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
  }

  /** Turns a failed call into the isolate into the FnError that explains it. */
  #callFailure(error: unknown, phase: 'start' | 'invoke', request?: InvokeRequest): FnError {
    if (error instanceof FnError) return error;
    const message = error instanceof Error ? error.message : String(error);
    // isolated-vm disposes an isolate by itself only when it runs out of memory; a promise then ends as
    // "abandoned" rather than with the memory-limit message when the allocation happened in a timer.
    if (this.#disposed === undefined && (/memory limit/i.test(message) || this.#isolate?.isDisposed === true)) this.#dispose('memory');
    if (this.#disposed === undefined) this.#dispose('broken');
    switch (this.#disposed) {
      case 'aborted':
        return request ? abortError(request) : new FnError('CANCELLED', 'the start was aborted');
      case 'init-timeout':
        return new FnError('INIT_TIMEOUT', `the function did not finish initialising within ${this.#spec.initTimeoutMs} ms`);
      case 'memory':
        return new FnError('MEMORY_LIMIT', `the function used more than its memory limit of ${this.#spec.memoryMb} MB`);
      case 'exit':
        return new FnError('USER_PROCESS_EXITED', `the function called process.exit(${this.#exitCode})`);
      case 'closed':
        return new FnError('CANCELLED', `instance ${this.id} was closed during ${phase}`);
      default:
        return new FnError('INTERNAL', `the Node.js isolate failed during ${phase}: ${message}`, { cause: error });
    }
  }

  #dispatch(kind: number, id: number, data?: unknown): void {
    const dispatchRef = this.#dispatchRef;
    if (dispatchRef === undefined || this.#disposed !== undefined) return;
    try {
      dispatchRef.applyIgnored(undefined, [kind, id, data], data === undefined ? undefined : COPY_ARGUMENTS);
    } catch {
      // The isolate died outside any call (e.g. a timer callback ran it out of memory).
      this.#dispose(this.#isolate?.isDisposed ? 'memory' : 'broken');
    }
  }

  #refreshMemory(): void {
    const isolate = this.#isolate;
    if (isolate === undefined || isolate.isDisposed) return;
    this.#memoryRefreshing = true;
    this.#memoryAt = performance.now();
    isolate.getHeapStatistics().then(
      (stats) => {
        this.#memoryRefreshing = false;
        this.#storeMemory(stats);
      },
      () => {
        this.#memoryRefreshing = false;
      },
    );
  }

  #storeMemory(stats: ivm.HeapStatistics): void {
    this.#memory = [stats.used_heap_size, stats.total_heap_size, stats.externally_allocated_size];
    this.#memoryAt = performance.now();
  }

  /** Ends everything the instance owns. Idempotent; the first reason is the one reported. */
  #dispose(reason: DisposeReason): void {
    this.#disposed ??= reason;
    this.#timers.clearAll();
    this.#fetches.abortAll();
    for (const service of this.#services.values()) {
      try {
        service.close();
      } catch {
        // A service failing to close must not keep the others (or the isolate) alive.
      }
    }
    this.#services.clear();
    if (this.#tmpDir !== undefined) rmSync(this.#tmpDir, { recursive: true, force: true });
    this.#tmpDir = undefined;
    release(this.#invokeRef);
    release(this.#dispatchRef);
    this.#invokeRef = undefined;
    this.#dispatchRef = undefined;
    try {
      this.#context?.release();
    } catch {
      // Already gone with the isolate.
    }
    this.#context = undefined;
    const isolate = this.#isolate;
    if (isolate !== undefined && !isolate.isDisposed) {
      try {
        isolate.dispose();
      } catch {
        // Disposed concurrently by isolated-vm itself (memory limit).
      }
    }
    // The call in flight gets the error of the first reason (#callFailure reads #disposed).
    this.#failInvocation(new Error(`the isolate was disposed (${this.#disposed})`));
  }
}

function release(reference: ivm.Reference | undefined): void {
  try {
    reference?.release();
  } catch {
    // Released with its isolate.
  }
}

function abortError(request: InvokeRequest): FnError {
  const reason: unknown = request.signal.reason;
  if (reason instanceof FnError) return reason;
  const code: ErrorCode = Date.now() >= request.deadline ? 'TIMEOUT' : 'CANCELLED';
  return new FnError(code, code === 'TIMEOUT' ? 'the invocation timed out' : 'the invocation was cancelled');
}

function userError(code: ErrorCode, described: DescribedError, prefix = ''): FnError {
  const message = described.name ? `${described.name}: ${described.message}` : described.message;
  return new FnError(code, code === 'USER_CODE_EXCEPTION' ? described.message : prefix + message, {
    stackTrace: described.stack,
    errorType: described.name,
  });
}

function loadFailure(outcome: string): FnError {
  const kind = outcome[0];
  const detail = outcome.slice(1);
  if (kind === LOAD_HANDLER_MISSING) return new FnError('HANDLER_NOT_FOUND', detail);
  const described = JSON.parse(detail) as DescribedError;
  return userError('USER_CODE_LOAD_ERROR', described, kind === LOAD_INITIALIZER_FAILED ? 'the initializer failed: ' : '');
}
