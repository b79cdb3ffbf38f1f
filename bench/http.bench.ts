/**
 * `http`: the Node.js hot path. The same hello (the POSTed body is the event; answer `{"hello": name}`)
 * served by (a) node:http alone, (b) node:http + isolated-vm with one isolate per request in flight from a
 * LIFO pool — SCF's semantics without fngate's features, the issue's main baseline, (o) the same with one
 * shared isolate, (c) workerd, (d) fngate invoking a warm Node function with every feature on, and (r) the
 * same with recording off, which shows what records and framed logs cost; then (o1, d1) at one connection. Baselines are plain node:http: no framework, no Request bridge.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  BENCH_DIR,
  defineSubject,
  HTTP_COLUMNS,
  jsonAnswerProbe,
  measureHttpRowsAt,
  ratio,
  type HttpRow,
  type Ratio,
  type ReadyProbe,
  type ServerSpec,
  fngateServeArgs,
} from './harness.ts';

const INVOKE_PATH = '/functions/hello/invoke';
const EVENT_BODY = JSON.stringify({ name: 'bench' });
const EXPECTED_ANSWER = { hello: 'bench' };
const WORKERD_VERSION_TIMEOUT_MS = 10_000;

const probe: ReadyProbe = jsonAnswerProbe(INVOKE_PATH, EVENT_BODY, EXPECTED_ANSWER);

function nodeServer(file: string, port: number, nodeFlags: string[] = [], extra: string[] = []): ServerSpec {
  return { command: process.execPath, args: [...nodeFlags, '--import', 'tsx', join(BENCH_DIR, 'servers', file), String(port), ...extra], ready: probe };
}

/**
 * The workerd binary from its per-platform npm package. The `workerd` wrapper package is not used: it lists
 * every platform's package as optional, and a registry without the macOS/Windows ones leaves a lock file
 * that `npm ci` rejects.
 */
function workerdBinary(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('@cloudflare/workerd-linux-64/bin/workerd');
}

