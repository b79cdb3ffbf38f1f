/**
 * One function process: spawned with a clean environment in its own process group, a private temp
 * folder as HOME and TMPDIR, stdout/stderr as log lines, fd 3/4 as the message channel (pipe-channel.ts).
 * It knows nothing about functions or invocations; SubprocessInstance and PrewarmPool own it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { sandboxHost } from '../sandbox/host.ts';
import { rlimitPrefix } from '../sandbox/limits.ts';
import { forwardSocket, type PortForward } from '../sandbox/forwards.ts';
import { linkSandbox } from '../sandbox/network.ts';
import { ProcessSandbox, SANDBOX_BLOCK_FD, SANDBOX_INFO_FD, type ProcessSandboxRequest } from '../sandbox/process-sandbox.ts';
import { LineSplitter } from './lines.ts';
import { childrenOf } from './memory.ts';
import { PipeChannel } from './pipe-channel.ts';

/** The PATH a function gets after its interpreter's own folder; never the gateway's PATH. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Output lines kept to explain a crash. */
export const TAIL_LINES = 20;
/** A log line this long is cut, so output without newlines cannot grow without bound. */
export const MAX_LOG_LINE_CHARS = 64 * 1024;
/** How long after exit the rest of the output may take to arrive (grandchildren may hold the pipes). */
export const OUTPUT_DRAIN_MS = 200;

export type OutputStream = 'stdout' | 'stderr';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all. */
  error?: Error;
}

export interface SpawnProcessOptions {
  command: string;
  args: string[];
  /** The function's environment; PATH, HOME and TMPDIR are added unless it sets them itself. */
  env: Record<string, string>;
  /** Folders put before SYSTEM_PATH (the interpreter's own). */
  binDirs?: string[];
  /** @default the temp folder */
  cwd?: string;
  /** Name prefix of the temp folder. */
  label: string;
  /** Spawn through prlimit with this RLIMIT_DATA (runtimes whose process cannot limit itself). */
  dataLimitBytes?: number;
  /**
   * Give the process one pipe for stdout and stderr (through `sh -c 'exec "$@" 2>&1'`, ~1 ms), so the log
   * keeps the order of its lines: two pipes are read independently and interleave arbitrarily.
   * @default false
   */
  mergeStderr?: boolean;
  /**
   * Run inside the function sandbox (runtimes/sandbox/) when this machine has one: the code folder and
   * layers of the function, or none for a pre-warmed spare. Host paths of the code and layers in the
   * command, environment and cwd are translated to /var/user and /opt.
   */
  sandbox?: ProcessSandboxRequest;
  /**
   * TCP ports the runtime speaks to the process over. Sandboxed, they stay inside its network namespace
   * and the gateway's end is `socketPath(port)`; unsandboxed they are host loopback ports, as they were.
   */
  forwards?: PortForward[];
}

/** Whether processes spawned with `sandbox` run in one here (decided once per gateway process). */
export function processesAreSandboxed(): boolean {
  return sandboxHost() !== undefined;
}

/** The environment a process is spawned with: a sane PATH, the temp folder as HOME and TMPDIR, then `env`. */
export function processEnvironment(env: Record<string, string>, tempDir: string, binDirs: string[] = []): Record<string, string> {
  return { PATH: [...binDirs, SYSTEM_PATH].join(':'), HOME: tempDir, TMPDIR: tempDir, ...env };
}

/** The command line, through sh when stderr joins stdout, through prlimit when a data limit is asked for. */
export function wrappedCommand(command: string, args: string[], options: { dataLimitBytes?: number; mergeStderr?: boolean }): [string, string[]] {
  let line = [command, ...args];
  if (options.mergeStderr) line = ['/bin/sh', '-c', 'exec "$@" 2>&1', 'sh', ...line];
  line = [...rlimitPrefix({ dataBytes: options.dataLimitBytes }), ...line];
  return [line[0]!, line.slice(1)];
}

/** How a process ended, for messages: `exited with code 1`, `was killed by SIGKILL`. */
export function exitText(info: { code: number | null; signal: string | null }): string {
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}

export class FunctionProcess {
  readonly pid: number;
  readonly tempDir: string;
  readonly channel: PipeChannel;
  /** The sandbox the process runs in; undefined when it runs unsandboxed. */
  readonly sandbox: ProcessSandbox | undefined;
  #child: ChildProcess;
  #tail: string[] = [];
  #onOutput: ((line: string, stream: OutputStream) => void) | undefined;
  #splitters = { stdout: new LineSplitter(MAX_LOG_LINE_CHARS), stderr: new LineSplitter(MAX_LOG_LINE_CHARS) };
  #exited: Promise<ExitInfo>;
  #exitInfo: ExitInfo | undefined;
  #closing: Promise<void> | undefined;
  /** Resolves once the sandbox's network is set up and its command runs (at once without a sandbox). */
  readonly networkReady: Promise<void>;
  #networkPending = false;

  /** Spawn a process; resolves once it runs (rejects only if its temp folder cannot be made). */
  static async spawn(options: SpawnProcessOptions): Promise<FunctionProcess> {
    const tempDir = await mkdtemp(join(tmpdir(), `fngate-${options.label}-`));
    const host = options.sandbox ? sandboxHost() : undefined;
    if (!host || !options.sandbox) {
      const line = wrappedCommand(options.command, options.args, options);
      return new FunctionProcess(line, options.cwd ?? tempDir, processEnvironment(options.env, tempDir, options.binDirs), tempDir, undefined);
    }
    const sandbox = new ProcessSandbox(host, options.sandbox);
    try {
      const line = await sandbox.wrap({
        ...options,
        env: processEnvironment(options.env, tempDir, options.binDirs),
        cwd: options.cwd ?? tempDir,
        tempDir,
      });
      return new FunctionProcess(line, tempDir, {}, tempDir, sandbox);
    } catch (error) {
      await sandbox.release();
      throw error;
    }
  }

