/**
 * The network of a sandbox: bwrap gives every sandbox its own network namespace, and `pasta` (Debian's
 * `passt`) joins it to the host with user-mode networking: outbound TCP, UDP and DNS leave through
 * ordinary sockets of the pasta process on the host, nothing listens for the outside (`-t/-u none`), and
 * no host port appears inside (`-T/-U none`). Addresses are fixed, as slirp4netns's are:
 *
 * | inside the sandbox | is |
 * |---|---|
 * | 10.0.2.100/24 on eth0, default route via 10.0.2.2 | the sandbox itself |
 * | 10.0.2.2 (`host.fngate.internal` in /etc/hosts) | the host's loopback (127.0.0.1, ::1), unless `hostLoopback: false` |
 * | 10.0.2.3 (the only nameserver in /etc/resolv.conf) | the host's resolver, or `dns` from the settings |
 * | 127.0.0.1, `localhost` | the sandbox's own loopback (an SCF instance has its own localhost) |
 *
 * The gateway starts pasta once bwrap has made the namespace (bwrap's `--info-fd` names its pid) and lets
 * the sandboxed command run (`--block-fd`) once pasta has configured the interface (its pid file is
 * written then). pasta belongs to the instance: it is killed when the sandbox exits, with the gateway
 * (`process.on('exit')`), and by the kernel when the gateway is killed (`setpriv --pdeathsig`).
 * Run as root, pasta keeps root's uid (`--runas 0:0`, with only CAP_SYS_ADMIN and CAP_NET_BIND_SERVICE
 * left, in an empty mount namespace): dropping to another uid loses the right to enter a namespace the
 * host's user namespace owns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SANDBOX_SETUP_MS as READY_TIMEOUT_MS } from './limits.ts';

/** What fngate.yml's `gateway.sandboxNetwork` says (config-schema.ts). */
export interface SandboxNetworkSettings {
  /** Whether 10.0.2.2 inside reaches the host's loopback services. @default true */
  hostLoopback: boolean;
  /**
   * The resolver the sandbox's DNS queries go to (the first address; pasta forwards to one); empty: the
   * host's, the first nameserver of its /etc/resolv.conf. Needs root: see pastaCommand. @default []
   */
  dns: string[];
}

export const DEFAULT_SANDBOX_NETWORK: SandboxNetworkSettings = { hostLoopback: true, dns: [] };

export const SANDBOX_ADDRESS = '10.0.2.100';
const SANDBOX_PREFIX_LENGTH = '24';
/** The sandbox's gateway address: pasta maps connections to it onto the host's loopback. */
export const HOST_LOOPBACK_ADDRESS = '10.0.2.2';
/** pasta answers DNS queries to this address with the configured resolver's answers. */
export const SANDBOX_DNS_ADDRESS = '10.0.2.3';
/** The name of HOST_LOOPBACK_ADDRESS inside, as Docker's host.docker.internal. */
export const HOST_ALIAS = 'host.fngate.internal';
const READY_POLL_MS = 5;
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** The files bound over the host's /etc/resolv.conf and /etc/hosts inside a networked sandbox. */
export interface NetworkFiles {
  resolvConf: string;
  hosts: string;
}

interface NetworkHost {
  pasta: string;
  runRoot: string;
  files: Map<boolean, NetworkFiles>;
}

const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'].find((path) => existsSync(path));
const MOUNT = ['/usr/bin/mount', '/bin/mount'].find((path) => existsSync(path));

let resolved: { host: NetworkHost | undefined } | undefined;
let warned = false;

function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`fngate: WARNING: ${message}\n`);
}

/** Whether sandboxes get user-mode networking here (pasta installed, /dev/net/tun present); once per process. */
export function networkHost(): NetworkHost | undefined {
  if (resolved) return resolved.host;
  const pasta = process.env.FNGATE_PASTA ?? ['/usr/bin/pasta', '/usr/local/bin/pasta', '/bin/pasta'].find((path) => existsSync(path));
  if (!pasta || !existsSync('/dev/net/tun')) {
    warnOnce(`${pasta ? '/dev/net/tun is missing' : 'pasta is not installed'}: sandboxed functions have no network beyond their own loopback; install passt (Debian: apt-get install passt)`);
    resolved = { host: undefined };
    return undefined;
  }
  resolved = { host: { pasta, runRoot: mkdtempSync(join(tmpdir(), 'fngate-net-')), files: new Map() } };
  return resolved.host;
}

