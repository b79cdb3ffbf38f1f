/**
 * An Instance backed by one function process: Python, PHP and any runtime that speaks the pipe protocol
 * (protocol.ts). It owns the process from launch to close and maps every way a process can fail onto
 * the SCF status codes: init timeout 450, death before ready 443, death mid-invocation 439, memory 434,
 * abort (the pipeline's timeout or a cancellation) with the abort reason.
 */
import { randomUUID } from 'node:crypto';
import { stderr } from 'node:process';
import { FnError, isErrorCode, toFnError } from '../../gateway/errors.ts';
import { scfContext } from '../env.ts';
import { InstanceLog } from '../instance-log.ts';
import { SANDBOX_SETUP_MS } from '../sandbox/limits.ts';
import type { FunctionSpec, InitTimings, Instance, InstanceEnd, InvokeRequest } from '../runtime.ts';
import { MemoryWatch, memoryLimitBytes } from './memory.ts';
import type { ChannelHooks } from './pipe-channel.ts';
import { exitText, type ExitInfo, type FunctionProcess } from './process.ts';
import type { LoadMessage } from './protocol.ts';
import { RuntimeApiSession } from './runtime-api.ts';

/** Processes of a sandboxed instance before its function forks: bwrap, its init, the function. */
const SANDBOXED_TREE_PROCESSES = 3;
/** Output lines quoted in the error of a process that died before it was ready. */
export const LOAD_ERROR_TAIL_LINES = 5;

/**
 * What carries the Runtime API between the instance's session and its process. The default is the
 * process's own pipes (PipeChannel); the custom runtime serves it over HTTP and Go drives it over net/rpc.
 */
export interface RuntimeTransport {
  /** Route the process's side of the protocol to `session` (ready, responses, errors) and deliver its invocations. */
  connect(session: RuntimeApiSession, hooks: ChannelHooks): void;
  /** Release what the transport holds (a server, a connection); called once the instance closes. */
  close?(): Promise<void>;
}

export interface LaunchedProcess {
  process: FunctionProcess;
  /** The first message for shims (become this function); absent for processes that load themselves. */
  load?: LoadMessage;
  /** The function's environment as the context's `environ` and `environment` show it. */
  environment: Record<string, string>;
  /** @default the process's pipes (`process.channel`) */
  transport?: RuntimeTransport;
}

export interface SubprocessInstanceOptions {
  spec: FunctionSpec;
  /** Spawn a process for the function, or adopt a pre-warmed one. Counted in the init timeout. */
  launch(): Promise<LaunchedProcess>;
  /**
   * The platform's own preparation before `launch` (resolving an interpreter, compiling a shim on first
   * use): part of the cold start, but not of the function's init timeout.
   */
  prepare?(): Promise<unknown>;
  /** RSS above which the instance is killed with 434. @default the function's memory size */
  memoryLimitBytes?: number;
  /**
   * A runtime's own reading of a process that died while starting or invoking (Node.js leaves a report
   * of a fatal heap exhaustion: 434); undefined keeps the generic 443 / 439.
   */
  explainExit?(info: ExitInfo, process: FunctionProcess): FnError | undefined;
}

export class SubprocessInstance implements Instance {
  readonly id = randomUUID();
  readonly log = new InstanceLog();
  #spec: FunctionSpec;
  #options: SubprocessInstanceOptions;
  #session = new RuntimeApiSession();
  #process: FunctionProcess | undefined;
  #transport: RuntimeTransport | undefined;
  #watch: MemoryWatch | undefined;
  #context: Record<string, unknown> = {};
  #rssBytes = 0;
  #alive = true;
  #started = false;
  #closing: Promise<void> | undefined;

