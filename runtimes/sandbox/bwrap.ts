/**
 * The bubblewrap sandbox of every function instance outside an isolate (web functions, Python, PHP, Java,
 * Go, custom runtimes, Node.js process mode): its own pid namespace (the whole process tree ends with the
 * instance, whatever double-forks), mount view (the code read-only at /var/user, layers under /opt, a
 * private size-capped /tmp, the host interpreters at their SCF paths, host system folders read-only;
 * no data dir, no other function, no /root), an unprivileged user (identity.ts) and its own network
 * namespace (every instance can listen on any port; pasta gives it outbound networking: network.ts). The
 * command line is built by pure functions so it can be read and tested.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SANDBOX_CODE_ROOT } from '../env.ts';
import type { Interpreter } from '../web/interpreters.ts';
import { identityFlags, identityPrefix, type SandboxIdentity } from './identity.ts';
import type { NetworkFiles } from './network.ts';

/** The probe runs as the gateway would: without a user namespace when root. */
const allocateProbeIdentity = (): SandboxIdentity =>
  process.getuid?.() === 0 ? { kind: 'host-id', hostId: 0, setpriv: '' } : { kind: 'userns' };

/** Where the bridge script and the instance's socket folder appear inside the sandbox. */
export const SANDBOX_RUNTIME_DIR = '/var/runtime/fngate';
export const SANDBOX_BRIDGE = `${SANDBOX_RUNTIME_DIR}/bridge.mjs`;
export const SANDBOX_SOCKET_DIR = `${SANDBOX_RUNTIME_DIR}/run`;
export const SANDBOX_LAYER_ROOT = '/opt';
/** Host system folders shown read-only; /usr and /etc hold the interpreters, libraries, certificates, php.ini. */
const SYSTEM_DIRS = ['/usr', '/etc'];
/** Top-level links of merged-/usr systems (or real folders on older ones). */
const SYSTEM_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** Namespaces every sandbox gets; the user namespace and the network one depend on the plan. */
const NAMESPACE_FLAGS = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session'];
/** Host files never shown even though their folder is (root-only secrets under /etc). */
const MASKED_FILES = ['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-', '/etc/sudoers'];

export interface SandboxPlan {
  codeDir: string;
  layerDirs: string[];
  /** Host folder bound read-write at SANDBOX_SOCKET_DIR: the bridge's Unix socket lives there. */
  socketDir: string;
  /** Host path of bridge.mjs. */
  bridgeScript: string;
  /** The interpreters to link under /var/lang; the first one runs the bridge. */
  interpreters: Interpreter[];
  hostname: string;
  /** Undefined when this bwrap has no `--size` (before 0.7): /tmp is then an uncapped tmpfs. */
  tmpSizeBytes: number | undefined;
  /** PATH of the bridge process (the function's own environment travels over the control channel). */
  path: string;
  /** @default a user namespace (the gateway's own uid outside) */
  identity?: SandboxIdentity;
  /** How the sandbox's namespace gets joined to pasta; absent: loopback only. */
  network?: SandboxNetworkPlan;
}

/** The bwrap side of a sandbox's network (network.ts does the rest). */
export interface SandboxNetworkPlan {
  files: NetworkFiles;
  /** bwrap writes the sandbox's pid there (`--info-fd`) … */
  infoFd: number;
  /** … and waits for a byte there (`--block-fd`) before running the command: pasta is ready then. */
  blockFd: number;
}

/** What any sandbox is made of; web functions and subprocess runtimes fill it differently. */
export interface SandboxView {
  identity: SandboxIdentity;
  hostname: string;
  /** Joined to the host by pasta once bwrap made the namespace; absent: loopback only. */
  network?: SandboxNetworkPlan;
  /** The command is pid 1 itself (it reaps its own children), instead of bwrap's small init. */
  commandIsPid1: boolean;
  /** Host folder shown read-only at /var/user; undefined leaves /var/user an empty folder. */
  codeDir: string | undefined;
  layerDirs: string[];
  interpreters: Interpreter[];
  tmpSizeBytes: number | undefined;
  /** Host paths shown read-only: [host, inside] (the runtime's shim, an interpreter outside /usr). */
  readOnly?: Array<[string, string]>;
  /** Host folders shown read-write: [host, inside]. */
  writable?: Array<[string, string]>;
  env: Record<string, string>;
  cwd: string;
  command: string[];
}

