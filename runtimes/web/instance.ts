/**
 * One instance of a web function: the user's own HTTP server, started by `scf_bootstrap` inside a
 * bubblewrap sandbox (or, without namespaces, on a host port) by the bridge (bridge-process.ts). The
 * gateway's web route proxies HTTP through `request`, over keep-alive connections the bridge hands over;
 * `invoke` is the image-style event path (event-invoke.ts).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import http, { type ClientRequest, type RequestOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { join } from 'node:path';
import { FnError } from '../../gateway/errors.ts';
import { SANDBOX_CODE_ROOT } from '../env.ts';
import { InstanceLog, type LogLine, type LogTarget } from '../instance-log.ts';
import { crlfMessage, hasCrlfLineEndings } from '../subprocess/executable.ts';
import { childrenOf, findDescendant, readTreeRss } from '../subprocess/memory.ts';
import type { FunctionSpec, InitTimings, InstanceEnd, InvokeRequest } from '../runtime.ts';
import { BOOTSTRAP_FILE, BridgeProcess, hostPort, type WebHostSetup } from './bridge-process.ts';
import { WEB_PORT, webEnvironment } from './environment.ts';
import { invokeEvent } from './event-invoke.ts';
import { SANDBOX_BRIDGE } from '../sandbox/bwrap.ts';
import { SANDBOX_SETUP_MS } from '../sandbox/limits.ts';
import { keepStartupLog, markWebServer, type WebServer } from './server.ts';
import { loadUpstreamPool, type UpstreamPool } from './upstream-pool.ts';

export { BOOTSTRAP_FILE, type WebHostSetup } from './bridge-process.ts';
export { EVENT_INVOKE_PATH } from './event-invoke.ts';
export { isWebServer, startupLogOf, type WebServer } from './server.ts';

/** How long a failed exchange waits to learn whether the server is gone (439 and replace) or only hung up. */
export const SETTLE_MS = 300;
/** How long a closing instance lets the bridge end the server before killing the process groups. */
const GRACEFUL_STOP_MS = 1500;
/** How long it then waits for the killed processes to be gone. */
const KILL_WAIT_MS = 2000;
/** memoryUsage() walks /proc; the pool asks often, so the figure is reused for this long. */
const MEMORY_CACHE_MS = 1000;
/**
 * Idle keep-alive connections to the server are dropped after this long, before common servers drop
 * them (Node's default keepAliveTimeout is 5 s): reusing one the server is closing fails the request.
 */
const FREE_SOCKET_TIMEOUT_MS = 4000;

/** An agent whose connections come from the bridge (already connected, inside the sandbox's network). */
class BridgeAgent extends http.Agent {
  readonly #bridge: BridgeProcess;

  constructor(bridge: BridgeProcess, options: http.AgentOptions) {
    super(options);
    this.#bridge = bridge;
  }

  override createConnection(_options: http.ClientRequestArgs, callback?: (error: Error | null, socket: Duplex) => void): undefined {
    // Node's Agent always passes the callback; the socket arrives through it.
    this.#bridge.connect((error, socket) => callback?.(error, socket as Duplex));
    return undefined;
  }
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
  #port = WEB_PORT;
  #bridge: BridgeProcess | undefined;
  #agent: http.Agent | undefined;
  #freshAgent: http.Agent | undefined;
  #pool: UpstreamPool | undefined;
  #bootstrapPid: number | undefined;
  #bridgePid: number | undefined;
  #memory = { at: 0, bytes: 0 };
  #requestLogs: LogTarget[] = [];
  #spawnedAt = deferred<number>();
  #deadline: NodeJS.Timeout | undefined;
  #startSettled = false;
  #listening = deferred<void>();
  #failed = deferred<string>();
  #gone = deferred<void>();
  #closing: Promise<void> | undefined;