  constructor(options: SubprocessInstanceOptions) {
    this.#spec = options.spec;
    this.#options = options;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** The process id, once launched (tests and diagnostics). */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  async start(): Promise<InitTimings> {
    if (this.#started) throw new FnError('INTERNAL', 'the instance was already started');
    this.#started = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.#options.prepare?.();
      if (this.#closing) throw new FnError('CANCELLED', 'the instance was closed while starting');
      const startedAt = performance.now();
      const initTimeoutMs = this.#spec.initTimeoutMs;
      let restart!: (ms: number) => void;
      const timedOut = new Promise<never>((_, reject) => {
        restart = (ms) => {
          clearTimeout(timer);
          timer = setTimeout(() => reject(new FnError('INIT_TIMEOUT', `the function did not become ready within ${initTimeoutMs} ms`)), ms);
        };
      });
      // Setting the sandbox up (its network: runtimes/sandbox/network.ts) is the platform's time, not the
      // function's: initTimeout counts from the moment the process runs.
      restart(initTimeoutMs + SANDBOX_SETUP_MS);
      const runtimeTimings = await Promise.race([this.#launchAndLoad(() => restart(initTimeoutMs)), timedOut]);
      const totalMs = performance.now() - startedAt;
      const initFunctionMs = Math.min(totalMs, runtimeTimings.initFunctionMs ?? 0);
      return { pullCodeMs: 0, initRuntimeMs: totalMs - initFunctionMs, initFunctionMs };
    } catch (error) {
      const failure = toFnError(error);
      this.#session.terminate(failure);
      await this.close('broken');
      throw failure;
    } finally {
      clearTimeout(timer);
      if (this.#alive) this.#watch?.idle();
      else this.#watch?.stop();
    }
  }

  async invoke(request: InvokeRequest): Promise<string> {
    if (!this.#alive || !this.#process || this.#session.state !== 'idle') {
      throw new FnError('INTERNAL', `instance ${this.id} cannot take an invocation (${this.#alive ? this.#session.state : 'dead'})`);
    }
    const { signal } = request;
    const onAbort = (): void => this.#fail(abortError(signal.reason));
    if (signal.aborted) {
      onAbort();
      throw abortError(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
    this.#watch?.start();
    try {
      return await this.#session.invoke({
        requestId: request.requestId,
        payload: request.payload,
        deadline: request.deadline,
        context: { ...this.#context, request_id: request.requestId },
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
      // A sample after the invocation, so memoryUsage() reflects it even if it was shorter than a tick;
      // back-to-back invocations share one (memory.ts: at most one per busy interval).
      this.#watch?.sampleIfStale();
      if (this.#alive) this.#watch?.idle();
      this.#process.flushOutput();
    }
  }

  memoryUsage(): number {
    return this.#rssBytes;
  }

  close(reason: InstanceEnd = 'closed'): Promise<void> {
    this.#closing ??= (async () => {
      this.#alive = false;
      this.#watch?.stop();
      this.#session.terminate(new FnError('CANCELLED', `the instance was closed (${reason})`));
      await Promise.all([this.#process?.close(), this.#transport?.close?.()]);
    })();
    return this.#closing;
  }

  async #launchAndLoad(networkReady: () => void): Promise<{ initFunctionMs?: number }> {
    const launched = await this.#options.launch();
    const { process } = launched;
    await process.networkReady;
    networkReady();
    if (this.#closing) {
      // Closed (or timed out) while the process was being spawned: it has no owner but us.
      await Promise.all([process.close(), launched.transport?.close?.()]);
      throw new FnError('CANCELLED', 'the instance was closed while starting');
    }
    this.#process = process;
    this.#transport = launched.transport;
    this.#context = { ...scfContext(this.#spec, '', launched.environment) };
    process.onOutput((line) => this.log.write(line));
    (launched.transport ?? process.channel).connect(this.#session, {
      onFatal: () => {
        this.#alive = false;
      },
      onProtocolError: (error) => this.#fail(error),
    });
    this.#watch = new MemoryWatch({
      pid: process.pid,
      // bwrap and its init sit above the function's process in a sandbox.
      plainProcesses: process.sandbox ? SANDBOXED_TREE_PROCESSES : 1,
      limitBytes: this.#options.memoryLimitBytes ?? memoryLimitBytes(this.#spec.memoryMb),
      onSample: (bytes) => {
        this.#rssBytes = bytes;
      },
      onExceeded: (bytes) => {
        const used = `the function used ${(bytes / 1048576).toFixed(1)} MB, over its memory size of ${this.#spec.memoryMb} MB`;
        if (this.#session.state === 'idle') {
          // Grown after its handler returned (a background thread): ended now, so no later caller gets 434.
          stderr.write(`fngate: ended an idle instance of function ${this.#spec.name} (${this.id}): ${used}\n`);
        }
        this.#fail(new FnError('MEMORY_LIMIT', used));
      },
    });
    void process.exited.then((info) => this.#onExit(info));
    // `load` first: the first memory sample then runs while the shim loads the function, not before.
    if (launched.load) process.channel.send(launched.load);
    this.#watch.start();
    const timings = await this.#session.whenReady();
    // A start that took a while (imports) is read again; a quick one keeps the sample taken at launch.
    this.#watch.sampleIfStale();
    return timings;
  }

  /** The instance cannot go on: fail what is pending with `error` and kill the process tree. */
  #fail(error: FnError): void {
    this.#alive = false;
    this.#watch?.stop();
    this.#session.terminate(error);
    this.#process?.kill();
  }

  #onExit(info: ExitInfo): void {
    this.#alive = false;
    this.#watch?.stop();
    const how = exitText(info);
    let error: FnError;
    const explained = info.error ? undefined : this.#options.explainExit?.(info, this.#process!);
    if (info.error) {
      error = new FnError('INTERNAL', `the function process could not be started: ${info.error.message}`);
    } else if (explained) {
      error = explained;
    } else if (this.#session.state === 'initializing') {
      const tail = this.#process!.tail.slice(-LOAD_ERROR_TAIL_LINES).join('\n');
      error = new FnError('USER_CODE_LOAD_ERROR', `the function process ${how} before it was ready${tail ? `:\n${tail}` : ''}`);
    } else {
      error = new FnError('USER_PROCESS_EXITED', `the function process ${how}`);
    }
    // A response or error the process sent just before exiting settles first (pipe-channel.ts defers
    // settling by one setImmediate; this one is queued after it).
    setImmediate(() => this.#session.terminate(error));
  }
}

/** The error an aborted invocation rejects with: the abort reason if it is an FnError, else a timeout. */
function abortError(reason: unknown): FnError {
  // Not just any `code`: the DOMException of a bare abort() has a numeric one.
  if (reason && typeof reason === 'object' && isErrorCode((reason as { code?: unknown }).code)) return toFnError(reason);
  return new FnError('TIMEOUT', 'the invocation was aborted');
}
