/**
 * Who a sandboxed process is on the host. When the gateway runs as root, bwrap runs without a user
 * namespace and the command is started through `setpriv` as a high, unprivileged host uid/gid, one per
 * sandbox (so RLIMIT_NPROC, counted per real uid, caps each instance on its own); files the host keeps
 * for root (`/etc/shadow`) stay unreadable. Without root, bwrap's user namespace maps the sandbox user to
 * the gateway's own unprivileged uid, as before.
 */
import { existsSync } from 'node:fs';

/** First host uid/gid handed to sandboxes; far above login users and the usual /etc/subuid ranges. */
export const SANDBOX_HOST_ID_BASE = 3_000_000;
/** Distinct ids in use at once at most; one per live sandbox. */
export const SANDBOX_HOST_ID_COUNT = 65_536;
/** The user inside a user-namespace sandbox (gateway not root): mapped to the gateway's uid. */
export const SANDBOX_NAMESPACE_UID = 1000;

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

export type SandboxIdentity =
  /** Gateway is root: no user namespace, the command drops to `hostId` through setpriv. */
  | { kind: 'host-id'; hostId: number; setpriv: string }
  /** Gateway is not root: a user namespace maps SANDBOX_NAMESPACE_UID to the gateway's uid. */
  | { kind: 'userns' };

const inUse = new Set<number>();
let next = 0;

/** A fresh identity for one sandbox; release it with releaseIdentity once its processes are gone. */
export function allocateIdentity(): SandboxIdentity {
  if (process.getuid?.() !== 0 || !SETPRIV) return { kind: 'userns' };
  for (let tries = 0; tries < SANDBOX_HOST_ID_COUNT; tries++) {
    const hostId = SANDBOX_HOST_ID_BASE + next;
    next = (next + 1) % SANDBOX_HOST_ID_COUNT;
    if (inUse.has(hostId)) continue;
    inUse.add(hostId);
    return { kind: 'host-id', hostId, setpriv: SETPRIV };
  }
  throw new Error(`more than ${SANDBOX_HOST_ID_COUNT} sandboxes at once`);
}

export function releaseIdentity(identity: SandboxIdentity): void {
  if (identity.kind === 'host-id') inUse.delete(identity.hostId);
}

/** The bwrap flags that set up the user (before the mounts). */
export function identityFlags(identity: SandboxIdentity): string[] {
  if (identity.kind === 'userns') {
    return ['--unshare-user', '--uid', String(SANDBOX_NAMESPACE_UID), '--gid', String(SANDBOX_NAMESPACE_UID), '--cap-drop', 'ALL'];
  }
  // Real root inside until setpriv: bwrap keeps no capability for the command once the uid changes.
  return [];
}

/** What runs in front of the command inside the sandbox (after `--`). */
export function identityPrefix(identity: SandboxIdentity): string[] {
  if (identity.kind === 'userns') return [];
  const id = String(identity.hostId);
  return [
    identity.setpriv,
    '--reuid', id,
    '--regid', id,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
  ];
}

/** The host uid/gid owning what the sandbox must write (its socket folder); undefined: the gateway's own. */
export function hostOwner(identity: SandboxIdentity): number | undefined {
  return identity.kind === 'host-id' ? identity.hostId : undefined;
}
