/**
 * `python-http`: the HTTP path to a warm Python function against the least a gateway could do, and a warm row
 * for each other subprocess runtime. Rows:
 *   a  node:http + ONE python3 child over pipes (bench/servers/node-python-pipe.ts), NDJSON line in, line out;
 *      every request's line is written as it comes, so the child reads many at a time (issue 12's baseline)
 *   a1 the same server with ONE line in the child at a time (`--one-in-flight`): SCF's one invocation per
 *      instance with nothing else, the least an SCF gateway has to do with one interpreter
 *   b  fngate serve bench/fixtures/python-hello, POST /functions/python-hello/invoke (warm instances)
 *   c, d  a and b again with ONE connection: one request at a time, so a and a1 are the same server there
 *   php, go, java, custom  fngate → the same hello on PHP, Go, Java and a CustomRuntime (SCF's bash+curl
 *      bootstrap), one connection each: the per-request path of each runtime against the same baseline c
 * Event functions take one request at a time per instance, and the run gate (runtimes/run-gate.ts) lets as
 * many run at once as the server has cores: on the one server CPU, b's requests take turns on one
 * interpreter, as a1's do.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGo, buildJava, type Built } from './runtime-builds.ts';
import {
  BENCH_AUTH,
  BENCH_DIR,
  defineSubject,
  HTTP_COLUMNS,
  jsonAnswerProbe,
  measureHttpRowsAt,
  ratio,
  type BenchContext,
  type HttpRow,
  type Ratio,
  type ReadyProbe,
  type RunningServer,
  fngateServeArgs,
} from './harness.ts';

const FUNCTION_NAME = 'python-hello';
const INVOKE_PATH = `/functions/${FUNCTION_NAME}/invoke`;
const FIXTURE_DIR = join(BENCH_DIR, 'fixtures', 'python-hello');
const EVENT_BODY = JSON.stringify({ name: 'bench' });
const EXPECTED_ANSWER = { hello: 'bench' };
/** Issue 12's targets: at 50 connections ≥ 0.5× the pipe baseline, at one connection ≥ 0.8×. */
const TARGET_AT_MANY = 0.5;
const TARGET_AT_ONE = 0.8;

const probe: ReadyProbe = jsonAnswerProbe(INVOKE_PATH, EVENT_BODY, EXPECTED_ANSWER);

/**
 * How long pre-starting may take: every interpreter of the pool starts on the one server CPU, sandboxed,
 * so 50 of them take seconds.
 */
const PRESTART_BUDGET_MS = 120_000;

async function instances(server: RunningServer, functionName = FUNCTION_NAME): Promise<Array<{ ageMs: number; state: string }>> {
  const response = await fetch(`${server.url}/functions/${functionName}/instances`, { headers: BENCH_AUTH });
  const body = (await response.json()) as { instances: Array<{ ageMs: number; state: string }> };
  return body.instances;
}

async function instanceAges(server: RunningServer, functionName: string): Promise<number[]> {
  return (await instances(server, functionName)).map((instance) => instance.ageMs);
}

/**
 * Event functions take one request at a time, so `connections` concurrent requests need as many
 * instances: start them before the warm-up, bursts of concurrent requests until the pool holds one per
 * connection and none is still starting, so that the measured window sees warm instances only (a run
 * that still started some inside it shows them in "started while measured").
 */
async function prestart(server: RunningServer, connections: number): Promise<void> {
  const until = Date.now() + PRESTART_BUDGET_MS;
  while (Date.now() < until) {
    const now = await instances(server);
    if (now.length >= connections && now.every((instance) => instance.state !== 'starting')) return;
    await Promise.all(
      Array.from({ length: connections }, () =>
        fetch(server.url + INVOKE_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: EVENT_BODY }).then((r) => r.text()),
      ),
    );
  }
}

/** Instances after the measurement, and how many of them started inside the measured window (cold starts in it). */
function instanceFigures(durationS: number, functionName = FUNCTION_NAME): (server: RunningServer) => Promise<Record<string, number>> {
  return async (server): Promise<Record<string, number>> => {
    try {
      const ages = await instanceAges(server, functionName);
      return { instances: ages.length, startedDuring: ages.filter((age) => age < durationS * 1000).length };
    } catch {
      return {};
    }
  };
}

