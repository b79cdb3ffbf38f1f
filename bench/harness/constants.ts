// The harness's constants: paths, the API token, option defaults, timeouts and quiet-machine thresholds (a leaf module).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/ (this file is bench/harness/constants.ts). */
export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_ROOT = dirname(BENCH_DIR);
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const WRK_POST_SCRIPT = join(BENCH_DIR, 'wrk', 'post-json.lua');
/**
 * The API token every benchmark server is started with (FNGATE_API_TOKEN): fngate's management routes
 * (topics, async queues, instances, logs) need it; invoking does not. Baselines ignore it.
 */
export const BENCH_API_TOKEN = 'fngate-bench-token';
export const BENCH_AUTH = { authorization: `Bearer ${BENCH_API_TOKEN}` } as const;

export const DEFAULT_DURATION_S = 10;
export const QUICK_DURATION_S = 2;
export const DEFAULT_WARMUP_S = 2;
export const QUICK_WARMUP_S = 1;
export const DEFAULT_CONNECTIONS = 50;
export const DEFAULT_THREADS = 1;
export const DEFAULT_ROUNDS = 1;
/** CPU list for servers (taskset -c syntax). */
export const DEFAULT_SERVER_CPUS = '0';
/** CPU list for the load generator; never the server's. */
export const DEFAULT_LOAD_CPUS = '1';
/** wrk's own per-request timeout: a request slower than this counts as a timeout error. */
export const WRK_TIMEOUT = '5s';
/** How long a server may take to answer its first request (fngate's first invoke is a cold start). */
export const READY_TIMEOUT_MS = 60_000;
/** Between ready probes. */
export const READY_POLL_MS = 100;
/** A server that answers, but wrongly, this many times in a row is broken, not still starting. */
export const READY_WRONG_ANSWERS = 5;
/** SIGTERM, then this long to exit, then SIGKILL for the whole process group. */
export const STOP_GRACE_MS = 5_000;
/** How much of a failed child's log (its end) an error carries. */
export const LOG_TAIL_BYTES = 2_000;
/** How much of the ready probe's answer a row keeps as its `sample`. */
export const SAMPLE_CHARS = 200;

/** A trial starts only on a quiet machine: 1-minute load average at most this… */
export const QUIET_LOAD_AVG = 1.5;
/** …and the server CPU idle at least this share of a one-second look. */
export const QUIET_SERVER_IDLE = 0.9;
/** How long a trial waits for a quiet machine before it runs anyway, marked busy. */
export const QUIET_WAIT_MS = 60_000;

/** The speed probe: sha256 of this many bytes on one CPU, the best of PROBE_RUNS (tens of ms here). */
export const PROBE_BYTES = 16 * 2 ** 20;
export const PROBE_RUNS = 3;
/** A trial whose probe took this much longer than the run's fastest probe ran on a slowed machine. */
export const PROBE_SLOW_RATIO = 1.15;
/**
 * Before each measurement, a probe that slow is taken again every PROBE_SETTLE_STEP_MS, for at most
 * PROBE_SETTLE_MAX_MS, until the machine is back to speed (machine.ts settledSpeedProbe).
 */
export const PROBE_SETTLE_STEP_MS = 2000;
export const PROBE_SETTLE_MAX_MS = 30_000;
