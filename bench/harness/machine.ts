// The machine: what it is (for the results header), and whether it is quiet enough to start a trial on.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { QUIET_LOAD_AVG, QUIET_SERVER_IDLE, QUIET_WAIT_MS } from './constants.ts';
import type { BenchContext, MachineInfo } from './types.ts';

export function machineInfo(): Omit<MachineInfo, 'loadAvgStart' | 'loadAvgEnd'> {
  return {
    // Not availableParallelism(): that follows this process's affinity, which pinSelf narrowed.
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

/** Idle share of one CPU over `ms`, from /proc/stat (Linux); 1 when it cannot be read. */
async function cpuIdleShare(cpu: string, ms: number): Promise<number> {
  const read = (): [number, number] | undefined => {
    try {
      const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
      if (!line) return undefined;
      const fields = line.trim().split(/\s+/).slice(1).map(Number);
      const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
      return [idle, fields.reduce((a, b) => a + b, 0)];
    } catch {
      return undefined;
    }
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = read();
  if (!before || !after || after[1] === before[1]) return 1;
  return (after[0] - before[0]) / (after[1] - before[1]);
}

/**
 * Waits (up to a minute) for the machine to be quiet before a trial: the load average and the server
 * CPU's idle share. Returns what it saw; `quiet: false` marks the trial as measured on a busy machine.
 */
export async function quietCheck(ctx: BenchContext): Promise<{ quiet: boolean; loadAvg: number; serverIdle: number }> {
  const serverCpu = ctx.options.serverCpus.split(/[,-]/)[0] ?? '0';
  const giveUpAt = Date.now() + QUIET_WAIT_MS;
  for (;;) {
    const serverIdle = await cpuIdleShare(serverCpu, 1000);
    const loadAvg = loadavg()[0] ?? 0;
    const quiet = loadAvg <= QUIET_LOAD_AVG && serverIdle >= QUIET_SERVER_IDLE;
    if (quiet || Date.now() >= giveUpAt) return { quiet, loadAvg, serverIdle };
    ctx.log(`waiting for a quiet machine (load ${loadAvg.toFixed(2)}, server CPU idle ${(serverIdle * 100).toFixed(0)}%)`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}
