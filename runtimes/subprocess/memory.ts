/**
 * Memory enforcement for function processes (SPEC §5 status 434).
 *
 * Primary: RSS sampling of the process tree (resident pages of the process and its descendants, found
 * through /proc/<pid>/task/<tid>/children) every MEMORY_SAMPLE_INTERVAL_MS while the instance initialises
 * or an invocation is in flight; idle instances cost nothing. Over the limit, the instance kills the tree.
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
 * Where cgroup v2 has the memory controller, using it needs a delegated subtree (a cgroup that holds
 * processes cannot enable controllers for children), i.e. a configured cgroup root: not done yet.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

/** How often RSS is read while an invocation runs. */
export const MEMORY_SAMPLE_INTERVAL_MS = 50;
/** How often an idle instance's memory is read. */
export const IDLE_MEMORY_SAMPLE_INTERVAL_MS = 1000;
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

/** One buffer for every /proc read: statm and children files are far shorter. */
const procBuffer = Buffer.allocUnsafe(4096);

/**
 * A small /proc file, read with one open/read/close: ~8 µs here against ~25 µs for readFileSync (which
 * stats first) and ~50 µs for /proc/<pid>/status (which the kernel builds from many counters).
 */
function readProcFile(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const length = readSync(fd, procBuffer, 0, procBuffer.length, 0);
    return procBuffer.toString('latin1', 0, length);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

let pageSize: number | undefined;

/** The kernel's page size (statm counts pages), from our own statm against our own VmRSS. */
function systemPageSize(): number {
  if (pageSize === undefined) {
    const pages = Number(readProcFile('/proc/self/statm')?.split(' ')[1]);
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readProcFile('/proc/self/status') ?? '')?.[1]);
    const ratio = (kb * 1024) / pages;
    pageSize = [4096, 16384, 65536].reduce((best, size) => (Math.abs(size - ratio) < Math.abs(best - ratio) ? size : best));
  }
  return pageSize;
}

/** Resident memory of one process in bytes; 0 once it is gone. */
export function readRss(pid: number): number {
  const resident = Number(readProcFile(`/proc/${pid}/statm`)?.split(' ')[1]);
  return Number.isFinite(resident) ? resident * systemPageSize() : 0;
}

/** The host pids of the direct children of `pid` (every thread's children). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) pushChildren(readProcFile(`/proc/${pid}/task/${task}/children`), children);
  } catch {
    // Gone meanwhile.
  }
  return children;
}

/** The host pid of the first process below `root` (breadth first) whose command line contains `marker`. */
export function findDescendant(root: number, marker: string): number | undefined {
  const queue = childrenOf(root);
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    // The whole command line (a sandbox's bwrap has kilobytes of them), not the 4 KB readProcFile reads.
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker)) return pid;
    } catch {
      // Gone meanwhile.
    }
    queue.push(...childrenOf(pid));
  }
  return undefined;
}

function pushChildren(list: string | undefined, into: number[]): void {
  if (!list) return;
  for (const child of list.split(' ')) if (child.trim()) into.push(Number(child));
}

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses), so
 * index 0 is field 3, the state letter; undefined once the process is gone.
 */