  constructor(spec: FunctionSpec, setup: () => Promise<WebHostSetup>) {
    this.#spec = spec;
    this.#setup = setup;
    markWebServer(this);
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
    this.#armDeadline(this.#spec.initTimeoutMs + SANDBOX_SETUP_MS);
    // Loaded while the server starts (the first instance only: then it is cached).
    const makePool = loadUpstreamPool();
    try {
      const setup = await this.#setup();
      const bootstrap = join(this.#spec.codeDir, BOOTSTRAP_FILE);
      if (!existsSync(bootstrap)) {
        throw new FnError('NOT_LISTENING', `function ${this.#spec.name} has no ${BOOTSTRAP_FILE} in its code folder`);
      }
      // Caught here with a message that names the cause, rather than as a bootstrap that never listens.
      if (await hasCrlfLineEndings(bootstrap)) throw new FnError('NOT_LISTENING', crlfMessage(BOOTSTRAP_FILE));
      await this.#spawn(setup);
      const outcome = await Promise.race([this.#listening.promise.then(() => 'listening'), this.#failed.promise]);
      if (outcome === 'listening' && !this.#bridge!.hasExited) {
        const spawnedAt = await this.#spawnedAt.promise;
        const bridge = this.#bridge!;
        this.#pool = (await makePool)((callback) => bridge.connect(callback), FREE_SOCKET_TIMEOUT_MS);
        this.#ready = true;
        this.#alive = true;
        return { pullCodeMs: 0, initRuntimeMs: spawnedAt - begin, initFunctionMs: performance.now() - spawnedAt };
      }
      throw this.#startError(outcome);
    } catch (error) {
      await this.#collectStartupOutput(error);
      throw error;
    } finally {
      this.#startSettled = true;
      clearTimeout(this.#deadline);
    }
  }

  /** initTimeout, counted again once the bootstrap runs: the sandbox's setup (its network) is the platform's time. */
  #armDeadline(ms = this.#spec.initTimeoutMs): void {
    clearTimeout(this.#deadline);
    if (this.#startSettled) return;
    this.#deadline = setTimeout(() => this.#failed.resolve('deadline'), ms);
  }

  invoke(request: InvokeRequest): Promise<string> {
    if (!this.#alive) return Promise.reject(new FnError('USER_PROCESS_EXITED', this.endReason));
    // The contract: an aborted invocation leaves the instance unusable; the pool replaces it.
    return invokeEvent(this, this.#spec, request, () => this.#markGone('the invocation was aborted'));
  }

  request(options: RequestOptions, fresh = false): ClientRequest {
    // The caller's object is its own: no copy per request.
    options.agent = fresh ? this.#freshAgent : this.#agent;
    return http.request(options);
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): void {
    const pool = this.#pool;
    if (pool === undefined || pool.destroyed) handler.onError!(new FnError('USER_PROCESS_EXITED', this.endReason));
    else pool.dispatch(options, handler);
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

  async settle(ms = SETTLE_MS): Promise<boolean> {
    if (!this.#alive) return true;
    await Promise.race([this.#gone.promise, sleep(ms)]);
    return !this.#alive;
  }

  /** RSS of the user's processes: everything under the bridge (its own ~40 MB is not the function's). */
  memoryUsage(): number {
    const now = Date.now();
    if (now - this.#memory.at < MEMORY_CACHE_MS) return this.#memory.bytes;
    const root = this.#bridge?.pid;
    // Outside a sandbox the spawned process is the bridge; inside, bwrap is, and its argv names the bridge.
    if (root !== undefined && this.#bridgePid === undefined) {
      this.#bridgePid = this.#sandboxed ? findDescendant(root, SANDBOX_BRIDGE) : root;
    }
    const bytes = this.#bridgePid === undefined ? 0 : childrenOf(this.#bridgePid).reduce((sum, pid) => sum + readTreeRss(pid), 0);
    this.#memory = { at: now, bytes };
    return bytes;
  }

  close(reason: InstanceEnd = 'closed'): Promise<void> {
    this.#closing ??= (async () => {
      this.#markGone(`the instance was closed (${reason})`);
      this.#failed.resolve('closed');
      this.#agent?.destroy();
      this.#freshAgent?.destroy();
      this.#pool?.destroy().catch(() => undefined);
      await this.#stop();
      if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    })();
    return this.#closing;
  }

  /**
   * Ask the bridge to end the server (closing its channel), so every process is reaped by its own
   * parent; kill the process groups if that does not happen in time.
   */
  async #stop(): Promise<void> {
    const bridge = this.#bridge;
    if (!bridge) return;
    bridge.stop();
    if (await this.#closedWithin(bridge, GRACEFUL_STOP_MS)) return;
    this.#kill(bridge);
    await this.#closedWithin(bridge, KILL_WAIT_MS);
  }

  /**
   * SIGKILL every process of the instance. Outside a sandbox: the bridge's group and the bootstrap's.
   * Inside: bwrap's group and the bridge's, which is the sandbox's pid 1, so its end takes the whole pid
   * namespace with it. Killing bwrap alone does not reach it: switching to the sandbox's uid cleared the
   * parent-death signal `--die-with-parent` had set.
   */
  #kill(bridge: BridgeProcess): void {
    const root = bridge.pid;
    if (this.#sandboxed && root !== undefined) this.#bridgePid ??= findDescendant(root, SANDBOX_BRIDGE);
    bridge.kill(this.#sandboxed ? this.#bridgePid : this.#bootstrapPid);
  }

  async #closedWithin(bridge: BridgeProcess, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      bridge.closed.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return closed;
  }

  async #spawn(setup: WebHostSetup): Promise<void> {
    const sandboxed = setup.sandbox !== undefined;
    this.#sandboxed = sandboxed;
    this.#dir = join(setup.runRoot, this.id.slice(0, 8));
    const hostTmp = join(this.#dir, 'tmp');
    await mkdir(sandboxed ? this.#dir : hostTmp, { recursive: true });
    const port = sandboxed ? WEB_PORT : await hostPort();
    this.#port = port;
    const codeDir = sandboxed ? SANDBOX_CODE_ROOT : this.#spec.codeDir;
    const bridge = new BridgeProcess({
      setup,
      codeDir: this.#spec.codeDir,
      layerDirs: this.#spec.layerDirs,
      network: this.#spec.sandboxNetwork,
      dir: this.#dir,
      hostname: `scf-${this.id.slice(0, 8)}`,
      start: {
        port,
        bootstrap: join(codeDir, BOOTSTRAP_FILE),
        cwd: codeDir,
        env: webEnvironment(this.#spec, { sandboxed, port, tmpDir: sandboxed ? '/tmp' : hostTmp, interpreters: setup.interpreters }),
        sandboxed,
      },
      hooks: {
        output: (line) => this.log.write(line),
        spawned: (pid) => {
          this.#bootstrapPid = pid;
          this.#spawnedAt.resolve(performance.now());
          this.#armDeadline();
        },
        listening: (host, loopbackOnly) => {
          // Reachable here through the bridge, but not on SCF, which connects from outside the instance.
          if (loopbackOnly) {
            this.log.write(
              `[fngate] warning: the web server listens on ${host}:${this.#port} only; SCF requires 0.0.0.0:${WEB_PORT} (or *:${WEB_PORT}) and will not reach it there`,
            );
          }
          this.#listening.resolve();
        },
        bootstrapEnded: (reason) => {
          this.#endReason = reason;
          this.#failed.resolve('exit');
        },
        refused: () => {
          // The process lives but no longer listens: the instance cannot serve and is replaced.
          if (this.#ready) this.#markGone('the web server stopped listening on its port');
        },
        exited: (reason) => {
          this.#failed.resolve('exit');
          if (!this.#endReason) this.#endReason = reason;
          if (this.#ready && this.#alive) this.log.write(`[fngate] ${this.endReason}`);
          this.#markGone(this.#endReason);
        },
        spawnFailed: (message) => {
          this.#failed.resolve(`spawn:${message}`);
          this.#markGone(`the sandbox could not start: ${message}`);
        },
      },
    });
    this.#bridge = bridge;
    this.#agent = new BridgeAgent(bridge, { keepAlive: true, timeout: FREE_SOCKET_TIMEOUT_MS });
    this.#freshAgent = new BridgeAgent(bridge, { keepAlive: false });
  }

  #startError(outcome: string): FnError {
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
    // A server that never served has nothing to finish, and its caller is waiting for the answer: killed
    // at once rather than stopped gracefully. Waiting for the exit means its last output is in by then.
    const bridge = this.#bridge;
    if (bridge) {
      this.#kill(bridge);
      await this.#closedWithin(bridge, KILL_WAIT_MS);
    }
    const lines: LogLine[] = [];
    this.log.attach((line) => lines.push(line));
    this.log.detach();
    keepStartupLog(error, lines);
  }

  #markGone(reason: string): void {
    if (!this.#endReason) this.#endReason = reason;
    this.#alive = false;
    this.#gone.resolve();
  }
}
