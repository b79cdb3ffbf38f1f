/**
 * The one benchmark harness. A subject (one `*.bench.ts` file each) registers itself with
 * `defineSubject`; `runSubject(name, options)` runs it and writes bench/results/<name>.json and .md.
 *
 * Rules every subject gets from here: each server is its own child process pinned to the server CPUs,
 * the load generator (wrk) is another process pinned to the load CPUs, every row of a subject is
 * measured in the same run with the same load parameters, ratios are taken against rows of that run,
 * and every process started here has an owner (`processes`) that ends it, also on Ctrl-C and errors.
 *
 * This file is the harness's one public entry: it lists what subjects, run.ts and report.ts may use;
 * the parts live in bench/harness/, one responsibility each.
 */
export {
  BENCH_API_TOKEN,
  BENCH_AUTH,
  BENCH_DIR,
  DEFAULT_CONNECTIONS,
  DEFAULT_DURATION_S,
  DEFAULT_LOAD_CPUS,
  DEFAULT_ROUNDS,
  DEFAULT_SERVER_CPUS,
  DEFAULT_THREADS,
  DEFAULT_WARMUP_S,
  QUICK_DURATION_S,
  QUICK_WARMUP_S,
  QUIET_LOAD_AVG,
  QUIET_SERVER_IDLE,
  READY_TIMEOUT_MS,
  REPO_ROOT,
  RESULTS_DIR,
  WRK_POST_SCRIPT,
  WRK_TIMEOUT,
} from './harness/constants.ts';
export type {
  BenchContext,
  BenchOptions,
  Column,
  LoadParams,
  MachineInfo,
  Ratio,
  RowResult,
  Subject,
  SubjectOutcome,
  SubjectResult,
  Trial,
} from './harness/types.ts';
export { defineSubject, listSubjects, makeTmpDir, removeTmpDir, runSubject } from './harness/registry.ts';
export { ratio, writeResults } from './harness/results.ts';
export { installCleanup, pinSelf, ProcessOwner, processes } from './harness/processes.ts';
export {
  freePort,
  jsonAnswerProbe,
  ServerStartError,
  startServer,
  type ReadyProbe,
  type RunningServer,
  type ServerSpec,
  fngateServeArgs,
} from './harness/servers.ts';
export { groupCpuSeconds, serverCpuSeconds } from './harness/cpu.ts';
export { percentile, summarize, type SampleSummary } from './harness/stats.ts';
export { runMeasurement, type MeasureSpec } from './harness/measurement.ts';
export { runWrk, type WrkResult, type WrkRun } from './harness/wrk.ts';
export { quietCheck } from './harness/machine.ts';
export { HTTP_COLUMNS, measureHttpRows, measureHttpRowsAt, type HttpRow } from './harness/http-rows.ts';
