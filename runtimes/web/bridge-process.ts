/**
 * The gateway's half of a web instance's bridge (bridge.mjs): spawns it (inside bubblewrap, or on the
 * host), speaks its protocol over Node's IPC channel, and turns its events into the instance's state.
 *
 * Connections: the bridge connects to the user's server inside the sandbox's network namespace and hands
 * the connected TCP socket to the gateway (a file descriptor over the IPC channel). Why: relaying every
 * byte through the bridge cost a third process on every request — on one core, ~80 µs of CPU per request
 * and two context switches — while a passed socket costs one IPC round trip
 * per keep-alive connection, and the gateway then talks to the server as directly as a plain reverse proxy.
 */
import { chownSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type Socket } from 'node:net';
import { FnError } from '../../gateway/errors.ts';
import { LineSplitter } from '../subprocess/lines.ts';
import { exitText, MAX_LOG_LINE_CHARS } from '../subprocess/process.ts';
import { WEB_PORT } from './environment.ts';
import { bwrapArgs } from '../sandbox/bwrap.ts';
import { allocateIdentity, hostOwner, releaseIdentity, type SandboxIdentity } from '../sandbox/identity.ts';
import { limitPrefix } from '../sandbox/limits.ts';
import { DEFAULT_SANDBOX_NETWORK, linkSandbox, networkFiles, networkHost, type SandboxNetworkSettings } from '../sandbox/network.ts';
import type { Interpreter } from './interpreters.ts';

export const BOOTSTRAP_FILE = 'scf_bootstrap';

/** What the adapter resolved once for all its instances. */
export interface WebHostSetup {
  sandbox: { bwrap: string; tmpSizeBytes: number | undefined } | undefined;
  interpreters: Interpreter[];
  /** Host folder holding one sub-folder (fallback /tmp, the sandbox's run folder) per instance. */
  runRoot: string;
  bridgeScript: string;
}

/** What the bridge needs to start the server (its environment travels here, not on bwrap's command line). */
export interface BridgeStart {
  port: number;
  bootstrap: string;
  cwd: string;
  env: Record<string, string>;
  sandboxed: boolean;
}

type BridgeEvent =
  | { event: 'spawned'; pid: number }
  | { event: 'listening'; host: string; loopbackOnly?: boolean }
  | { event: 'spawn-error'; message: string }
  | { event: 'refused' }
  | { event: 'exit'; code: number | null; signal: string | null }
  | { event: 'bye' }
  | { event: 'connected'; id: number }
  | { event: 'connect-failed'; id: number; message: string };

export interface BridgeHooks {
  /** A line of the user's output (stdout and stderr). */
  output(line: string): void;
  /** The bootstrap runs; `pid` as the bridge sees it (a host pid without a sandbox). */
  spawned(pid: number): void;
  listening(host: string, loopbackOnly: boolean): void;
  /** The bootstrap could not be started, or exited: why, for messages (`scf_bootstrap exited with code 1`). */
  bootstrapEnded(reason: string): void;
  /** The server process lives but refused a connection: it no longer listens. */
  refused(): void;
  /** The bridge (or the sandbox) exited or could not be spawned; `reason` when that was the cause. */
  exited(reason: string): void;
  /** The bridge process could not be spawned at all. */
  spawnFailed(message: string): void;
}

type ConnectCallback = (error: Error | null, socket?: Socket) => void;

/** The fds on which a sandboxed bridge's bwrap reports its pid and waits for pasta (network.ts). */
const INFO_FD = 4;
const BLOCK_FD = 5;

export class BridgeProcess {
  readonly #child: ChildProcess;
  readonly #hooks: BridgeHooks;
  #pending = new Map<number, ConnectCallback>();
  #nextId = 0;
  #closed: Promise<void>;