function pipeRow(id: string, label: string, oneInFlight = false): HttpRow {
  return {
    id,
    label,
    description: `bench/servers/node-python-pipe.ts${oneInFlight ? ' --one-in-flight' : ''}: node:http, the body read from the request stream and written as one line to one python3 -u -s -S -B child; its answer line is the response.${oneInFlight ? ' A line is written only once the answer before it is back (one request in the child at a time).' : ''}`,
    server: (port) => ({
      command: process.execPath,
      args: ['--import', 'tsx', join(BENCH_DIR, 'servers', 'node-python-pipe.ts'), String(port), ...(oneInFlight ? ['--one-in-flight'] : [])],
      ready: probe,
    }),
    path: INVOKE_PATH,
    body: EVENT_BODY,
    afterMeasure: async () => ({ instances: 1, startedDuring: 0 }),
  };
}

function fngateRow(id: string, label: string, durationS: number): HttpRow {
  return {
    id,
    label,
    description: `fngate serve bench/fixtures/python-hello, POST ${INVOKE_PATH} (Python3.9, reservedConcurrency 64, pre-warm pool as configured by default).`,
    server: (port, dataDir) => ({
      // bin/fngate.js re-executes itself without --no-node-snapshot; passing it here saves that extra process.
      command: process.execPath,
      args: fngateServeArgs(FIXTURE_DIR, port, dataDir),
      ready: probe,
    }),
    path: INVOKE_PATH,
    body: EVENT_BODY,
    beforeWarmup: prestart,
    afterMeasure: instanceFigures(durationS),
  };
}

const RUNTIME_COLD_FIXTURES = join(BENCH_DIR, 'fixtures', 'runtime-cold');

/** The other subprocess runtimes' hellos (the `runtime-cold` fixtures): one row each, one connection. */
interface OtherRuntime {
  id: string;
  label: string;
  functionName: string;
  runtime: string;
  handler: string;
  /** The code folder, or why the row cannot run here (a toolchain missing). */
  src: Built;
}

async function otherRuntimes(ctx: BenchContext): Promise<OtherRuntime[]> {
  const [go, java] = await Promise.all([buildGo(ctx, join(RUNTIME_COLD_FIXTURES, 'go')), buildJava(ctx, join(RUNTIME_COLD_FIXTURES, 'java'))]);
  return [
    { id: 'php', label: 'fngate → warm PHP function (1 conn)', functionName: 'php-hello', runtime: 'Php8.0', handler: 'index.main_handler', src: { dir: join(RUNTIME_COLD_FIXTURES, 'php') } },
    { id: 'go', label: 'fngate → warm Go function (1 conn)', functionName: 'go-hello', runtime: 'Go1', handler: 'hello', src: go },
    { id: 'java', label: 'fngate → warm Java function (1 conn)', functionName: 'java-hello', runtime: 'Java17', handler: 'example.Hello::mainHandler', src: java },
    { id: 'custom', label: 'fngate → warm CustomRuntime function, bash+curl (1 conn)', functionName: 'custom-hello', runtime: 'CustomRuntime', handler: 'index.main_handler', src: { dir: join(RUNTIME_COLD_FIXTURES, 'custom') } },
  ];
}

/** A project of one function written into the run's temp dir (its code stays where it was built). */
function writeProject(ctx: BenchContext, other: OtherRuntime & { src: { dir: string } }): string {
  const dir = join(ctx.tmpDir, `project-${other.id}`);
  mkdirSync(dir, { recursive: true });
  const yaml = [
    'functions:',
    `  ${other.functionName}:`,
    `    src: ${JSON.stringify(other.src.dir)}`,
    `    handler: ${JSON.stringify(other.handler)}`,
    `    runtime: ${other.runtime}`,
    '    memorySize: 256',
    '    timeout: 10',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'fngate.yml'), yaml);
  return dir;
}

function otherRuntimeRow(ctx: BenchContext, other: OtherRuntime): HttpRow {
  const path = `/functions/${other.functionName}/invoke`;
  const project = 'dir' in other.src ? writeProject(ctx, other as OtherRuntime & { src: { dir: string } }) : undefined;
  return {
    id: other.id,
    label: other.label,
    description: `fngate serve a project of one function: ${other.runtime}, handler ${other.handler}, the runtime-cold benchmark's hello (bench/fixtures/runtime-cold); POST ${path}.`,
    unavailable: async () => ('unavailable' in other.src ? other.src.unavailable : undefined),
    server: (port, dataDir) => ({
      command: process.execPath,
      args: fngateServeArgs(project!, port, dataDir),
      ready: jsonAnswerProbe(path, EVENT_BODY, EXPECTED_ANSWER),
    }),
    path,
    body: EVENT_BODY,
    afterMeasure: instanceFigures(ctx.options.durationS, other.functionName),
  };
}

