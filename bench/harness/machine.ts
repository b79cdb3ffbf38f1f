// The machine: what it is (for the results header), and whether it is quiet enough to start a trial on.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { PROBE_BYTES, PROBE_RUNS, PROBE_SETTLE_MAX_MS, PROBE_SETTLE_STEP_MS, PROBE_SLOW_RATIO, QUIET_LOAD_AVG, QUIET_SERVER_IDLE, QUIET_WAIT_MS } from './constants.ts';
import type { BenchContext, MachineInfo, Trial } from './types.ts';

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

/** The first CPU of `--server-cpus` (e.g. '0' of '0-1'): the one the quiet check and the speed probe look at. */
export function firstServerCpu(options: { serverCpus: string }): string {
  return options.serverCpus.split(/[,-]/)[0] ?? '0';
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
  const serverCpu = firstServerCpu(ctx.options);
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

/**
 * Wall ms of a fixed CPU-bound task on one CPU: `sha256sum` of PROBE_BYTES, pinned with taskset, the best of
 * PROBE_RUNS. The load average and the idle share cannot see the host taking this VM's cycles (steal reads 0
 * here): a run once saw node:http alone fall from 32k to 18–27k req/s with both quiet. A slower probe can.
 * NaN when the probe cannot run.
 */
export function cpuSpeedProbe(ctx: BenchContext, cpu: string): number {
  const file = join(ctx.tmpDir, 'speed-probe.bin');
  if (!existsSync(file)) writeFileSync(file, Buffer.alloc(PROBE_BYTES, 0x5a));
  let best = Number.NaN;
  for (let run = 0; run < PROBE_RUNS; run++) {
    const started = performance.now();
    const done = spawnSync('taskset', ['-c', cpu, 'sha256sum', file], { stdio: 'ignore' });
    const ms = performance.now() - started;
    if (done.status !== 0) return Number.NaN;
    if (!(ms >= best)) best = ms;
  }
  return best;
}

/**
 * The speed probe once the machine is back to speed: taken again every PROBE_SETTLE_STEP_MS while it is
 * PROBE_SLOW_RATIO or more slower than `fastestMs` (the run's fastest so far), for at most
 * PROBE_SETTLE_MAX_MS; returns the last one. Why: this VM slows under sustained load and recovers within
 * seconds once idle. In one `http` run the probe read 53, 64 and 78 ms before rounds 1, 2 and 3, and
 * node:http alone served 33k, 21k and 18k req/s: where a row fell in the sequence decided its figure, and
 * the slow-trial check then discarded nearly every round. Waiting here starts every measurement from the
 * same state; a trial whose probe never recovered is still marked by flagSlowTrials.
 */
export async function settledSpeedProbe(ctx: BenchContext, cpu: string, fastestMs: number): Promise<number> {
  const giveUpAt = Date.now() + PROBE_SETTLE_MAX_MS;
  let probe = cpuSpeedProbe(ctx, cpu);
  while (probe >= fastestMs * PROBE_SLOW_RATIO && Date.now() < giveUpAt) {
    ctx.log(`waiting for the machine to recover its speed (probe ${probe.toFixed(0)} ms, the run's fastest ${fastestMs.toFixed(0)} ms)`);
    await new Promise((resolve) => setTimeout(resolve, PROBE_SETTLE_STEP_MS));
    probe = cpuSpeedProbe(ctx, cpu);
  }
  return probe;
}

/**
 * After the last round: a warning on every trial whose speed probe (metric `probeMs`) was PROBE_SLOW_RATIO or
 * more slower than the run's fastest, so a row measured while the host slowed the machine is not taken as
 * fngate's figure. Returns the fastest and slowest probe for the results' notes.
 */
export function flagSlowTrials(results: { trials: Trial[]; warnings: string[] }[]): { fastest: number; slowest: number } | undefined {
  const probes = results.flatMap((result) => result.trials.map((trial) => trial.metrics.probeMs)).filter((ms): ms is number => Number.isFinite(ms));
  if (probes.length === 0) return undefined;
  const fastest = Math.min(...probes);
  for (const result of results) {
    for (const trial of result.trials) {
      const ms = trial.metrics.probeMs;
      if (ms !== undefined && ms >= fastest * PROBE_SLOW_RATIO) {
        result.warnings.push(`round ${trial.round}: the machine ran slower (speed probe ${ms.toFixed(0)} ms, the run's fastest ${fastest.toFixed(0)} ms): not a valid figure`);
      }
    }
  }
  return { fastest, slowest: Math.max(...probes) };
}