/** The resolv.conf and hosts a sandbox sees (written once per gateway process, readable by every sandbox user). */
export function networkFiles(host: NetworkHost, settings: SandboxNetworkSettings): NetworkFiles {
  const cached = host.files.get(settings.hostLoopback);
  if (cached) return cached;
  let hosts = '';
  try {
    hosts = readFileSync('/etc/hosts', 'utf8');
  } catch {
    hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost\n';
  }
  if (!hosts.endsWith('\n')) hosts += '\n';
  if (settings.hostLoopback) hosts += `${HOST_LOOPBACK_ADDRESS}\t${HOST_ALIAS}\n`;
  const suffix = settings.hostLoopback ? 'loopback' : 'closed';
  const files = { resolvConf: join(host.runRoot, 'resolv.conf'), hosts: join(host.runRoot, `hosts-${suffix}`) };
  writeFileSync(files.resolvConf, `nameserver ${SANDBOX_DNS_ADDRESS}\n`, { mode: 0o644 });
  writeFileSync(files.hosts, hosts, { mode: 0o644 });
  host.files.set(settings.hostLoopback, files);
  return files;
}

/**
 * pasta's command line for the network namespace open as its fd 3 and, without root (the sandbox then
 * has a user namespace of its own, which owns the network one), that user namespace as its fd 4.
 */
export function pastaArgs(settings: SandboxNetworkSettings, pidFile: string, root = process.getuid?.() === 0): string[] {
  const args = root ? ['--runas', '0:0'] : ['--userns', '/proc/self/fd/4'];
  args.push('--foreground', '--quiet', '--config-net');
  args.push('-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none');
  args.push('-a', SANDBOX_ADDRESS, '-n', SANDBOX_PREFIX_LENGTH, '-g', HOST_LOOPBACK_ADDRESS);
  args.push('--dns-forward', SANDBOX_DNS_ADDRESS);
  if (!settings.hostLoopback) args.push('--no-map-gw');
  args.push('--netns', '/proc/self/fd/3', '--pid', pidFile);
  return args;
}

/**
 * The whole command that runs pasta. pasta (this version) forwards DNS only to the first nameserver of
 * the /etc/resolv.conf it reads (`-D` changes what it advertises, not where it forwards): a configured
 * resolver is shown to it there, in a mount namespace of its own (root only: others keep the host's).
 * setpriv in front makes the kernel kill pasta when the gateway dies, even by SIGKILL; pasta stays uid 0,
 * which keeps that signal.
 */
export function pastaCommand(host: NetworkHost, settings: SandboxNetworkSettings, pidFile: string): string[] {
  let line = [host.pasta, ...pastaArgs(settings, pidFile)];
  const [resolver] = settings.dns;
  if (resolver !== undefined) {
    if (process.getuid?.() === 0 && UNSHARE && MOUNT) {
      const resolvConf = join(host.runRoot, `upstream-${resolver.replaceAll(':', '_')}.conf`);
      writeFileSync(resolvConf, `nameserver ${resolver}\n`, { mode: 0o644 });
      line = [UNSHARE, '--mount', '--propagation', 'private', '/bin/sh', '-c', `${MOUNT} --bind "$0" /etc/resolv.conf && exec "$@"`, resolvConf, ...line];
    } else {
      warnOnce('sandboxNetwork.dns needs the gateway to run as root: sandboxes use the host\'s resolver');
    }
  }
  return SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...line] : line;
}

/** pasta processes alive now that map the host's loopback: the gateway refuses their connections. */
const loopbackPastas = new Set<number>();
const allPastas = new Set<number>();
let exitHook = false;

export function loopbackPastaPids(): ReadonlySet<number> {
  return loopbackPastas;
}

/** One sandbox's pasta. */
export class SandboxLink {
  readonly #child: ChildProcess;
  readonly #pidFile: string;
  readonly #ready: Promise<void>;
  #stderr = '';

