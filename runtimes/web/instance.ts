/**
 * One instance of a web function: the user's own HTTP server, started by `scf_bootstrap` inside a
 * bubblewrap sandbox (or, without namespaces, on a host port), reached over a Unix socket. `invoke` is the
 * image-style event path (POST /event-invoke); the gateway's web route proxies HTTP through `request`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, rm } from 'node:fs/promises';
import http, { type ClientRequest, type RequestOptions } from 'node:http';
import net, { type Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FnError } from '../../gateway/errors.ts';
import { SANDBOX_CODE_ROOT } from '../env.ts';
import { InstanceLog, type LogLine, type LogTarget } from '../instance-log.ts';
import { crlfMessage, hasCrlfLineEndings } from '../subprocess/executable.ts';
import type { FunctionSpec, InitTimings, Instance, InstanceEnd, InvokeRequest } from '../runtime.ts';
import { WEB_PORT, webEnvironment } from './environment.ts';
import { scfHeaders } from './headers.ts';
import type { Interpreter } from './interpreters.ts';
import { descendantsRss, findDescendant } from './process-tree.ts';
import { bwrapArgs, SANDBOX_BRIDGE, SANDBOX_SOCKET_DIR } from '../sandbox/bwrap.ts';
import { allocateIdentity, hostOwner, releaseIdentity, type SandboxIdentity } from '../sandbox/identity.ts';
import { limitPrefix } from '../sandbox/limits.ts';

export const BOOTSTRAP_FILE = 'scf_bootstrap';
export const EVENT_INVOKE_PATH = '/event-invoke';
const SOCKET_NAME = 'web.sock';
/** SPEC §5: an /event-invoke answer over 6 MB is refused (407); reading stops just past it. */
const MAX_EVENT_RESPONSE_BYTES = 6 * 1024 * 1024;
/** How long a closing instance lets the bridge end the server before killing the process groups. */
const GRACEFUL_STOP_MS = 1500;
/** How long it then waits for the killed processes to be gone. */
const KILL_WAIT_MS = 2000;
/** How long a failed exchange waits to learn whether the server is gone. */
const SETTLE_MS = 300;
/** memoryUsage() walks /proc; the pool asks often, so the figure is reused for this long. */
const MEMORY_CACHE_MS = 1000;
/**
 * Idle keep-alive connections to the server are dropped after this long, before common servers drop
 * them (Node's default keepAliveTimeout is 5 s): reusing one the server is closing fails the request.
 */
const FREE_SOCKET_TIMEOUT_MS = 4000;
/** Longest partial line kept before it is logged anyway. */
const MAX_PARTIAL_LINE = 16_384;

/** What the adapter resolved once for all its instances. */
export interface WebHostSetup {
  sandbox: { bwrap: string; tmpSizeBytes: number | undefined } | undefined;
  interpreters: Interpreter[];
  /** Host folder holding one sub-folder (socket, fallback /tmp) per instance. */
  runRoot: string;
  bridgeScript: string;
}

/** The part of a web instance the gateway's web route uses. */
export interface WebServer extends Instance {
  /** An HTTP request to the user's server (over the instance's Unix socket). */
  request(options: RequestOptions): ClientRequest;
  /** Route output to `target` while it is the most recent request in flight; returns the detach. */
  attachRequestLog(target: LogTarget): () => void;
  /** After a failed exchange: waits up to `ms` for the server to be known gone; true if it is. */
  settle(ms: number): Promise<boolean>;
  /** Why the server is gone, for error messages. */
  readonly endReason: string;
}

export function isWebServer(instance: Instance): instance is WebServer {
  return instance instanceof WebInstance;
}

const startupOutput = new WeakMap<object, LogLine[]>();

/** What the bootstrap printed before its instance failed to start (the caller logs it with the request). */
export function startupLogOf(error: unknown): LogLine[] {
  return typeof error === 'object' && error !== null ? (startupOutput.get(error) ?? []) : [];
}

type BridgeEvent =
  | { event: 'spawned'; pid: number }
  | { event: 'listening'; host: string; loopbackOnly?: boolean }
  | { event: 'spawn-error'; message: string }
  | { event: 'refused' }
  | { event: 'exit'; code: number | null; signal: string | null };

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Splits a byte stream into lines; partial lines wait for their end (or get too long). */
function pipeLines(stream: Readable, write: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    const end = partial.lastIndexOf('\n');
    if (end >= 0) {
      write(partial.slice(0, end));
      partial = partial.slice(end + 1);
    }
    if (partial.length > MAX_PARTIAL_LINE) {
      write(partial);
      partial = '';
    }
  });
  stream.on('end', () => {
    if (partial) write(partial);
    partial = '';
  });
}

