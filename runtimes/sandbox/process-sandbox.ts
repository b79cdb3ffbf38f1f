/**
 * The sandbox of one function process (Python, PHP, Java, Go, custom runtimes, Node.js process mode):
 * the bwrap command line around the runtime's command, and the translation of host paths (the code
 * folder, layers) into what the function sees (/var/user, /opt). The process has a network namespace of
 * its own, joined to the host by pasta (network.ts) once bwrap has made it.
 */
import { realpathSync, statSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { FnError } from '../../gateway/errors.ts';
import { SANDBOX_CODE_ROOT } from '../env.ts';
import { sandboxArgs, SANDBOX_LAYER_ROOT } from './bwrap.ts';
import { CodeSlot } from './code-slot.ts';
import type { SandboxHost } from './host.ts';
import { allocateIdentity, hostOwner, releaseIdentity, type SandboxIdentity } from './identity.ts';
import { rlimitPrefix, sandboxRlimits } from './limits.ts';
import { forwardScript, type PortForward } from './forwards.ts';
import { DEFAULT_SANDBOX_NETWORK, networkFiles, networkHost, type SandboxNetworkSettings } from './network.ts';

/** The fds of a sandboxed process on which bwrap reports its pid and waits for its network (network.ts). */
export const SANDBOX_INFO_FD = 5;
export const SANDBOX_BLOCK_FD = 6;

/** Host folders every sandbox shows anyway (bwrap.ts): binaries there need no extra mount. */
const SYSTEM_PREFIXES = ['/usr/', '/bin/', '/sbin/', '/lib/', '/lib64/', '/etc/'];

export interface ProcessSandboxRequest {
  /** The function's code folder; absent for a pre-warmed spare (attachCode later). */
  codeDir?: string;
  layerDirs?: string[];
  /** @default DEFAULT_SANDBOX_NETWORK */
  network?: SandboxNetworkSettings;
}

export interface SandboxedCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Working folder inside the sandbox (host path; translated). */
  cwd: string;
  /** The process's private host folder (HOME, TMPDIR): shown read-write at the same path. */
  tempDir: string;
  mergeStderr?: boolean;
  dataLimitBytes?: number;
  /** TCP ports of the function joined to Unix sockets in `tempDir` (forwards.ts). */
  forwards?: readonly PortForward[];
}

/** An interpreter in `<prefix>/bin/` needs its whole prefix (Python's lib/, a JDK's lib/). */
function interpreterPrefix(command: string): string {
  try {
    const real = realpathSync(command);
    const folder = dirname(real);
    return folder.endsWith('/bin') ? dirname(folder) : real;
  } catch {
    return command;
  }
}

const under = (path: string, root: string): boolean => path === root || path.startsWith(`${root}/`);

/**
 * With its own unprivileged uid (the gateway runs as root) the function reads its code and layers as
 * "others": a folder without o+rx (a mkdtemp folder, a project under /root) would fail later as an EACCES
 * from inside the sandbox; say what to do instead.
 */
export function assertReadableBySandbox(identity: SandboxIdentity, dirs: readonly string[]): void {
  if (identity.kind !== 'host-id') return;
  for (const dir of dirs) {
    let mode: number;
    try {
      mode = statSync(dir).mode;
    } catch {
      continue; // a missing folder is reported by the runtime as it always was
    }
    if ((mode & 0o005) !== 0o005) {
      throw new FnError(
        'USER_CODE_LOAD_ERROR',
        `the function's folder ${dir} (mode ${(mode & 0o777).toString(8)}) cannot be read by its sandbox, which runs as an unprivileged user: make it readable, e.g. chmod -R o+rX ${dir}`,
      );
    }
  }
}

export class ProcessSandbox {
  readonly identity: SandboxIdentity;
  #host: SandboxHost;
  #codeDir: string | undefined;
  #layerDirs: string[];
  #slot: CodeSlot | undefined;
  readonly network: SandboxNetworkSettings;
  /** Whether the command line waits for pasta (SANDBOX_INFO_FD, SANDBOX_BLOCK_FD): see network.ts's linkSandbox. */
  readonly networked: boolean;