export function statFields(pid: number): string[] | undefined {
  const stat = readProcFile(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * One process for a tree walk from a single read of /proc/<pid>/stat: its resident bytes and thread
 * count. A single-threaded process's children are then one more read (its only task's `children`), where
 * childrenOf lists the task folder first: 2 opens per process instead of 3 opens and 2 getdents.
 */
function statOf(pid: number): { rssBytes: number; threads: number } | undefined {
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  const threads = Number(fields[17]); // field 20, num_threads
  const pages = Number(fields[21]); // field 24, rss
  return { rssBytes: Number.isFinite(pages) ? pages * systemPageSize() : 0, threads };
}

/** Proportional set size of one process in bytes (shared pages split between their users); 0 once gone. */
export function readPss(pid: number): number {
  const kb = Number(/^Pss:\s+(\d+) kB/m.exec(readProcFile(`/proc/${pid}/smaps_rollup`) ?? '')?.[1]);
  return Number.isFinite(kb) ? kb * 1024 : 0;
}

/**
 * Memory of a process and its descendants, in bytes. Synchronous on purpose: a single-process tree is
 * two small /proc reads (stat and its task's children, ~10 µs here), cheaper than two thread-pool round
 * trips, and a synchronous read at the end of an invocation makes memoryUsage() current when the
 * pipeline asks for it.
 *
 * Resident pages are summed while the tree has at most `plainProcesses` processes (the function's
 * process, plus bwrap's two in a sandbox). Beyond that the function forked, and a forked child shares
 * its parent's copy-on-write pages, which summed RSS would count twice: each process then counts its
 * proportional share (smaps_rollup, ~10x dearer to read, so only then).
 */
export function readTreeRss(rootPid: number, plainProcesses = 1): number {
  const queue = [rootPid];
  let resident = 0;
  for (let visited = 0; visited < queue.length && queue.length <= MAX_SAMPLED_PROCESSES; visited++) {
    const pid = queue[visited]!;
    const stat = statOf(pid);
    if (!stat) continue;
    resident += stat.rssBytes;
    if (stat.threads === 1) pushChildren(readProcFile(`/proc/${pid}/task/${pid}/children`), queue);
    else queue.push(...childrenOf(pid));
  }
  if (queue.length <= plainProcesses) return resident;
  let total = 0;
  for (const pid of queue.slice(0, MAX_SAMPLED_PROCESSES)) total += readPss(pid);
  return total;
}

export interface MemoryWatchOptions {
  pid: number;
  limitBytes: number;
  onSample(bytes: number): void;
  onExceeded(bytes: number): void;
  /** @default MEMORY_SAMPLE_INTERVAL_MS */
  intervalMs?: number;
  /** Processes the tree has before the function forks (readTreeRss). @default 1 */
  plainProcesses?: number;
}

/**
 * Samples a process tree while started; reports each sample and the first one over the limit.
 *
 * The warm path costs one timer per instance, not one per invocation: `start` (an invocation begins)
 * switches to the busy cadence only when the watch was idle, `idle` (it ended) only marks it, and the
 * busy timer falls back to the idle cadence at its first tick without an invocation. Back-to-back
 * invocations therefore share the busy timer, and the sample at the end of an invocation
 * (`sampleIfStale`) reads /proc only when the last sample is older than the busy interval: an instance
 * serving 2,000 requests a second is read ~20 times a second, not 2,000.
 */
export class MemoryWatch {
  #options: MemoryWatchOptions;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  /** The timer runs at the busy cadence (reports excess) rather than the idle one. */
  #busyCadence = false;
  #sampledAt = 0;

  constructor(options: MemoryWatchOptions) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** An invocation (or the start) runs: sample at the busy cadence until the first tick after it ended. */
  start(): void {
    this.#busy = true;
    if (this.#busyCadence && this.#timer) return;
    const first = this.#timer === undefined;
    clearInterval(this.#timer);
    this.#busyCadence = true;
    this.#timer = setInterval(() => this.#tick(), this.#options.intervalMs ?? MEMORY_SAMPLE_INTERVAL_MS);
    // The first start (the process is launched) reads at once; later ones follow an idle-cadence sample.
    if (first) this.sample();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#busy = false;
    this.#busyCadence = false;
  }

  /**
   * Keep sampling, slowly, while no invocation runs: a background thread or child that grows after
   * the handler returned is found before the next caller is charged for it. The idle timer keeps no
   * event loop alive; the busy one switches to it at its next tick.
   */
  idle(): void {
    this.#busy = false;
    if (!this.#timer) this.#idleCadence();
  }

  /** Read the tree now; reports the sample, and the excess while started. */
  sample(): void {
    this.#sampledAt = performance.now();
    const bytes = readTreeRss(this.#options.pid, this.#options.plainProcesses);
    if (bytes === 0) return;
    this.#options.onSample(bytes);
    if (this.#timer && bytes > this.#options.limitBytes) this.#options.onExceeded(bytes);
  }

  /** Sample unless the last sample is more recent than the busy interval. */
  sampleIfStale(): void {
    if (performance.now() - this.#sampledAt >= (this.#options.intervalMs ?? MEMORY_SAMPLE_INTERVAL_MS)) this.sample();
  }

  #tick(): void {
    // An end-of-invocation sample within the last half interval stands for this tick: an instance serving
    // back-to-back invocations is read about once per interval, not twice.
    if (performance.now() - this.#sampledAt >= (this.#options.intervalMs ?? MEMORY_SAMPLE_INTERVAL_MS) / 2) this.sample();
    if (!this.#busy && this.#busyCadence && this.#timer) this.#idleCadence();
  }

  #idleCadence(): void {
    clearInterval(this.#timer);
    this.#busyCadence = false;
    this.#timer = setInterval(() => this.sample(), IDLE_MEMORY_SAMPLE_INTERVAL_MS);
    this.#timer.unref();
  }
}
