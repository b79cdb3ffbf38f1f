/**
 * The Runtime API of a Go function, driven over scf-go-lib's net/rpc instead of pipes: readiness is the
 * first `Function.Ping` answered, each invocation one `Function.Invoke` on the instance's one persistent
 * connection. The process's exit, not the connection, decides how a dying function fails (443, 439):
 * SubprocessInstance watches the exit, so a broken connection only makes sure the process is gone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FnError } from '../../gateway/errors.ts';
import type { FunctionSpec } from '../runtime.ts';
import type { RuntimeTransport } from '../subprocess/instance.ts';
import { jsonText } from '../subprocess/json-text.ts';
import type { ChannelHooks } from '../subprocess/pipe-channel.ts';
import type { FunctionProcess } from '../subprocess/process.ts';
import type { Invocation, RuntimeApiSession } from '../subprocess/runtime-api.ts';
import type { GoInvokeError, GoInvokeRequest, GoInvokeResponse } from './messages.ts';
import { GoRpcClient, type GoRpcError } from './rpc-client.ts';

/** Where fngate reaches the function: scf-go-lib listens on 0.0.0.0, loopback is always among it. */
export const GO_RPC_HOST = '127.0.0.1';
/** How long a dropped connection waits for the process's exit (which drains its output first) to explain it. */
const EXIT_GRACE_MS = 1000;

export interface GoRpcTransportOptions {
  process: FunctionProcess;
  /** The port in the process's `_LAMBDA_SERVER_PORT`. */
  port: number;
  /** In a sandbox: the Unix socket forwarded to that port inside (the port itself is not on the host). */
  socketPath?: string;
  spec: FunctionSpec;
  /** The function's environment, sent with every invocation as `Environment` (the library applies it). */
  environment: Record<string, string>;
  /** performance.now() when the process was spawned: start of the function's own initialisation. */
  spawnedAt: number;
}

export class GoRpcTransport implements RuntimeTransport {
  #options: GoRpcTransportOptions;
  #client = new GoRpcClient();
  /** The fields of InvokeRequest that are the same for every invocation of the instance. */
  #template: GoInvokeRequest;
  #session: RuntimeApiSession | undefined;
  #hooks: ChannelHooks | undefined;
  #closing = false;

  constructor(options: GoRpcTransportOptions) {
    this.#options = options;
    const { spec } = options;
    const { region, appId, uin } = spec.platform;
    this.#template = {
      Namespace: spec.namespace,
      FunctionName: spec.name,
      FunctionVersion: spec.version,
      MemoryLimitInMb: spec.memoryMb,
      TimeLimitInMs: spec.timeoutMs,
      Environment: JSON.stringify(options.environment),
      TencentcloudRegion: region,
      TencentcloudAppID: appId,
      TencentcloudUin: uin,
      InvokedFunctionUnique: `qcs::scf:${region}:uin/${uin}:lam/${spec.namespace}/${spec.name}/${spec.version}`,
    };
  }

  connect(session: RuntimeApiSession, hooks: ChannelHooks): void {
    this.#session = session;
    this.#hooks = hooks;
    session.onInvoke((invocation) => this.#invoke(invocation));
    void this.#handshake();
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#client.close();
  }

  async #handshake(): Promise<void> {
    const { port, spawnedAt } = this.#options;
    try {
      // The binary listens once its main() reached cloudfunction.Start: retry refused connections until
      // the instance gives up (its init timeout closes this transport, which ends the retries).
      await this.#client.connect(port, GO_RPC_HOST, { retryForMs: Number.POSITIVE_INFINITY, path: this.#options.socketPath });
      await this.#client.ping();
    } catch (error) {
      if (this.#closing) return;
      const { code, message } = error as GoRpcError;
      const notScf = (why: string): void =>
        this.#hooks!.onProtocolError(new FnError('USER_CODE_LOAD_ERROR', `the function does not answer Function.Ping as scf-go-lib does: ${why}`));
      if (code === 'REMOTE' || code === 'PROTOCOL') return notScf(message);
      // Refused for good or dropped: usually the process is dying, and its exit says why (443 with its
      // last output). One that lives on closed the connection itself: not an scf-go-lib server.
      const exited = await Promise.race([this.#options.process.exited.then(() => true), sleep(EXIT_GRACE_MS, false)]);
      if (!exited && !this.#closing) notScf(message);
      return;
    }
    this.#session!.ready({ initFunctionMs: performance.now() - spawnedAt });
    void this.#client.closed.then(() => this.#endAfterDrop());
  }

  #invoke(invocation: Invocation): void {
    const deadlineMs = Math.floor(invocation.deadline);
    const request: GoInvokeRequest = {
      ...this.#template,
      Payload: Buffer.from(invocation.payload),
      RequestId: invocation.requestId,
      Deadline: { Seconds: Math.floor(deadlineMs / 1000), Nanos: (deadlineMs % 1000) * 1_000_000 },
    };
    this.#client.invoke(request).then(
      // Output the function wrote before replying may still be unread on its pipe in this poll phase;
      // settling after it keeps that output in this invocation's log (as pipe-channel.ts does).
      (response) => setImmediate(() => this.#settle(invocation.requestId, response)),
      (error: GoRpcError) => {
        if (this.#closing || this.#session!.state === 'closed') return;
        if (error.code === 'REMOTE' || error.code === 'PROTOCOL') {
          this.#hooks!.onProtocolError(new FnError('INTERNAL', `Function.Invoke failed: ${error.message}`));
        } else {
          void this.#endAfterDrop();
        }
      },
    );
  }

  /**
   * The connection dropped: a function process does not close it and live on, so make sure the process is
   * gone and its exit settles what is pending (439) — but give a dying one a moment to exit by itself, so
   * its own exit code (not our SIGKILL) is what the caller reads; in a sandbox bwrap follows its child a
   * little later.
   */
  async #endAfterDrop(): Promise<void> {
    if (this.#closing) return;
    const exited = await Promise.race([this.#options.process.exited.then(() => true), sleep(EXIT_GRACE_MS, false)]);
    if (!exited && !this.#closing) this.#options.process.kill();
  }

  #settle(requestId: string, response: GoInvokeResponse): void {
    const session = this.#session!;
    const failure = response.Error;
    if (!failure) {
      const payload = response.Payload.length > 0 ? Buffer.from(response.Payload).toString('utf8') : 'null';
      session.respond(jsonText(payload), requestId);
      return;
    }
    // scf-go-lib recovered a panic: the process state is suspect, SCF replaces the instance.
    if (failure.ShouldExit) this.#hooks!.onFatal();
    session.fail(
      {
        code: 'USER_CODE_EXCEPTION',
        message: failure.Message || failure.Type || 'the handler failed',
        errorType: failure.Type || undefined,
        stackTrace: goStackTrace(failure),
      },
      requestId,
    );
    if (failure.ShouldExit) this.#options.process.kill();
  }
}

/**
 * A Go error as a stack trace: the type and message (all there is for a returned error), then the frames
 * of a panic, innermost first, as scf-go-lib reports them.
 */
export function goStackTrace(error: GoInvokeError): string {
  const head = error.Type ? `${error.Type}: ${error.Message}` : error.Message;
  const frames = error.StackTrace.map((frame) => `\tat ${frame.Label} (${frame.Path}:${frame.Line})`);
  return [head, ...frames].join('\n');
}