  constructor(host: SandboxHost, request: ProcessSandboxRequest) {
    this.#host = host;
    this.identity = allocateIdentity();
    this.#codeDir = request.codeDir;
    this.#layerDirs = request.layerDirs ?? [];
    this.network = request.network ?? DEFAULT_SANDBOX_NETWORK;
    this.networked = networkHost() !== undefined;
    try {
      assertReadableBySandbox(this.identity, [...(request.codeDir === undefined ? [] : [request.codeDir]), ...this.#layerDirs]);
    } catch (error) {
      releaseIdentity(this.identity);
      throw error;
    }
    if (request.codeDir === undefined) this.#slot = CodeSlot.create();
  }

  /**
   * Whether a function can be moved into this (spare) sandbox: it has an empty slot, the function no
   * layers, and the same network settings.
   */
  canAdopt(layerDirs: string[], network: SandboxNetworkSettings = DEFAULT_SANDBOX_NETWORK): boolean {
    const sameNetwork = network.hostLoopback === this.network.hostLoopback && network.dns.join() === this.network.dns.join();
    return this.#slot !== undefined && this.#codeDir === undefined && layerDirs.length === 0 && sameNetwork;
  }

  /** Mount the function's code at /var/user of this running spare. */
  async attachCode(codeDir: string): Promise<void> {
    if (!this.#slot) throw new Error('this sandbox has no code slot');
    assertReadableBySandbox(this.identity, [codeDir]);
    await this.#slot.attach(codeDir);
    this.#codeDir = codeDir;
  }

  /** `text` with the host paths of the code and layers replaced by the sandbox's own. */
  visible(text: string): string {
    let out = text;
    if (this.#codeDir) out = out.replaceAll(this.#codeDir, SANDBOX_CODE_ROOT);
    for (const layer of this.#layerDirs) out = out.replaceAll(layer, SANDBOX_LAYER_ROOT);
    return out;
  }

  visibleEnv(env: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, this.visible(value)]));
  }

  /** The command line that runs `spec` inside this sandbox. The caller owns `tempDir`. */
  async wrap(spec: SandboxedCommand): Promise<[string, string[]]> {
    const owner = hostOwner(this.identity);
    if (owner !== undefined) await chown(spec.tempDir, owner, owner);
    const inner = [this.visible(spec.command), ...spec.args.map((arg) => this.visible(arg))];
    const command =
      spec.forwards && spec.forwards.length > 0
        ? ['/bin/sh', '-c', forwardScript(spec.forwards, spec.tempDir, spec.mergeStderr === true), 'sh', ...inner]
        : spec.mergeStderr
          ? ['/bin/sh', '-c', 'exec "$@" 2>&1', 'sh', ...inner]
          : inner;
    const readOnly = this.#hostFiles([interpreterPrefix(spec.command), ...spec.args]).map((path): [string, string] => [path, path]);
    const args = sandboxArgs({
      identity: this.identity,
      hostname: 'scf',
      network: this.networked
        ? { files: networkFiles(networkHost()!, this.network), infoFd: SANDBOX_INFO_FD, blockFd: SANDBOX_BLOCK_FD }
        : undefined,
      commandIsPid1: false,
      codeDir: this.#slot?.path ?? this.#codeDir,
      layerDirs: this.#layerDirs,
      interpreters: [],
      tmpSizeBytes: this.#host.tmpSizeBytes,
      readOnly,
      writable: [[spec.tempDir, spec.tempDir]],
      env: this.visibleEnv(spec.env),
      cwd: this.visible(spec.cwd),
      command,
    });
    const limits = rlimitPrefix({ ...sandboxRlimits(this.identity), dataBytes: spec.dataLimitBytes });
    const line = [...limits, this.#host.bwrap, ...args];
    return [line[0]!, line.slice(1)];
  }

  async release(): Promise<void> {
    releaseIdentity(this.identity);
    await this.#slot?.release();
  }

  /**
   * Host folders the command needs that the sandbox does not show anyway: the interpreter's install
   * outside /usr, the runtime's shim script or jar (shown with its folder).
   */
  #hostFiles(words: string[]): string[] {
    const folders = new Set<string>();
    for (const word of words) {
      if (!isAbsolute(word)) continue;
      let real: string;
      try {
        real = realpathSync(word);
      } catch {
        continue;
      }
      if (SYSTEM_PREFIXES.some((prefix) => real.startsWith(prefix))) continue;
      if (this.#codeDir && under(real, this.#codeDir)) continue;
      if (this.#layerDirs.some((layer) => under(real, layer))) continue;
      folders.add(word === real && statSync(real).isDirectory() ? real : dirname(real));
    }
    return [...folders].filter((folder, _, all) => !all.some((outer) => outer !== folder && under(folder, outer)));
  }
}
