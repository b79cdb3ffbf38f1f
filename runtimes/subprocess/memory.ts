/**
 * Memory enforcement for function processes (SPEC §5 status 434).
 *
 * Primary: RSS sampling of the process tree (VmRSS of the process and its descendants, found through
 * /proc/<pid>/task/<tid>/children) every MEMORY_SAMPLE_INTERVAL_MS while the instance initialises or
 * an invocation is in flight; idle instances cost nothing. Over the limit, the instance kills the tree.
 *
 * Backstop: an RLIMIT_DATA the process sets on itself (dataRlimitBytes), so one huge allocation fails at
 * once (Python MemoryError, PHP "Out of memory") instead of growing past the limit between two samples.
 * RLIMIT_DATA and not RLIMIT_AS: address space counts reservations that are never touched. Measured here:
 * php-cli 8.2 maps ~57–67 MB of address space before running a line (`prlimit --as=64M php` dies with
 * "Out of memory" at start-up) and every glibc thread arena reserves 64 MB, while the data segment of
 * `python3 -s -S` is 4.5 MB and of php 5.3 MB. The shims set the limit in-process (Python
 * `resource.setrlimit`, PHP `posix_setrlimit`) because a pre-warmed interpreter learns its function's
 * memory size only at `load`; runtimes without a shim (Go, custom) can be spawned through `prlimit`.
 *
 * cgroups were checked on the development host (Linux 6.18, Firecracker VM, root): /sys/fs/cgroup is a
 * cgroup v1 hierarchy plus a cgroup2 mount at /sys/fs/cgroup/unified whose only controller is `hugetlb`,
 * so cgroup v2 `memory.max` cannot be used; the v1 memory controller is writable but legacy and shared
 * with the host's own supervision, so fngate does not use it. Hence sampling plus rlimit everywhere.
 */
import { readdir, readFile } from 'node:fs/promises';

/** How often RSS is read while an invocation runs. */
export const MEMORY_SAMPLE_INTERVAL_MS = 50;
/** Room above the memory size for the data rlimit: the limit is a backstop, sampling decides first. */
export const DATA_RLIMIT_HEADROOM_BYTES = 64 * 1024 * 1024;
/** Descendants visited per sample at most, so a fork bomb cannot make sampling itself expensive. */
export const MAX_SAMPLED_PROCESSES = 64;

const MIB = 1024 * 1024;

export function memoryLimitBytes(memoryMb: number): number {
  return memoryMb * MIB;
}

/**
 * The data-segment limit for a function of `memoryMb`: twice the memory size plus headroom, because the
 * data segment counts memory that is allocated but not yet resident (malloc'd buffers, thread stacks).
 */
export function dataRlimitBytes(memoryMb: number): number {
  return 2 * memoryLimitBytes(memoryMb) + DATA_RLIMIT_HEADROOM_BYTES;
}

/** Resident memory of one process in bytes; 0 once it is gone. */
export async function readRss(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'latin1');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const lists = await Promise.all(
      tasks.map((task) => readFile(`/proc/${pid}/task/${task}/children`, 'latin1').catch(() => '')),
    );
    return lists.flatMap((list) => list.split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** Resident memory of a process and its descendants, in bytes. */
export async function readTreeRss(rootPid: number): Promise<number> {
  let total = 0;
  let frontier = [rootPid];
  let visited = 0;
  while (frontier.length > 0 && visited < MAX_SAMPLED_PROCESSES) {
    const batch = frontier.slice(0, MAX_SAMPLED_PROCESSES - visited);
    visited += batch.length;
    const [sizes, children] = await Promise.all([
      Promise.all(batch.map(readRss)),
      Promise.all(batch.map(childrenOf)),
    ]);
    for (const size of sizes) total += size;
    frontier = children.flat();
  }
  return total;
}

export interface MemoryWatchOptions {
  pid: number;
  limitBytes: number;
  onSample(bytes: number): void;
  onExceeded(bytes: number): void;
  /** @default MEMORY_SAMPLE_INTERVAL_MS */
  intervalMs?: number;
}

/** Samples a process tree while started; reports each sample and the first one over the limit. */
export class MemoryWatch {
  #options: MemoryWatchOptions;
  #timer: NodeJS.Timeout | undefined;
  #sampling = false;

  constructor(options: MemoryWatchOptions) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.sample(), this.#options.intervalMs ?? MEMORY_SAMPLE_INTERVAL_MS);
    void this.sample();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async sample(): Promise<void> {
    // A slow /proc read must not pile up samples behind it.
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      const bytes = await readTreeRss(this.#options.pid);
      if (bytes === 0) return;
      this.#options.onSample(bytes);
      if (this.#timer && bytes > this.#options.limitBytes) this.#options.onExceeded(bytes);
    } finally {
      this.#sampling = false;
    }
  }
}
