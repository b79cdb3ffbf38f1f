/**
 * Resident memory of the user's processes, read from the host's /proc. The instance's tree is
 * bwrap → bridge (pid 1 inside) → scf_bootstrap → … (bridge → scf_bootstrap without a sandbox); only what runs under the bridge is the
 * user's, so the bridge's own ~40 MB is not reported as the function's MemUsage.
 */
import { readdirSync, readFileSync } from 'node:fs';

const PAGE_BYTES = 4096;

function children(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) found.push(...text.split(' ').map(Number));
    }
  } catch {
    // Gone, or a kernel without CONFIG_PROC_CHILDREN: reported as 0.
  }
  return found;
}

function rssBytes(pid: number): number {
  try {
    const resident = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return Number.isFinite(resident) ? resident * PAGE_BYTES : 0;
  } catch {
    return 0;
  }
}

function commandContains(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** The host pid of the first process below `root` whose command line contains `marker`. */
export function findDescendant(root: number, marker: string): number | undefined {
  const queue = children(root);
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (commandContains(pid, marker)) return pid;
    queue.push(...children(pid));
  }
  return undefined;
}

/** Summed RSS of every descendant of `pid` (not `pid` itself). */
export function descendantsRss(pid: number): number {
  let total = 0;
  const queue = children(pid);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    total += rssBytes(next);
    queue.push(...children(next));
  }
  return total;
}