/** 9000 when it is free on the host (unmodified apps work), else any free port (apps must read PORT). */
function hostPort(): Promise<number> {
  const tryListen = (port: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(undefined));
      server.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
        const bound = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(bound));
      });
    });
  return tryListen(WEB_PORT).then((port) => port ?? tryListen(0).then((free) => free ?? 0));
}

const exitText = (code: number | null, signal: string | null): string =>
  signal ? `was killed by ${signal}` : `exited with code ${code}`;

export class WebInstance implements WebServer {
  readonly id = randomUUID();
  readonly log = new InstanceLog();
  readonly #spec: FunctionSpec;
  readonly #setup: () => Promise<WebHostSetup>;
  #started = false;
  #sandboxed = false;
  #ready = false;
  #alive = false;
  #endReason = '';
  #dir: string | undefined;
  #socketPath = '';
  #port = WEB_PORT;
  #child: ChildProcess | undefined;
  #control: Socket | undefined;
  #agent: http.Agent | undefined;
  #bootstrapPid: number | undefined;
  #bridgePid: number | undefined;
  #identity: SandboxIdentity | undefined;
  #memory = { at: 0, bytes: 0 };
  #requestLogs: LogTarget[] = [];
  #spawned = deferred<number>();
  #listening = deferred<void>();
  #failed = deferred<string>();
  #exited = deferred<void>();
  #gone = deferred<void>();
  #closing: Promise<void> | undefined;

  constructor(spec: FunctionSpec, setup: () => Promise<WebHostSetup>) {
    this.#spec = spec;
    this.#setup = setup;
  }

  get alive(): boolean {
    return this.#alive;
  }

  get endReason(): string {
    return this.#endReason || 'the web server is gone';
  }