async function workerdUnavailable(): Promise<string | undefined> {
  let binary: string;
  try {
    binary = workerdBinary();
  } catch (error) {
    return `the workerd npm package is not installed or has no binary for ${process.platform}-${process.arch} (it is an optional dependency: @cloudflare/workerd-linux-64, Linux x64 only): ${String(error)}`;
  }
  try {
    await promisify(execFile)(binary, ['--version'], { timeout: WORKERD_VERSION_TIMEOUT_MS });
    return undefined;
  } catch (error) {
    return `${binary} --version failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function fngateServer(fixtures: string): (port: number, dataDir: string) => ServerSpec {
  return (port, dataDir) => ({
    // bin/fngate.js re-executes itself without --no-node-snapshot; passing it here saves that extra process.
    command: process.execPath,
    args: fngateServeArgs(join(BENCH_DIR, fixtures), port, dataDir),
    ready: probe,
  });
}

const FNGATE_DESCRIPTION = 'fngate serve bench/fixtures, POST /functions/hello/invoke (reservedConcurrency 100, memorySize 128): records and framed logs in SQLite, limits, timeouts all on.';

/** Rows at the run's connection count (50 by default). */
const manyRows: HttpRow[] = [
  {
    id: 'a',
    label: 'node:http hello',
    description: 'bench/servers/node-hello.ts: node:http, the body read from the request stream and parsed as the event, no framework.',
    server: (port) => nodeServer('node-hello.ts', port),
    path: INVOKE_PATH,
    body: EVENT_BODY,
  },
  {
    id: 'b',
    label: 'node:http + pooled isolates (one per request in flight)',
    description: 'bench/servers/node-ivm.ts pool: node:http, one isolated-vm isolate per request in flight from a LIFO pool grown on demand (SCF semantics: one invocation per instance), one Reference.apply per request; no records, logs or limits.',
    server: (port) => nodeServer('node-ivm.ts', port, ['--no-node-snapshot'], ['pool']),
    path: INVOKE_PATH,
    body: EVENT_BODY,
  },
  {
    id: 'o',
    label: 'node:http + one shared isolate',
    description: 'bench/servers/node-ivm.ts one: as b, but every request goes into the same isolate.',
    server: (port) => nodeServer('node-ivm.ts', port, ['--no-node-snapshot'], ['one']),
    path: INVOKE_PATH,
    body: EVENT_BODY,
  },
  {
    id: 'c',
    label: 'workerd hello Worker',
    description: 'bench/servers/workerd/config.capnp: a module Worker, request.json() and Response.json().',
    unavailable: workerdUnavailable,
    server: (port) => ({
      command: workerdBinary(),
      args: ['serve', join(BENCH_DIR, 'servers', 'workerd', 'config.capnp'), '--socket-addr', `http=127.0.0.1:${port}`],
      ready: probe,
    }),
    path: INVOKE_PATH,
    body: EVENT_BODY,
  },
  {
    id: 'd',
    label: 'fngate → warm Node function',
    description: FNGATE_DESCRIPTION,
    server: fngateServer('fixtures'),
    path: INVOKE_PATH,
    body: EVENT_BODY,
  },
  {
    id: 'r',
    label: 'fngate → warm Node function, recording off',
    description: 'fngate serve bench/fixtures/hello-unrecorded: row d with gateway.recordInvocations: false (no records, no framed logs in SQLite); everything else on.',
    server: fngateServer(join('fixtures', 'hello-unrecorded')),
    path: INVOKE_PATH,
    body: EVENT_BODY,
  },
];

/** The same at one connection: one request in flight, one instance. */
const oneRows: HttpRow[] = [
  { ...manyRows.find((row) => row.id === 'o')!, id: 'o1', label: 'node:http + one shared isolate (1 conn)' },
  { ...manyRows.find((row) => row.id === 'd')!, id: 'd1', label: 'fngate → warm Node function (1 conn)' },
];

export const httpSubject = defineSubject({
  name: 'http',
  title: 'HTTP hot path, POST JSON → JSON hello',
  async run(ctx) {
    const results = [...(await measureHttpRowsAt(ctx, manyRows, ctx.options.connections)), ...(await measureHttpRowsAt(ctx, oneRows, 1))];
    const target = (r: Ratio, min: number): Ratio => (r.value === null ? r : { ...r, note: `target ≥ ${min}×: ${r.value >= min ? 'met' : 'missed'}` });
    const ratios: Ratio[] = [
      target(ratio(results, 'd', 'b', 'rps', `d/b req/s (fngate vs pooled isolates, ${ctx.options.connections} conns)`), 0.8),
      target(ratio(results, 'd', 'c', 'rps', 'd/c req/s (fngate vs workerd)'), 1.0),
      target(ratio(results, 'd1', 'o1', 'rps', 'd1/o1 req/s (fngate vs one isolate, 1 conn)'), 0.8),
      ratio(results, 'd', 'r', 'rps', 'd/r req/s (recording and logging on vs off)'),
      ratio(results, 'd', 'a', 'rps', 'd/a req/s (fngate vs node:http hello)'),
      ratio(results, 'b', 'a', 'rps', 'b/a req/s (cost of the isolate hop)'),
      ratio(results, 'o', 'b', 'rps', 'o/b req/s (one shared isolate vs one per request)'),
      // Less sensitive to other processes taking the server's CPU than req/s is.
      ratio(results, 'd', 'b', 'reqPerCpuS', 'd/b req per server CPU-s'),
    ];
    const d = results.find((row) => row.id === 'd');
    ratios.push(
      d?.status === 'ok'
        ? { label: 'd p99 latency (target ≤ 10 ms)', value: d.metrics.p99Ms ?? null, unit: 'ms' }
        : { label: 'd p99 latency', value: null, note: 'row d unavailable' },
    );
    for (const r of ratios) ctx.log(`${r.label}: ${r.value === null ? `— (${r.note})` : r.value.toFixed(2) + (r.unit ? ` ${r.unit}` : '×')}`);
    return { columns: [...HTTP_COLUMNS.slice(0, 5), { key: 'connections', label: 'conns', digits: 0 }, ...HTTP_COLUMNS.slice(5)], rows: results, ratios };
  },
});
