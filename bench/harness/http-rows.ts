// HTTP rows: start server, warm up, measure, stop; for each row, for each round (with the quiet-machine check).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_CHARS } from './constants.ts';
import { serverCpuSeconds } from './cpu.ts';
import { cpuSpeedProbe, firstServerCpu, flagSlowTrials, quietCheck, settledSpeedProbe } from './machine.ts';
import { freePort, startServer, type RunningServer, type ServerSpec } from './servers.ts';
import type { BenchContext, Column, RowResult } from './types.ts';
import { runWrk } from './wrk.ts';

export interface HttpRow {
  id: string;
  label: string;
  description: string;
  /** Why the row cannot run on this machine, checked once before any round; undefined when it can. */
  unavailable?(): Promise<string | undefined>;
  /** The server for one trial, listening on `port`; `dataDir` is fresh and empty. */
  server(port: number, dataDir: string): ServerSpec;
  path: string;
  body: string;
  /** Extra request headers for every load request (not the ready probe). */
  headers?: Record<string, string>;
  /** Runs once the server is ready, before the warm-up (e.g. bring up as many instances as there are connections). */
  beforeWarmup?(server: RunningServer, connections: number): Promise<void>;
  /** Figures read from the server right after the measurement, before it stops; added to the trial's metrics. */
  afterMeasure?(server: RunningServer): Promise<Record<string, number>>;
}

export const HTTP_COLUMNS: Column[] = [
  { key: 'rps', label: 'req/s', digits: 0 },
  { key: 'p50Ms', label: 'p50 ms', digits: 2 },
  { key: 'p99Ms', label: 'p99 ms', digits: 2 },
  { key: 'serverCpuPct', label: 'server CPU %', digits: 0 },
  { key: 'reqPerCpuS', label: 'req per server CPU-s', digits: 0 },
  { key: 'non2xx', label: 'non-2xx', digits: 0 },
  { key: 'socketErrors', label: 'socket errors', digits: 0 },
  { key: 'probeMs', label: 'speed probe ms', digits: 0 },
];

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

