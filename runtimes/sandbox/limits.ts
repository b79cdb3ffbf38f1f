/**
 * The resource caps of one sandbox, in one place. Processes and open files are rlimits set (through
 * `prlimit`, which execs, so the pid is bwrap's) on the sandbox's first process and inherited by all
 * it starts. RLIMIT_NPROC counts the processes of a real uid: it caps an instance only where each
 * sandbox has its own host uid (identity.ts, gateway running as root); under a user namespace the uid is
 * the gateway's own and the cap is not set (it would count the gateway's processes too).
 */
import { existsSync } from 'node:fs';
import type { SandboxIdentity } from './identity.ts';

/** Processes (and threads: Linux counts tasks) one instance may have at once. */
export const SANDBOX_MAX_PROCESSES = 256;
/** Open files per process. */
export const SANDBOX_MAX_OPEN_FILES = 4096;
/**
 * How long setting a sandbox up (bwrap, pasta configuring its network: ~50–300 ms, seconds on a loaded
 * machine) may take before the function's own initTimeout starts counting; also pasta's deadline.
 */
export const SANDBOX_SETUP_MS = 10_000;
/** SPEC §1: a per-instance /tmp of 512 MB. */
export const DEFAULT_TMP_SIZE_BYTES = 512 * 1024 * 1024;

/** Where `prlimit` usually lives; spawning through it sets an rlimit without a shell. */
export const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((path) => existsSync(path));

export interface Rlimits {
  processes?: number;
  openFiles?: number;
  dataBytes?: number;
}

/** `prlimit` flags for `limits`; empty when there is nothing to set. */
export function prlimitFlags(limits: Rlimits): string[] {
  const flags: string[] = [];
  if (limits.dataBytes !== undefined) flags.push(`--data=${limits.dataBytes}`);
  if (limits.processes !== undefined) flags.push(`--nproc=${limits.processes}`);
  if (limits.openFiles !== undefined) flags.push(`--nofile=${limits.openFiles}`);
  return flags;
}

/** The caps of a sandbox with this identity. */
export function sandboxRlimits(identity: SandboxIdentity): Rlimits {
  return identity.kind === 'host-id'
    ? { processes: SANDBOX_MAX_PROCESSES, openFiles: SANDBOX_MAX_OPEN_FILES }
    : { openFiles: SANDBOX_MAX_OPEN_FILES };
}

/** The command prefix that applies `limits` (none without prlimit: the caps are then missing). */
export function rlimitPrefix(limits: Rlimits): string[] {
  const flags = prlimitFlags(limits);
  return flags.length > 0 && PRLIMIT ? [PRLIMIT, ...flags, '--'] : [];
}

export const limitPrefix = (identity: SandboxIdentity): string[] => rlimitPrefix(sandboxRlimits(identity));
