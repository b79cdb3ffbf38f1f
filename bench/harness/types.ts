// The harness's option and result types: what a subject gets (BenchContext) and returns, and the results file's shape.

export interface BenchOptions {
  /** Measured seconds per row. @default 10 (2 with --quick) */
  durationS: number;
  /** Unmeasured load before each measurement, so JITs are hot and instances exist. @default 2 (1 with --quick) */
  warmupS: number;
  /** Each row is measured this many times (rows interleaved); the median trial by req/s (the lower middle one for an even count) is reported. @default 1 */
  rounds: number;
  /** @default 50 */
  connections: number;
  /** @default 1 */
  threads: number;
  /** @default '0' */
  serverCpus: string;
  /** @default '1' */
  loadCpus: string;
  /** Keep server logs (in the temp dir) after the run. @default false */
  keepLogs: boolean;
  /** The command line that produced the run, as it goes in the results header. */
  command: string;
}

/** One column of a subject's table: `key` into each row's metrics. */
export interface Column {
  key: string;
  label: string;
  digits: number;
}

export interface Trial {
  round: number;
  metrics: Record<string, number>;
}

export interface RowResult {
  id: string;
  label: string;
  description: string;
  status: 'ok' | 'unavailable';
  /** Why a row is unavailable; first line is shown in the table notes, the rest stays in the JSON. */
  reason?: string;
  /** The reported trial's figures (the median by the subject's main metric). */
  metrics: Record<string, number>;
  trials: Trial[];
  warnings: string[];
  /** The server's answer to the ready probe: shows that the row served what the others do. */
  sample?: string;
}

/** A figure computed from rows of the same run: a ratio (unit '×'), or a headline figure such as a p99. */
export interface Ratio {
  label: string;
  value: number | null;
  /** @default '×' */
  unit?: string;
  note?: string;
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1/5/15-minute load averages when the subject started and ended: a loaded box shows here. */
  loadAvgStart: number[];
  loadAvgEnd: number[];
  /** The speed probe (machine.ts cpuSpeedProbe) on the server CPU before and after the subject, ms: a host that slowed the VM shows here. */
  speedProbeStartMs?: number;
  speedProbeEndMs?: number;
}

export interface LoadParams {
  tool: string;
  version: string;
  connections: number;
  threads: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  timeout: string;
  script: string;
  serverCpus: string;
  loadCpus: string;
}

export interface SubjectResult {
  subject: string;
  title: string;
  command: string;
  date: string;
  machine: MachineInfo;
  /** The wrk load; absent for subjects that generate no HTTP load (they say how they measured in `method`). */
  load?: LoadParams;
  /** How a subject without HTTP load took its figures (samples, pinning); shown in the results header. */
  method?: string;
  columns: Column[];
  rows: RowResult[];
  ratios: Ratio[];
  notes: string[];
}

/** What a subject's `run` returns; the harness adds the run's metadata. */
export interface SubjectOutcome {
  columns: Column[];
  rows: RowResult[];
  ratios: Ratio[];
  notes?: string[];
  /**
   * For subjects that run no wrk load (cold starts, memory): how the figures were taken. The results
   * then record this instead of the load parameters. @default undefined (a wrk subject)
   */
  method?: string;
}

export interface BenchContext {
  options: BenchOptions;
  /** A fresh directory for this run (server logs, data dirs, wrk output); removed at the end. */
  tmpDir: string;
  log(message: string): void;
}

export interface Subject {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<SubjectOutcome>;
}