export const pythonHttpSubject = defineSubject({
  name: 'python-http',
  title: 'HTTP to a warm Python function vs node:http + one python3 over pipes',
  async run(ctx) {
    const many = ctx.options.connections;
    ctx.log('building the Go and Java hellos for the other runtimes\' rows');
    const others = await otherRuntimes(ctx);
    const rows = [
      ...(await measureHttpRowsAt(
        ctx,
        [
          pipeRow('a', `node:http + one python3 over pipes (${many} conns)`),
          pipeRow('a1', `the same, one request in the child at a time (${many} conns)`, true),
          fngateRow('b', `fngate → warm Python function (${many} conns)`, ctx.options.durationS),
        ],
        many,
      )),
      // The other runtimes alternate with c and d, so their ratios to the baseline come from the same rounds.
      ...(await measureHttpRowsAt(
        ctx,
        [pipeRow('c', 'node:http + one python3 over pipes (1 conn)'), fngateRow('d', 'fngate → warm Python function (1 conn)', ctx.options.durationS), ...others.map((other) => otherRuntimeRow(ctx, other))],
        1,
      )),
    ];
    const withTarget = (found: Ratio, target: number): Ratio =>
      found.value === null ? found : { ...found, note: `target ≥ ${target}×: ${found.value >= target ? 'met' : 'missed'}` };
    const ratios: Ratio[] = [
      withTarget(ratio(rows, 'b', 'a', 'rps', `b/a req/s (fngate vs raw pipe, ${many} connections)`), TARGET_AT_MANY),
      ratio(rows, 'a1', 'a', 'rps', `a1/a req/s (one request in the child at a time vs the raw pipe, ${many} connections: what SCF's one invocation per instance costs by itself)`),
      ratio(rows, 'b', 'a1', 'rps', `b/a1 req/s (fngate vs the pipe with one request in flight, ${many} connections)`),
      ratio(rows, 'b', 'a', 'reqPerCpuS', 'b/a req per server CPU-s'),
      ratio(rows, 'b', 'a', 'p50Ms', 'b/a p50 latency'),
      ratio(rows, 'b', 'a', 'p99Ms', 'b/a p99 latency'),
      withTarget(ratio(rows, 'd', 'c', 'rps', 'd/c req/s (one connection, one Python process each)'), TARGET_AT_ONE),
      ratio(rows, 'd', 'c', 'p50Ms', 'd/c p50 latency (one connection)'),
      ...others.map((other) => ratio(rows, other.id, 'c', 'rps', `${other.id}/c req/s (${other.runtime} vs the Python pipe, one connection)`)),
      ...others.map((other) => ratio(rows, other.id, 'd', 'rps', `${other.id}/d req/s (${other.runtime} vs fngate's Python, one connection)`)),
    ];
    for (const r of ratios) ctx.log(`${r.label}: ${r.value === null ? `— (${r.note})` : `${r.value.toFixed(2)}×${r.note ? ` (${r.note})` : ''}`}`);
    return {
      columns: [
        ...HTTP_COLUMNS.slice(0, 5),
        { key: 'connections', label: 'conns', digits: 0 },
        { key: 'instances', label: 'processes', digits: 0 },
        { key: 'startedDuring', label: 'started while measured', digits: 0 },
        ...HTTP_COLUMNS.slice(5),
      ],
      rows,
      ratios,
      notes: [
        `Rows c and d run with 1 connection (wrk -c 1); a and b with the run's ${many}. "processes" for fngate rows is the instance count right after the measurement (GET /functions/${FUNCTION_NAME}/instances), "started while measured" those younger than the measured window (cold starts inside it); before the warm-up, bursts of concurrent requests bring up one instance per connection.`,
        'Server CPU counts the server\'s process group and all its descendants (fngate starts each Python process in its own group).',
        'Rows php, go, java and custom: the hello of the runtime-cold benchmark (the Go and Java programs compiled at set-up) in a project of its own, one connection, after the same warm-up; "processes" is the instance count. The custom runtime is SCF\'s bash sample bootstrap: three curl processes per invocation.',
      ],
    };
  },
});
