/** Reaching into function sandboxes from the host, for tests: files in their /tmp, their processes' host pids. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const hostPids = (): number[] => readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);

const pidNamespace = (pid: number): string | undefined => {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
};

/**
 * A file a function wrote at `path` (say, under /tmp), as the host sees it: at that path when the
 * function runs unsandboxed, else through /proc/<pid>/root of a process in the sandbox. The pid returned
 * is that process's (undefined for a host file).
 */
export function readFunctionFile(path: string): { text: string; pid?: number } | undefined {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch {
    // Not on the host: look in the sandboxes.
  }
  const own = pidNamespace(process.pid);
  for (const pid of hostPids()) {
    if (pidNamespace(pid) === own) continue;
    try {
      return { text: readFileSync(`/proc/${pid}/root${path}`, 'utf8'), pid };
    } catch {
      // Not this one.
    }
  }
  return undefined;
}

/** The host pid of the process a function knows as `pid`, in the pid namespace of host process `inside`. */
export function hostPidOf(pid: number, inside: number | undefined): number {
  if (inside === undefined) return pid;
  const namespace = pidNamespace(inside);
  for (const candidate of hostPids()) {
    if (pidNamespace(candidate) !== namespace) continue;
    try {
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${candidate}/status`, 'utf8'))?.[1]?.trim().split(/\s+/);
      if (Number(nspid?.at(-1)) === pid) return candidate;
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error(`no host process is pid ${pid} in the namespace of ${inside}`);
}