/** Mount steps for /opt: later layers replace earlier ones' files, folders present in several are merged. */
export type LayerMount = { kind: 'dir'; target: string } | { kind: 'bind'; source: string; target: string };

const isDir = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

export function layerMounts(layerDirs: string[], target = SANDBOX_LAYER_ROOT): LayerMount[] {
  const names = new Map<string, string[]>();
  for (const dir of layerDirs) {
    for (const name of readdirSync(dir)) {
      const holders = names.get(name) ?? [];
      holders.push(join(dir, name));
      names.set(name, holders);
    }
  }
  const mounts: LayerMount[] = [];
  for (const [name, holders] of [...names].sort(([a], [b]) => a.localeCompare(b))) {
    // Extracting layers in binding order: a file hides what earlier layers had at its path, and a
    // folder after it starts afresh; folders in a row merge.
    let first = holders.length - 1;
    while (first > 0 && isDir(holders[first]!) && isDir(holders[first - 1]!)) first--;
    const visible = holders.slice(first);
    const path = `${target}/${name}`;
    if (visible.length === 1) {
      mounts.push({ kind: 'bind', source: visible[0]!, target: path });
    } else {
      mounts.push({ kind: 'dir', target: path }, ...layerMounts(visible, path));
    }
  }
  return mounts;
}

function systemArgs(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) args.push('--ro-bind', dir, dir);
  for (const path of SYSTEM_LINKS) {
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
      else if (stat.isDirectory()) args.push('--ro-bind', path, path);
    } catch {
      // Absent on this system.
    }
  }
  return args;
}

/** Host folders to expose at their own path: interpreter installs outside /usr, without nesting. */
function interpreterRoots(interpreters: Interpreter[]): string[] {
  const roots = [...new Set(interpreters.map((i) => i.root).filter((root): root is string => root !== undefined))].sort();
  return roots.filter((root, index) => !roots.slice(0, index).some((outer) => root.startsWith(`${outer}/`)));
}

/** Where a file of /etc really is: systemd makes /etc/resolv.conf a link into /run, which bwrap follows. */
function fileTarget(path: string): string {
  try {
    if (lstatSync(path).isSymbolicLink()) return resolve(dirname(path), readlinkSync(path));
  } catch {
    // Absent on the host: bwrap creates it.
  }
  return path;
}