  async start(): Promise<InitTimings> {
    if (this.#started) throw new FnError('INTERNAL', 'a web instance starts once');
    this.#started = true;
    const begin = performance.now();
    const deadline = setTimeout(() => this.#failed.resolve('deadline'), this.#spec.initTimeoutMs);
    try {
      const setup = await this.#setup();
      const bootstrap = join(this.#spec.codeDir, BOOTSTRAP_FILE);
      if (!existsSync(bootstrap)) {
        throw new FnError('NOT_LISTENING', `function ${this.#spec.name} has no ${BOOTSTRAP_FILE} in its code folder`);
      }
      // Caught here with a message that names the cause, rather than as a bootstrap that never listens.
      if (await hasCrlfLineEndings(bootstrap)) throw new FnError('NOT_LISTENING', crlfMessage(BOOTSTRAP_FILE));
      await this.#spawn(setup);
      const outcome = await Promise.race([
        this.#listening.promise.then(() => 'listening'),
        this.#failed.promise,
      ]);
      if (outcome === 'listening' && this.#child?.exitCode === null) {
        const spawnedAt = await this.#spawned.promise;
        this.#ready = true;
        this.#alive = true;
        return { pullCodeMs: 0, initRuntimeMs: spawnedAt - begin, initFunctionMs: performance.now() - spawnedAt };
      }
      throw await this.#startError(outcome);
    } catch (error) {
      await this.#collectStartupOutput(error);
      throw error;
    } finally {
      clearTimeout(deadline);
    }
  }

  async invoke(request: InvokeRequest): Promise<string> {
    if (!this.#alive) throw new FnError('USER_PROCESS_EXITED', this.endReason);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const upstream = this.request({
        method: 'POST',
        path: EVENT_INVOKE_PATH,
        headers: {
          ...scfHeaders(this.#spec, request.requestId),
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(request.payload)),
        },
      });
      const onAbort = (): void => {
        // The contract: an aborted invocation leaves the instance unusable; the pool replaces it.
        this.#markGone('the invocation was aborted');
        upstream.destroy();
        reject(request.signal.reason);
      };
      if (request.signal.aborted) return onAbort();
      request.signal.addEventListener('abort', onAbort, { once: true });
      upstream.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_EVENT_RESPONSE_BYTES) {
            upstream.destroy();
            reject(new FnError('RESPONSE_TOO_LARGE', `the function's response is over ${MAX_EVENT_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          request.signal.removeEventListener('abort', onAbort);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', () => undefined);
      });
      upstream.on('error', async () => {
        request.signal.removeEventListener('abort', onAbort);
        if (request.signal.aborted) return;
        const gone = await this.settle(SETTLE_MS);
        reject(new FnError('USER_PROCESS_EXITED', gone ? this.endReason : 'the web server closed the connection without answering /event-invoke'));
      });
      upstream.end(request.payload);
    });
    if (status < 200 || status > 299) {
      throw new FnError('USER_CODE_EXCEPTION', body || `/event-invoke answered HTTP ${status}`);
    }
    // The result must be JSON text: a body that is not JSON becomes a JSON string.
    try {
      JSON.parse(body);
      return body;
    } catch {
      return JSON.stringify(body);
    }
  }

  request(options: RequestOptions): ClientRequest {
    return http.request({ ...options, socketPath: this.#socketPath, agent: options.agent ?? this.#agent });
  }

  attachRequestLog(target: LogTarget): () => void {
    this.#requestLogs.push(target);
    this.log.attach(target);
    return () => {
      const index = this.#requestLogs.lastIndexOf(target);
      if (index < 0) return;
      this.#requestLogs.splice(index, 1);
      // Concurrent requests share one output stream: lines go to the most recent request still in flight.
      const latest = this.#requestLogs.at(-1);
      if (latest) this.log.attach(latest);
      else this.log.detach();
    };
  }

  async settle(ms: number): Promise<boolean> {
    if (!this.#alive) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.#gone.promise, timeout]);
    clearTimeout(timer);
    return !this.#alive;
  }

  memoryUsage(): number {
    const now = Date.now();
    if (now - this.#memory.at < MEMORY_CACHE_MS) return this.#memory.bytes;
    const root = this.#child?.pid;
    // Outside a sandbox the spawned process is the bridge; inside, bwrap is, and its argv names the bridge too.
    if (root !== undefined && this.#bridgePid === undefined) {
      this.#bridgePid = this.#sandboxed ? findDescendant(root, SANDBOX_BRIDGE) : root;
    }
    const bytes = this.#bridgePid === undefined ? 0 : descendantsRss(this.#bridgePid);
    this.#memory = { at: now, bytes };
    return bytes;
  }

  close(reason: InstanceEnd = 'closed'): Promise<void> {
    this.#closing ??= (async () => {
      this.#markGone(`the instance was closed (${reason})`);
      this.#failed.resolve('closed');
      this.#agent?.destroy();
      await this.#stop();
      if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    })();
    return this.#closing;
  }

  /**
   * Ask the bridge to end the server (closing the control channel), so every process is reaped by its
   * own parent; kill the process groups if that does not happen in time.
   */
  async #stop(): Promise<void> {
    if (!this.#child) return;
    this.#control?.end();
    if (await this.#exitedWithin(GRACEFUL_STOP_MS)) return;
    this.#kill();
    await this.#exitedWithin(KILL_WAIT_MS);
    this.#control?.destroy();
  }

  async #exitedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      this.#exited.promise.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return exited;
  }

  async #spawn(setup: WebHostSetup): Promise<void> {
    const sandboxed = setup.sandbox !== undefined;
    this.#sandboxed = sandboxed;
    this.#dir = join(setup.runRoot, this.id.slice(0, 8));
    const hostTmp = join(this.#dir, 'tmp');
    await mkdir(sandboxed ? this.#dir : hostTmp, { recursive: true });
    this.#socketPath = join(this.#dir, SOCKET_NAME);
    const port = sandboxed ? WEB_PORT : await hostPort();
    this.#port = port;
    const [runner] = setup.interpreters;
    if (!runner) throw new FnError('INTERNAL', 'node was not found for the web bridge');
    const bridgePath = ['/usr/local/bin', '/usr/bin', '/bin'].join(':');
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'pipe', 'pipe'];
    let sandboxCommand: string[] = [];
    if (setup.sandbox) {
      this.#identity = allocateIdentity();
      const owner = hostOwner(this.#identity);
      // The bridge, an unprivileged host uid, creates its socket in this folder.
      if (owner !== undefined) await chown(this.#dir, owner, owner);
      sandboxCommand = [...limitPrefix(this.#identity), setup.sandbox.bwrap];
    }
    const child = setup.sandbox
      ? spawn(
          sandboxCommand[0]!,
          [...sandboxCommand.slice(1), ...bwrapArgs({
            identity: this.#identity,
            codeDir: this.#spec.codeDir,
            layerDirs: this.#spec.layerDirs,
            socketDir: this.#dir,
            bridgeScript: setup.bridgeScript,
            interpreters: setup.interpreters,
            hostname: `scf-${this.id.slice(0, 8)}`,
            tmpSizeBytes: setup.sandbox.tmpSizeBytes,
            path: bridgePath,
          })],
          { stdio, detached: true },
        )
      : spawn(runner.binary, [setup.bridgeScript], { stdio, detached: true, cwd: this.#spec.codeDir, env: { PATH: bridgePath } });
    this.#child = child;
    this.#agent = new http.Agent({ keepAlive: true, timeout: FREE_SOCKET_TIMEOUT_MS });
    const write = (line: string): void => this.log.write(line);
    pipeLines(child.stdout!, write);
    pipeLines(child.stderr!, write);
    child.once('error', (error) => {
      this.#failed.resolve(`spawn:${error.message}`);
      this.#markGone(`the sandbox could not start: ${error.message}`);
      this.#exited.resolve();
    });
    child.once('exit', (code, signal) => {
      this.#failed.resolve('exit');
      if (!this.#endReason) this.#endReason = `the web server ${exitText(code, signal)}`;
      if (this.#ready && this.#alive) this.log.write(`[fngate] ${this.endReason}`);
      this.#markGone(this.#endReason);
    });
    child.once('close', () => {
      if (this.#identity) releaseIdentity(this.#identity);
      this.#exited.resolve();
    });
    const control = child.stdio[3] as Socket;
    this.#control = control;
    control.on('error', () => undefined);
    let buffered = '';
    control.setEncoding('utf8');
    control.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        try {
          this.#onBridgeEvent(JSON.parse(line) as BridgeEvent);
        } catch {
          // Not ours: the control channel only carries the bridge's JSON lines.
        }
      }
    });
    const tmpDir = sandboxed ? '/tmp' : hostTmp;
    control.write(
      `${JSON.stringify({
        socketPath: sandboxed ? `${SANDBOX_SOCKET_DIR}/${SOCKET_NAME}` : this.#socketPath,
        port,
        bootstrap: join(sandboxed ? SANDBOX_CODE_ROOT : this.#spec.codeDir, BOOTSTRAP_FILE),
        cwd: sandboxed ? SANDBOX_CODE_ROOT : this.#spec.codeDir,
        env: webEnvironment(this.#spec, { sandboxed, port, tmpDir, interpreters: setup.interpreters }),
        sandboxed,
      })}\n`,
    );
  }

  #onBridgeEvent(message: BridgeEvent): void {
    switch (message.event) {
      case 'spawned':
        this.#bootstrapPid = message.pid;
        this.#spawned.resolve(performance.now());
        break;
      case 'listening':
        // Reachable here through the bridge, but not on SCF, which connects from outside the instance.
        if (message.loopbackOnly) {
          this.log.write(
            `[fngate] warning: the web server listens on ${message.host}:${this.#port} only; SCF requires 0.0.0.0:${WEB_PORT} (or *:${WEB_PORT}) and will not reach it there`,
          );
        }
        this.#listening.resolve();
        break;
      case 'spawn-error':
        this.#endReason = `${BOOTSTRAP_FILE} could not be started: ${message.message}`;
        this.#failed.resolve('exit');
        break;
      case 'refused':
        // The process lives but no longer listens: the instance cannot serve and is replaced.
        if (this.#ready) this.#markGone('the web server stopped listening on its port');
        break;
      case 'exit':
        this.#endReason = `${BOOTSTRAP_FILE} ${exitText(message.code, message.signal)}`;
        this.#failed.resolve('exit');
        break;
    }
  }

  async #startError(outcome: string): Promise<FnError> {
    const port = this.#port;
    if (outcome === 'deadline') {
      return new FnError(
        'INIT_TIMEOUT',
        `the web server of ${this.#spec.name} was still starting after ${this.#spec.initTimeoutMs / 1000}s (initTimeout): it did not listen on port ${port} in time`,
      );
    }
    if (outcome === 'closed') return new FnError('CANCELLED', 'the instance was closed while starting');
    if (outcome.startsWith('spawn:')) return new FnError('INTERNAL', `the web sandbox could not start: ${outcome.slice(6)}`);
    return new FnError('NOT_LISTENING', `${this.endReason} before listening on port ${port}`);
  }

  /** Hand what the bootstrap printed to whoever reports the failed start (its function log). */
  async #collectStartupOutput(error: unknown): Promise<void> {
    // Stopping waits for the process to exit, so its last output is in by then.
    await this.#stop();
    const lines: LogLine[] = [];
    this.log.attach((line) => lines.push(line));
    this.log.detach();
    if (error && typeof error === 'object') startupOutput.set(error, lines);
  }

  #markGone(reason: string): void {
    if (!this.#endReason) this.#endReason = reason;
    this.#alive = false;
    this.#gone.resolve();
  }

  #kill(): void {
    // bwrap (or the bridge) leads its own process group; outside a sandbox the bootstrap leads another.
    for (const pid of [this.#child?.pid, this.#sandboxed ? undefined : this.#bootstrapPid]) {
      if (pid === undefined) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}
