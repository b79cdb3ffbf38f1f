/**
 * The bubblewrap sandbox of one web function instance: its own network namespace (so every instance can
 * listen on 9000), pid namespace (the whole process tree ends with the instance), the code read-only at
 * /var/user, a private size-capped /tmp, layers under /opt, and the host interpreters at their SCF paths.
 * The command line is built by a pure function so it can be read and tested.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SANDBOX_CODE_ROOT } from '../env.ts';
import type { Interpreter } from './interpreters.ts';

/** Where the bridge script and the instance's socket folder appear inside the sandbox. */
export const SANDBOX_RUNTIME_DIR = '/var/runtime/fngate';
export const SANDBOX_BRIDGE = `${SANDBOX_RUNTIME_DIR}/bridge.mjs`;
export const SANDBOX_SOCKET_DIR = `${SANDBOX_RUNTIME_DIR}/run`;
export const SANDBOX_LAYER_ROOT = '/opt';
/** SPEC §1: a per-instance /tmp of 512 MB. */
export const DEFAULT_TMP_SIZE_BYTES = 512 * 1024 * 1024;
/** The user the function runs as inside (SCF runs user code unprivileged). */
export const SANDBOX_UID = 1000;
/** Host system folders shown read-only; /usr and /etc hold the interpreters, libraries, certificates, php.ini. */
const SYSTEM_DIRS = ['/usr', '/etc'];
/** Top-level links of merged-/usr systems (or real folders on older ones). */
const SYSTEM_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const NAMESPACE_FLAGS = [
  '--unshare-user',
  '--unshare-pid',
  '--unshare-net',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-cgroup-try',
  // The bridge is pid 1 itself: with bwrap's own init in between, the outer bwrap exits before that init
  // is reaped, leaving a zombie for the host's init (which, in some containers, never collects it).
  '--as-pid-1',
  '--die-with-parent',
  '--new-session',
  '--cap-drop',
  'ALL',
];

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

/** The full `bwrap` argument list; the command run inside is the host node running the bridge. */
export function bwrapArgs(plan: SandboxPlan): string[] {
  const [runner] = plan.interpreters;
  if (!runner) throw new Error('the sandbox needs node to run its bridge');
  const args = [
    ...NAMESPACE_FLAGS,
    '--uid', String(SANDBOX_UID),
    '--gid', String(SANDBOX_UID),
    '--hostname', plan.hostname,
    ...systemArgs(),
    '--proc', '/proc',
    '--dev', '/dev',
  ];
  if (plan.tmpSizeBytes !== undefined) args.push('--size', String(plan.tmpSizeBytes));
  args.push('--perms', '1777', '--tmpfs', '/tmp');
  args.push('--perms', '0755', '--dir', '/var');
  args.push('--ro-bind', plan.codeDir, SANDBOX_CODE_ROOT);
  args.push('--perms', '0755', '--dir', SANDBOX_LAYER_ROOT);
  for (const mount of layerMounts(plan.layerDirs)) {
    if (mount.kind === 'dir') args.push('--perms', '0755', '--dir', mount.target);
    else args.push('--ro-bind', mount.source, mount.target);
  }
  for (const root of interpreterRoots(plan.interpreters)) args.push('--ro-bind', root, root);
  for (const interpreter of plan.interpreters) {
    for (const link of interpreter.links) {
      args.push('--dir', link.slice(0, link.lastIndexOf('/')), '--symlink', interpreter.binary, link);
    }
  }
  args.push('--ro-bind', plan.bridgeScript, SANDBOX_BRIDGE);
  args.push('--bind', plan.socketDir, SANDBOX_SOCKET_DIR);
  args.push('--clearenv', '--setenv', 'PATH', plan.path);
  args.push('--chdir', SANDBOX_CODE_ROOT);
  args.push('--', runner.binary, SANDBOX_BRIDGE);
  return args;
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
      [...NAMESPACE_FLAGS, ...systemArgs(), '--proc', '/proc', '--dev', '/dev', ...size, '--tmpfs', '/tmp', '--', 'true'],
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
