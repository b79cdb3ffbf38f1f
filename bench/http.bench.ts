/**
 * `http`: the HTTP hot path. The same hello (parse the POSTed JSON, answer `{"hello": name}`) served by
 * (a) bare Hono, (b) Hono with one isolated-vm isolate, (c) workerd, (d) fngate invoking a warm Node
 * function. d is the subject; a, b and c are the baselines its ratios are taken against. (e) hosts isolates
 * in piscina worker threads instead: the measured alternative to (b)'s async calls from the main thread.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BENCH_DIR, defineSubject, HTTP_COLUMNS, jsonAnswerProbe, measureHttpRows, ratio, REPO_ROOT, type HttpRow, type ReadyProbe } from './harness.ts';

const INVOKE_PATH = '/functions/hello/invoke';
const EVENT_BODY = JSON.stringify({ name: 'bench' });
const EXPECTED_ANSWER = { hello: 'bench' };
const WORKERD_VERSION_TIMEOUT_MS = 10_000;

const probe: ReadyProbe = jsonAnswerProbe(INVOKE_PATH, EVENT_BODY, EXPECTED_ANSWER);

function nodeServer(file: string, port: number, nodeFlags: string[] = []): { command: string; args: string[]; ready: ReadyProbe } {
  return { command: process.execPath, args: [...nodeFlags, '--import', 'tsx', join(BENCH_DIR, 'servers', file), String(port)], ready: probe };
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

const rows: HttpRow[] = [
  {
    id: 'a',
    label: 'Hono on @hono/node-server',
    description: 'bench/servers/hono-hello.ts: bare Hono, c.req.json() and c.json().',
    server: (port) => nodeServer('hono-hello.ts', port),
    path: INVOKE_PATH,
    body: EVENT_BODY,
  },
  {
    id: 'b',
    label: 'Hono + one isolated-vm isolate',
    description: 'bench/servers/hono-ivm.ts: every request is one Reference.apply into a single isolate (copy in, promise, copy out).',
    server: (port) => nodeServer('hono-ivm.ts', port, ['--no-node-snapshot']),
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
    description: 'fngate serve bench/fixtures, POST /functions/hello/invoke (reservedConcurrency 100, memorySize 128).',
    server: (port, dataDir) => ({
      // bin/fngate.js re-executes itself without --no-node-snapshot; passing it here saves that extra process.
      command: process.execPath,
      args: [
        '--no-node-snapshot',
        join(REPO_ROOT, 'bin', 'fngate.js'),
        'serve', join(BENCH_DIR, 'fixtures'),
        '--port', String(port),
        '--host', '127.0.0.1',
        '--data-dir', dataDir,
      ],
      ready: probe,
    }),
    path: INVOKE_PATH,
    body: EVENT_BODY,
  },
  {
    id: 'e',
    label: 'Hono + piscina workers, one isolate each',
    description: 'bench/servers/hono-piscina-ivm.ts: every request is one piscina task; the worker calls its isolate synchronously (the design alternative to b).',
    server: (port) => nodeServer('hono-piscina-ivm.ts', port, ['--no-node-snapshot']),
    path: INVOKE_PATH,
    body: EVENT_BODY,
  },
];

export const httpSubject = defineSubject({
  name: 'http',
  title: 'HTTP hot path, POST JSON → JSON hello',
  async run(ctx) {
    const results = await measureHttpRows(ctx, rows);
    const ratios = [
      ratio(results, 'd', 'a', 'rps', 'd/a req/s (fngate vs bare Hono)'),
      ratio(results, 'd', 'b', 'rps', 'd/b req/s (fngate vs naive isolated-vm)'),
      ratio(results, 'd', 'c', 'rps', 'd/c req/s (fngate vs workerd)'),
      ratio(results, 'b', 'a', 'rps', 'b/a req/s (cost of one isolate hop)'),
      ratio(results, 'e', 'b', 'rps', 'e/b req/s (isolates in piscina workers vs async calls)'),
      // Less sensitive to other processes taking the server's CPU than req/s is.
      ratio(results, 'd', 'a', 'reqPerCpuS', 'd/a req per server CPU-s'),
      ratio(results, 'd', 'b', 'reqPerCpuS', 'd/b req per server CPU-s'),
      ratio(results, 'd', 'c', 'reqPerCpuS', 'd/c req per server CPU-s'),
    ];
    const d = results.find((row) => row.id === 'd');
    ratios.push(
      d?.status === 'ok'
        ? { label: 'd p99 latency', value: d.metrics.p99Ms ?? null, unit: 'ms' }
        : { label: 'd p99 latency', value: null, note: 'row d unavailable' },
    );
    for (const r of ratios) ctx.log(`${r.label}: ${r.value === null ? `— (${r.note})` : r.value.toFixed(2) + (r.unit ? ` ${r.unit}` : '×')}`);
    return { columns: HTTP_COLUMNS, rows: results, ratios };
  },
});
