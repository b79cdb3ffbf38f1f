// Server CPU time from /proc: a process group's, or a group's and all its live descendants' (Linux).
import { readdirSync, readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc times are in these ticks (getconf CLK_TCK; 100 on every mainstream kernel). */
const CLOCK_TICKS_PER_S = 100;

/**
 * CPU seconds (user + system) used so far by the live processes of process group `pgid`, from /proc.
 * On a shared box wall-clock req/s falls when others take the server's CPU; req per CPU-second much less.
 */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const process of procStats().values()) if (process.pgrp === pgid) ticks += process.ticks;
  return ticks / CLOCK_TICKS_PER_S;
}

/** Parent, process group and CPU ticks (user + system) of every live process, read from /proc. */
function procStats(): Map<number, { ppid: number; pgrp: number; ticks: number }> {
  const processes = new Map<number, { ppid: number; pgrp: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after "(comm)": state ppid pgrp … utime (14th field) stime (15th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    processes.set(Number(entry), { ppid: Number(fields[1]), pgrp: Number(fields[2]), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return processes;
}

/**
 * CPU seconds used so far by process group `pgid` and every live descendant of its processes. fngate
 * starts its Python, PHP, Go and web-function processes detached (each leads its own group, a web
 * sandbox its own session), so the group alone misses the function's share of the server's CPU.
 */
export function serverCpuSeconds(pgid: number): number {
  const processes = procStats();
  const counted = new Set<number>();
  for (const [pid, info] of processes) if (info.pgrp === pgid) counted.add(pid);
  // Descendants: repeat until no process is added (the tree is shallow: gateway → sandbox → server).
  for (let added = true; added; ) {
    added = false;
    for (const [pid, info] of processes) {
      if (!counted.has(pid) && counted.has(info.ppid)) {
        counted.add(pid);
        added = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of counted) ticks += processes.get(pid)!.ticks;
  return ticks / CLOCK_TICKS_PER_S;
}