export async function measureHttpRows(ctx: BenchContext, rows: HttpRow[]): Promise<RowResult[]> {
  const { options } = ctx;
  const serverCpu = firstServerCpu(options);
  /** The fastest speed probe of this run so far: measurements wait until the machine is back near it. */
  let fastestProbeMs = Number.POSITIVE_INFINITY;
  const results = new Map<string, RowResult>();
  for (const row of rows) {
    const reason = row.unavailable ? await row.unavailable() : undefined;
    results.set(row.id, {
      id: row.id,
      label: row.label,
      description: row.description,
      status: reason === undefined ? 'ok' : 'unavailable',
      ...(reason === undefined ? {} : { reason }),
      metrics: {},
      trials: [],
      warnings: [],
    });
    if (reason !== undefined) ctx.log(`${row.id} ${row.label}: unavailable: ${firstLine(reason)}`);
  }
  for (let round = 1; round <= options.rounds; round++) {
    for (const row of rows) {
      const result = results.get(row.id)!;
      if (result.status !== 'ok') continue;
      const tag = `${row.id} ${row.label}${options.rounds > 1 ? ` (round ${round}/${options.rounds})` : ''}`;
      const port = await freePort();
      const dataDir = join(ctx.tmpDir, `${row.id}-data-${round}`);
      mkdirSync(dataDir, { recursive: true });
      let server: RunningServer;
      try {
        server = await startServer(ctx, row.id, port, row.server(port, dataDir));
      } catch (error) {
        const reason = `server did not start: ${error instanceof Error ? error.message : String(error)}`;
        ctx.log(`${tag}: ${firstLine(reason)}`);
        if (result.trials.length > 0) {
          // An earlier round measured it: report that, and say this round is missing.
          result.warnings.push(`round ${round}: ${firstLine(reason)}`);
          continue;
        }
        result.status = 'unavailable';
        result.reason = reason;
        continue;
      }
      try {
        await row.beforeWarmup?.(server, options.connections);
        if (options.warmupS > 0) {
          ctx.log(`${tag}: warm-up ${options.warmupS}s`);
          await runWrk(ctx, { url: server.url + row.path, body: row.body, durationS: options.warmupS, headers: row.headers });
        }
        const quiet = await quietCheck(ctx);
        if (!quiet.quiet) result.warnings.push(`round ${round}: measured on a busy machine (load ${quiet.loadAvg.toFixed(2)}, server CPU idle ${(quiet.serverIdle * 100).toFixed(0)}%): not a valid figure`);
        const probeBeforeMs = await settledSpeedProbe(ctx, serverCpu, fastestProbeMs);
        fastestProbeMs = Math.min(fastestProbeMs, probeBeforeMs);
        ctx.log(`${tag}: measuring ${options.durationS}s (load ${quiet.loadAvg.toFixed(2)}, server CPU idle ${(quiet.serverIdle * 100).toFixed(0)}%, speed probe ${probeBeforeMs.toFixed(0)} ms)`);
        const cpuBefore = serverCpuSeconds(server.pid);
        const started = performance.now();
        const measured = await runWrk(ctx, { url: server.url + row.path, body: row.body, durationS: options.durationS, headers: row.headers });
        const wallS = (performance.now() - started) / 1000;
        const cpuS = serverCpuSeconds(server.pid) - cpuBefore;
        const extra = row.afterMeasure ? await row.afterMeasure(server) : {};
        result.trials.push({
          round,
          metrics: {
            ...measured,
            serverCpuPct: (cpuS / wallS) * 100,
            reqPerCpuS: cpuS > 0 ? measured.requests / cpuS : 0,
            loadAvg: quiet.loadAvg,
            quiet: quiet.quiet ? 1 : 0,
            probeMs: probeBeforeMs,
            ...extra,
          },
        });
        ctx.log(
          `${tag}: ${measured.rps.toFixed(0)} req/s, p50 ${measured.p50Ms.toFixed(2)} ms, p99 ${measured.p99Ms.toFixed(2)} ms, ` +
            `server CPU ${((cpuS / wallS) * 100).toFixed(0)}%` +
            (measured.non2xx + measured.socketErrors > 0 ? `, ${measured.non2xx} non-2xx, ${measured.socketErrors} socket errors` : ''),
        );
        result.sample ??= server.sample.trim().slice(0, SAMPLE_CHARS);
      } finally {
        await server.close();
      }
      // Probed again once the server is gone (an async row may still be draining before that): the slower of
      // the two stands for the trial.
      const trial = result.trials.find((t) => t.round === round);
      if (trial) {
        const probeAfterMs = cpuSpeedProbe(ctx, serverCpu);
        fastestProbeMs = Math.min(fastestProbeMs, probeAfterMs);
        trial.metrics.probeMs = Math.max(trial.metrics.probeMs ?? Number.NaN, probeAfterMs);
      }
    }
  }
  const probes = flagSlowTrials([...results.values()]);
  if (probes) ctx.log(`speed probe on the server CPU: fastest ${probes.fastest.toFixed(0)} ms, slowest ${probes.slowest.toFixed(0)} ms`);
  for (const result of results.values()) {
    if (result.status !== 'ok') continue;
    const sorted = [...result.trials].sort((x, y) => x.metrics.rps! - y.metrics.rps!);
    result.metrics = sorted[Math.floor((sorted.length - 1) / 2)]!.metrics;
    const { non2xx = 0, socketErrors = 0, requests = 0 } = result.metrics;
    if (non2xx > 0) result.warnings.push(`${non2xx} of ${requests} responses were not 2xx: req/s counts them`);
    if (socketErrors > 0) result.warnings.push(`${socketErrors} socket errors or timeouts`);
  }
  return [...results.values()];
}

/** `rows` measured at `connections` (not the run's count), each row and trial labelled with it. */
export async function measureHttpRowsAt(ctx: BenchContext, rows: HttpRow[], connections: number): Promise<RowResult[]> {
  const results = await measureHttpRows({ ...ctx, options: { ...ctx.options, connections } }, rows);
  for (const row of results) {
    if (row.status !== 'ok') continue;
    row.metrics.connections = connections;
    for (const trial of row.trials) trial.metrics.connections = connections;
  }
  return results;
}