/** The full `bwrap` argument list of a sandbox. */
export function sandboxArgs(view: SandboxView): string[] {
  const args = [...NAMESPACE_FLAGS, ...identityFlags(view.identity), '--unshare-net'];
  if (view.network) args.push('--info-fd', String(view.network.infoFd), '--block-fd', String(view.network.blockFd));
  // With bwrap's own init in between, the outer bwrap exits before that init is reaped, leaving a zombie
  // for the host's init (which, in some containers, never collects it): a command that reaps is pid 1.
  if (view.commandIsPid1) args.push('--as-pid-1');
  args.push('--hostname', view.hostname, ...systemArgs());
  for (const file of MASKED_FILES) if (existsSync(file)) args.push('--ro-bind', '/dev/null', file);
  args.push('--proc', '/proc', '--dev', '/dev');
  if (view.tmpSizeBytes !== undefined) args.push('--size', String(view.tmpSizeBytes));
  args.push('--perms', '1777', '--tmpfs', '/tmp');
  args.push('--perms', '0755', '--dir', '/var');
  if (view.codeDir !== undefined) args.push('--ro-bind', view.codeDir, SANDBOX_CODE_ROOT);
  else args.push('--perms', '0755', '--dir', SANDBOX_CODE_ROOT);
  args.push('--perms', '0755', '--dir', SANDBOX_LAYER_ROOT);
  for (const mount of layerMounts(view.layerDirs)) {
    if (mount.kind === 'dir') args.push('--perms', '0755', '--dir', mount.target);
    else args.push('--ro-bind', mount.source, mount.target);
  }
  const made = new Set(['/', '/tmp', '/var', '/usr', '/etc', SANDBOX_CODE_ROOT, SANDBOX_LAYER_ROOT]);
  // bwrap makes missing parents of a mount point 0700 when it runs as root: the sandbox user could not pass.
  const parents = (target: string): void => {
    for (let end = target.indexOf('/', 1); end > 0; end = target.indexOf('/', end + 1)) {
      const parent = target.slice(0, end);
      if (made.has(parent)) continue;
      made.add(parent);
      args.push('--perms', '0755', '--dir', parent);
    }
  };
  for (const root of interpreterRoots(view.interpreters)) {
    parents(root);
    args.push('--ro-bind', root, root);
  }
  for (const interpreter of view.interpreters) {
    for (const link of interpreter.links) {
      parents(link);
      args.push('--symlink', interpreter.binary, link);
    }
  }
  for (const [source, target] of view.readOnly ?? []) {
    parents(target);
    args.push('--ro-bind', source, target);
  }
  for (const [source, target] of view.writable ?? []) {
    parents(target);
    args.push('--bind', source, target);
  }
  if (view.network) {
    for (const [source, target] of [[view.network.files.resolvConf, '/etc/resolv.conf'], [view.network.files.hosts, '/etc/hosts']] as const) {
      const inside = fileTarget(target);
      parents(inside);
      args.push('--ro-bind', source, inside);
    }
  }
  args.push('--clearenv');
  for (const [key, value] of Object.entries(view.env)) args.push('--setenv', key, value);
  args.push('--chdir', view.cwd);
  args.push('--', ...identityPrefix(view.identity), ...view.command);
  return args;
}

/** The `bwrap` argument list of a web function; the command run inside is the host node running the bridge. */
export function bwrapArgs(plan: SandboxPlan): string[] {
  const [runner] = plan.interpreters;
  if (!runner) throw new Error('the sandbox needs node to run its bridge');
  return sandboxArgs({
    identity: plan.identity ?? { kind: 'userns' },
    hostname: plan.hostname,
    network: plan.network,
    // The bridge is pid 1 itself and reaps what it starts.
    commandIsPid1: true,
    codeDir: plan.codeDir,
    layerDirs: plan.layerDirs,
    interpreters: plan.interpreters,
    tmpSizeBytes: plan.tmpSizeBytes,
    readOnly: [[plan.bridgeScript, SANDBOX_BRIDGE]],
    writable: [[plan.socketDir, SANDBOX_SOCKET_DIR]],
    env: { PATH: plan.path },
    cwd: SANDBOX_CODE_ROOT,
    command: [runner.binary, SANDBOX_BRIDGE],
  });
}

export type ProbeResult =
  | { available: true; tmpSize: boolean }
  | { available: false; reason: string };

/**
 * Whether bwrap can build the namespaces here (containers often forbid user namespaces), and whether
 * it knows `--size`. Runs bwrap twice at most, once per adapter.
 */
export function probeBwrap(bwrap: string): ProbeResult {
  const attempt = (withSize: boolean): { ok: boolean; reason: string } => {
    const size = withSize ? ['--size', String(1024 * 1024)] : [];
    const result = spawnSync(
      bwrap,
      [...NAMESPACE_FLAGS, ...identityFlags(allocateProbeIdentity()), '--unshare-net', ...systemArgs(), '--proc', '/proc', '--dev', '/dev', ...size, '--tmpfs', '/tmp', '--', 'true'],
      { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    if (result.error) return { ok: false, reason: result.error.message };
    return { ok: result.status === 0, reason: result.stderr.trim() || `exit code ${result.status}` };
  };
  const sized = attempt(true);
  if (sized.ok) return { available: true, tmpSize: true };
  const unsized = attempt(false);
  if (unsized.ok) return { available: true, tmpSize: false };
  return { available: false, reason: sized.reason };
}