  /** Start pasta for the network namespace of `sandboxPid` (bwrap's child, on the host). */
  constructor(host: NetworkHost, sandboxPid: number, settings: SandboxNetworkSettings) {
    this.#pidFile = join(host.runRoot, `${sandboxPid}-${Date.now()}.pid`);
    writeFileSync(this.#pidFile, '', { mode: 0o600 });
    const namespaces = [openSync(`/proc/${sandboxPid}/ns/net`, 'r')];
    try {
      if (process.getuid?.() !== 0) namespaces.push(openSync(`/proc/${sandboxPid}/ns/user`, 'r'));
      const [command, ...args] = pastaCommand(host, settings, this.#pidFile);
      this.#child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe', ...namespaces] });
    } finally {
      for (const fd of namespaces) closeSync(fd);
    }
    const pid = this.#child.pid;
    if (pid !== undefined) {
      allPastas.add(pid);
      if (settings.hostLoopback) loopbackPastas.add(pid);
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => {
          for (const live of allPastas) signal(live);
        });
      }
    }
    this.#child.stderr!.setEncoding('utf8');
    this.#child.stderr!.on('data', (chunk: string) => {
      if (this.#stderr.length < 4096) this.#stderr += chunk;
    });
    this.#child.on('error', () => undefined);
    const exited = new Promise<void>((resolve) => {
      this.#child.once('exit', () => {
        if (pid !== undefined) {
          allPastas.delete(pid);
          loopbackPastas.delete(pid);
        }
        void rm(this.#pidFile, { force: true });
        resolve();
      });
    });
    this.#ready = this.#waitReady(exited);
  }

  /** Resolves once the namespace's interface is configured; rejects with pasta's reason. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  kill(): void {
    if (this.#child.pid !== undefined) signal(this.#child.pid);
  }

  async #waitReady(exited: Promise<void>): Promise<void> {
    let gone = false;
    void exited.then(() => (gone = true));
    const giveUpAt = Date.now() + READY_TIMEOUT_MS;
    while (!gone && Date.now() < giveUpAt) {
      // pasta writes its pid file once the interface, addresses and routes are set up.
      const text = await readFile(this.#pidFile, 'utf8').catch(() => '');
      if (text.trim() !== '') return;
      await sleep(READY_POLL_MS);
    }
    this.kill();
    const why = this.#stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('Failed to send')).join('; ');
    throw new Error(gone ? `pasta exited: ${why || `code ${this.#child.exitCode}`}` : `pasta did not configure the sandbox's network within ${READY_TIMEOUT_MS} ms`);
  }
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Join the sandbox `child` (a bwrap spawned with `--info-fd` on `info` and `--block-fd` on `release`) to
 * the network, then let its command run. Without pasta, or when pasta fails, the command runs anyway,
 * with only its own loopback (one warning). Resolves with the link (undefined without one).
 */
export async function linkSandbox(
  child: ChildProcess,
  info: NodeJS.ReadableStream,
  release: NodeJS.WritableStream,
  settings: SandboxNetworkSettings,
): Promise<SandboxLink | undefined> {
  // Both are sockets of a process that may die at any time (a killed instance): errors only mean that.
  info.on('error', () => undefined);
  release.on('error', () => undefined);
  let link: SandboxLink | undefined;
  try {
    const host = networkHost();
    const sandboxPid = host ? await readChildPid(info) : undefined;
    if (sandboxPid !== undefined) await loopbackSetUp(sandboxPid);
    if (host && sandboxPid !== undefined && child.exitCode === null && child.signalCode === null) {
      link = new SandboxLink(host, sandboxPid, settings);
      child.once('exit', () => link!.kill());
      await link.ready;
    }
  } catch (error) {
    // A sandbox that ended meanwhile (its pasta was killed with it) needs no warning.
    if (child.exitCode === null && child.signalCode === null) warnOnce(`a sandbox runs without network: ${(error as Error).message}`);
  }
  release.end('x');
  return link;
}

/** Longest wait for bwrap to set up a sandbox's loopback (a loaded machine). */
const LOOPBACK_SETUP_WAIT_MS = 5_000;

/**
 * Resolves once bwrap has set up the namespace's loopback: 127.0.0.1 has its local route, so the address
 * is added and lo is up. bwrap does that inside the sandbox after it names the pid; pasta, started at once,
 * brings lo up itself, and the two raced: bwrap's own address request then failed and the sandbox with it
 * ("loopback: Failed RTM_NEWADDR"), seen under CI's load.
 */
async function loopbackSetUp(pid: number): Promise<void> {
  for (const until = Date.now() + LOOPBACK_SETUP_WAIT_MS; Date.now() < until; ) {
    try {
      if (readFileSync(`/proc/${pid}/net/fib_trie`, 'latin1').includes('127.0.0.1')) return;
    } catch {
      return; // The sandbox is gone.
    }
    await sleep(2);
  }
}

/** bwrap writes `{"child-pid": N, …}` to its info fd once the namespaces exist. */
function readChildPid(info: NodeJS.ReadableStream): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    info.setEncoding('utf8');
    info.on('data', (chunk: string) => (text += chunk));
    info.once('end', () => {
      try {
        const pid = (JSON.parse(text) as { 'child-pid'?: unknown })['child-pid'];
        resolve(typeof pid === 'number' ? pid : undefined);
      } catch {
        resolve(undefined);
      }
    });
    info.once('close', () => resolve(undefined));
  });
}