  /** Spawn the bridge in `dir` (its working folder without a sandbox) and send it `start`. */
  constructor(options: {
    setup: WebHostSetup;
    codeDir: string;
    layerDirs: string[];
    /** @default DEFAULT_SANDBOX_NETWORK */
    network?: SandboxNetworkSettings;
    dir: string;
    hostname: string;
    start: BridgeStart;
    hooks: BridgeHooks;
  }) {
    const { setup, hooks } = options;
    this.#hooks = hooks;
    const [runner] = setup.interpreters;
    if (!runner) throw new FnError('INTERNAL', 'node was not found for the web bridge');
    const bridgePath = ['/usr/local/bin', '/usr/bin', '/bin'].join(':');
    const stdio: Array<'ignore' | 'pipe' | 'ipc'> = ['ignore', 'pipe', 'pipe', 'ipc'];
    const network = options.network ?? DEFAULT_SANDBOX_NETWORK;
    const netHost = setup.sandbox ? networkHost() : undefined;
    if (netHost) stdio.push('pipe', 'pipe');
    // Sandboxed, the bridge runs as an unprivileged host uid of its own (runtimes/sandbox/identity.ts),
    // under the per-instance process and file caps.
    let identity: SandboxIdentity | undefined;
    let sandboxCommand: string[] = [];
    if (setup.sandbox) {
      identity = allocateIdentity();
      const owner = hostOwner(identity);
      if (owner !== undefined) chownSync(options.dir, owner, owner);
      sandboxCommand = [...limitPrefix(identity), setup.sandbox.bwrap];
    }
    this.#child = setup.sandbox
      ? spawn(
          sandboxCommand[0]!,
          [...sandboxCommand.slice(1), ...bwrapArgs({
            identity,
            codeDir: options.codeDir,
            layerDirs: options.layerDirs,
            socketDir: options.dir,
            bridgeScript: setup.bridgeScript,
            interpreters: setup.interpreters,
            hostname: options.hostname,
            tmpSizeBytes: setup.sandbox.tmpSizeBytes,
            path: bridgePath,
            network: netHost ? { files: networkFiles(netHost, network), infoFd: INFO_FD, blockFd: BLOCK_FD } : undefined,
          })],
          { stdio, detached: true },
        )
      : spawn(runner.binary, [setup.bridgeScript], { stdio, detached: true, cwd: options.codeDir, env: { PATH: bridgePath } });
    const child = this.#child;
    if (netHost && child.pid !== undefined) {
      const extra = child.stdio as unknown as Array<NodeJS.ReadableStream & NodeJS.WritableStream>;
      void linkSandbox(child, extra[INFO_FD]!, extra[BLOCK_FD]!, network);
    }
    for (const stream of [child.stdout!, child.stderr!]) {
      const lines = new LineSplitter(MAX_LOG_LINE_CHARS);
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => lines.push(chunk, hooks.output));
      stream.on('end', () => {
        const rest = lines.flush();
        if (rest) hooks.output(rest);
      });
    }
    // Not the child's 'close' event: after the gateway disconnects the IPC channel, node never emits it.
    const ends = [child.stdout!, child.stderr!].map((stream) => new Promise((resolve) => stream.once('close', resolve)));
    this.#closed = new Promise((resolve) => {
      child.once('exit', () => void Promise.all(ends).then(() => resolve()));
      child.once('error', () => resolve());
    });
    if (identity !== undefined) void this.#closed.then(() => releaseIdentity(identity));
    child.once('error', (error) => {
      hooks.spawnFailed(error.message);
      this.#failPending(error);
    });
    child.once('exit', (code, signal) => {
      hooks.exited(`the web server ${exitText({ code, signal })}`);
      this.#failPending(new Error('the web bridge exited'));
    });
    child.on('message', (message: BridgeEvent, socket?: Socket) => this.#onEvent(message, socket));
    // A dead bridge makes sends fail with EPIPE; the exit handler reports the death, not this.
    child.on('error', () => undefined);
    child.send({ op: 'start', ...options.start });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get hasExited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** Resolves when the bridge exited and its output pipes closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** A new connection to the user's server (http.Agent's createConnection contract). */
  connect(callback: ConnectCallback): void {
    if (!this.#child.connected) return callback(new Error('the web bridge is gone'));
    const id = this.#nextId++;
    this.#pending.set(id, callback);
    this.#child.send({ op: 'connect', id });
  }

  /** Ask the bridge to end the server and exit: it does when its channel closes. */
  stop(): void {
    if (this.#child.connected) this.#child.disconnect();
  }

  /** SIGKILL the spawned process's group (bwrap's, without a sandbox the bridge's) and `extraGroup` (a host pid). */
  kill(extraGroup?: number): void {
    for (const pid of [this.#child.pid, extraGroup]) {
      if (pid === undefined) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  #onEvent(message: BridgeEvent, socket: Socket | undefined): void {
    const hooks = this.#hooks;
    switch (message.event) {
      case 'connected': {
        const callback = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (!socket) callback?.(new Error('the web bridge sent no socket'));
        else if (callback) {
          socket.setNoDelay(true);
          callback(null, socket);
        } else socket.destroy();
        break;
      }
      case 'connect-failed': {
        const callback = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        callback?.(new Error(message.message));
        break;
      }
      case 'spawned':
        hooks.spawned(message.pid);
        break;
      case 'listening':
        hooks.listening(message.host, message.loopbackOnly === true);
        break;
      case 'spawn-error':
        hooks.bootstrapEnded(`${BOOTSTRAP_FILE} could not be started: ${message.message}`);
        break;
      case 'refused':
        hooks.refused();
        break;
      case 'exit':
        hooks.bootstrapEnded(`${BOOTSTRAP_FILE} ${exitText(message)}`);
        break;
      case 'bye':
        break;
    }
  }

  #failPending(error: Error): void {
    for (const callback of this.#pending.values()) callback(error);
    this.#pending.clear();
  }
}

/** 9000 when it is free on the host (unmodified apps work), else any free port (apps must read PORT). */
export function hostPort(): Promise<number> {
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