  private constructor(line: [string, string[]], cwd: string, env: Record<string, string>, tempDir: string, sandbox: ProcessSandbox | undefined) {
    this.tempDir = tempDir;
    this.sandbox = sandbox;
    const [command, args] = line;
    const networked = sandbox?.networked === true;
    this.#child = spawn(command, args, {
      cwd,
      env,
      // Own process group (setsid), so a timeout or crash kills user subprocesses too: kill(-pid).
      detached: true,
      // A networked sandbox reports its pid and waits for pasta on two more fds (network.ts).
      stdio: networked ? ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.pid = this.#child.pid ?? -1;
    const stdio = this.#child.stdio;
    if (networked && this.pid >= 0) {
      const extra = stdio as unknown as Array<Readable & Writable>;
      this.#networkPending = true;
      this.networkReady = linkSandbox(this.#child, extra[SANDBOX_INFO_FD]!, extra[SANDBOX_BLOCK_FD]!, sandbox.network).then(() => {
        this.#networkPending = false;
      });
    } else {
      this.networkReady = Promise.resolve();
    }
    this.channel = new PipeChannel(stdio[3] as Readable, stdio[4] as Writable);
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = this.#child[stream]!;
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => this.#splitters[stream].push(chunk, (line) => this.#line(line, stream)));
    }
    this.#exited = new Promise<ExitInfo>((resolve) => {
      this.#child.on('error', (error) => {
        // Spawning failed (no such interpreter): there will be no exit event. Later errors (none are
        // expected: fngate signals the group itself) must not go unhandled.
        if (this.pid >= 0 || this.#exitInfo) return;
        this.#exitInfo = { code: null, signal: null, error };
        resolve(this.#exitInfo);
      });
      this.#child.once('exit', (code, signal) => {
        // Children of the process may outlive it and hold the group; the function ended, so do they.
        this.kill();
        void this.#drained().then(() => {
          this.flushOutput();
          this.#exitInfo = { code, signal };
          resolve(this.#exitInfo);
        });
      });
    });
  }

  /** Whether the sandbox still waits for its network (its command has not started yet). */
  get networkPending(): boolean {
    return this.#networkPending;
  }

  /** The gateway's end of a forwarded port (SpawnProcessOptions.forwards): a Unix socket; undefined unsandboxed. */
  socketPath(port: number): string | undefined {
    return this.sandbox ? forwardSocket(this.tempDir, port) : undefined;
  }

  /** Resolves after the process exited and its remaining output was delivered. */
  get exited(): Promise<ExitInfo> {
    return this.#exited;
  }

  get hasExited(): boolean {
    return this.#exitInfo !== undefined || this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** The last output lines, oldest first. */
  get tail(): readonly string[] {
    return this.#tail;
  }

  /** Where output lines go; until set they are only kept in the tail. */
  onOutput(handler: (line: string, stream: OutputStream) => void): void {
    this.#onOutput = handler;
  }

  /** Deliver partial lines now (end of an invocation: a print without newline belongs to it). */
  flushOutput(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#splitters[stream].flush();
      if (rest !== undefined) this.#line(rest, stream);
    }
  }

  /**
   * SIGKILL the whole process group, and the direct children that left it: a sandbox's init (bwrap's pid 1
   * of the instance, in a session of its own), whose end takes its pid namespace with it. bwrap's
   * parent-death signal alone was seen to miss it under load, leaving it and the interpreter orphaned.
   */
  kill(): void {
    if (this.pid < 0) return;
    for (const [pid, group] of [...childrenOf(this.pid).map((child) => [child, false] as const), [this.pid, true] as const]) {
      try {
        process.kill(group ? -pid : pid, 'SIGKILL');
      } catch {
        // ESRCH: already gone.
      }
    }
  }

  /** Kill the process tree, wait for its exit (briefly), remove the temp folder. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.kill();
      await Promise.race([this.#exited, new Promise((resolve) => setTimeout(resolve, OUTPUT_DRAIN_MS * 2).unref())]);
      // Our pipe ends go too: they would keep the gateway's event loop alive, and a process the kill missed
      // (a sandbox's init cloned as the signal went out) reads end-of-file on its channel and exits.
      for (const stream of this.#child.stdio) stream?.destroy();
      await this.sandbox?.release();
      await rm(this.tempDir, { recursive: true, force: true }).catch(() => {});
    })();
    return this.#closing;
  }

  #line(line: string, stream: OutputStream): void {
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    this.#onOutput?.(line, stream);
  }

  #drained(): Promise<void> {
    // fd 3 too: a last message (a fatal error report) must be read before the exit is acted on.
    const streams = [this.#child.stdout!, this.#child.stderr!, this.#child.stdio[3] as Readable];
    const open = streams.filter((stream) => !stream.readableEnded && !stream.destroyed);
    if (open.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, OUTPUT_DRAIN_MS);
      timer.unref();
      let pending = open.length;
      for (const stream of open) {
        stream.once('close', () => {
          if (--pending === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
      }
    });
  }
}
