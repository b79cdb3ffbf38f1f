/**
 * `web`: web functions (`type: web`). Rows:
 *   a  wrk straight at the user's server: bench/fixtures/web/node/server.mjs (plain node:http hello)
 *   b  the same server as a web function behind fngate: `fngate serve bench/fixtures/web`, POST /web/web-node/
 *   p  the same server behind a naive Node reverse proxy (bench/servers/web-naive-proxy.mjs: node:http +
 *      http.request with a keep-alive agent, streamed, no framework): the baseline b must match (b/p ≥ 1)
 *   c  Node web function cold start: the first request to a function that has no instance yet
 *   d  Python web function cold start: likewise (bench/fixtures/web/python/server.py, http.server)
 * For c and d one fngate serves a generated manifest with a fresh copy of the function per sample; each
 * sample is timed by the client (request sent → whole first response read) and also read back from the
 * gateway's own `Init Report` (Coldstart: instance spawn → server ready) for that request.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeBwrap } from '../runtimes/sandbox/bwrap.ts';
import {
  BENCH_AUTH,
  BENCH_DIR,
  defineSubject,
  freePort,
  HTTP_COLUMNS,
  measureHttpRows,
  ratio,
  REPO_ROOT,
  startServer,
  summarize,
  type BenchContext,
  type HttpRow,
  type Ratio,
  type ReadyProbe,
  type RowResult,
  type ServerSpec,
} from './harness.ts';

const FIXTURES = join(BENCH_DIR, 'fixtures', 'web');
const WEB_FUNCTION = 'web-node';
const EVENT_BODY = JSON.stringify({ name: 'bench' });
const EXPECTED_ANSWER = JSON.stringify({ hello: 'bench' });
/** Cold starts per language (after one discarded start each). */
const COLD_SAMPLES = 10;
/** Between cold samples: the previous instance's start-up tail (the bridge, the server's first GC) settles. */
const COLD_GAP_MS = 200;
const COLD_REQUEST_TIMEOUT_MS = 30_000;
/** Target from issue 12: passthrough serves at least as many req/s as the naive reverse proxy (b/p). */
const TARGET_RATIO = 1.0;
/** Target from issue 12: p99 of b at 50 connections. */
const TARGET_P99_MS = 10;
const INIT_REPORT = /Init Report RequestId: \S+ Coldstart:([\d.]+)ms PullCode:([\d.]+)ms InitRuntime:([\d.]+)ms InitFunction:([\d.]+)ms/;

function helloCheck(status: number, text: string): string | undefined {
  if (status !== 200) return `status ${status}`;
  try {
    return JSON.stringify(JSON.parse(text)) === EXPECTED_ANSWER ? undefined : `expected ${EXPECTED_ANSWER}`;
  } catch {
    return 'not JSON';
  }
}

function fngate(port: number, dataDir: string, manifestDir: string, ready: ReadyProbe): ServerSpec {
  return {
    // bin/fngate.js re-executes itself without --no-node-snapshot; passing it here saves that extra process.
    command: process.execPath,
    args: ['--no-node-snapshot', join(REPO_ROOT, 'bin', 'fngate.js'), 'serve', manifestDir, '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir],
    ready,
  };
}

const passthroughRows: HttpRow[] = [
  {
    id: 'a',
    label: 'user node:http server, direct',
    description: 'node bench/fixtures/web/node/server.mjs on a free port (PORT, HOST=127.0.0.1), POST /.',
    server: (port) => ({
      command: process.execPath,
      args: [join(FIXTURES, 'node', 'server.mjs')],
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1' },
      ready: { path: '/', body: EVENT_BODY, check: helloCheck },
    }),
    path: '/',
    body: EVENT_BODY,
  },
  {
    id: 'p',
    label: 'same server behind a naive node:http reverse proxy',
    description:
      'node bench/servers/web-naive-proxy.mjs bench/fixtures/web/node/server.mjs: node:http server + http.request (keep-alive agent), ' +
      'bodies piped both ways, no framework; the proxy starts the user server as its child, so both share the server CPU as in b.',
    server: (port) => ({
      command: process.execPath,
      args: [join(BENCH_DIR, 'servers', 'web-naive-proxy.mjs'), join(FIXTURES, 'node', 'server.mjs')],
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1' },
      ready: { path: '/', body: EVENT_BODY, check: helloCheck },
    }),
    path: '/',
    body: EVENT_BODY,
  },
  {
    id: 'b',
    label: 'same server through fngate /web/web-node/',
    description: `fngate serve bench/fixtures/web, POST /web/${WEB_FUNCTION}/ (type: web, Nodejs18.15, scf_bootstrap execs node server.mjs); gateway and user server share the server CPU.`,
    server: (port, dataDir) => fngate(port, dataDir, FIXTURES, { path: `/web/${WEB_FUNCTION}/`, body: EVENT_BODY, check: helloCheck }),
    path: `/web/${WEB_FUNCTION}/`,
    body: EVENT_BODY,
  },
];

const COLD_LANGUAGES = [
  { id: 'c', language: 'node', runtime: 'Nodejs18.15', label: 'Node web function cold start' },
  { id: 'd', language: 'python', runtime: 'Python3.9', label: 'Python web function cold start' },
] as const;

/** A manifest with COLD_SAMPLES + 1 copies of each cold-start function: every first request finds no instance. */
function writeColdManifest(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const lines = ['# Generated by bench/web.bench.ts: one fresh web function per cold-start sample.', 'functions:'];
  for (let i = 0; i <= COLD_SAMPLES; i++) {
    for (const { language, runtime } of COLD_LANGUAGES) {
      lines.push(
        `  cold-${language}-${i}:`,
        `    src: ${JSON.stringify(join(FIXTURES, language))}`,
        '    type: web',
        `    runtime: ${runtime}`,
        '    memorySize: 128',
        '    timeout: 3',
      );
    }
  }
  writeFileSync(join(dir, 'fngate.yml'), `${lines.join('\n')}\n`);
}

interface ColdSample {
  firstResponseMs: number;
  coldStartMs?: number;
  initRuntimeMs?: number;
  initFunctionMs?: number;
}

async function coldSample(url: string, name: string): Promise<{ sample: ColdSample; answer: string; warning?: string }> {
  const started = performance.now();
  const response = await fetch(`${url}/web/${name}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: EVENT_BODY,
    signal: AbortSignal.timeout(COLD_REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  const firstResponseMs = performance.now() - started;
  const wrong = helloCheck(response.status, text);
  if (wrong) throw new Error(`${name}: ${wrong}: ${text.slice(0, 300)}`);
  const requestId = response.headers.get('x-scf-request-id');
  const sample: ColdSample = { firstResponseMs };
  if (!requestId) return { sample, answer: text, warning: 'no X-Scf-Request-Id on the response: no Init Report read' };
  const logs = (await (await fetch(`${url}/functions/${name}/logs?requestId=${encodeURIComponent(requestId)}`, { headers: BENCH_AUTH })).json()) as { lines?: Array<{ line: string }> };
  const report = logs.lines?.map((entry) => INIT_REPORT.exec(entry.line)).find((match) => match !== null);
  if (!report) return { sample, answer: text, warning: `no Init Report in the log of ${requestId}` };
  return { sample: { ...sample, coldStartMs: Number(report[1]), initRuntimeMs: Number(report[3]), initFunctionMs: Number(report[4]) }, answer: text };
}

async function coldRows(ctx: BenchContext): Promise<RowResult[]> {
  const rows = COLD_LANGUAGES.map(
    ({ id, language, label }): RowResult => ({
      id,
      label,
      description:
        `POST /web/cold-${language}-<i>/ to a function with no instance (bench/fixtures/web/${language}), one fngate for all samples: ` +
        'first response = client-timed request → whole response; Init Report Coldstart = the gateway\'s spawn → port ready for that request.',
      status: 'ok',
      metrics: {},
      trials: [],
      warnings: [],
    }),
  );
  const manifestDir = join(ctx.tmpDir, 'cold-manifest');
  writeColdManifest(manifestDir);
  const dataDir = join(ctx.tmpDir, 'cold-data');
  mkdirSync(dataDir, { recursive: true });
  // Readiness without touching a cold function: an unknown web function is a 435 from the gateway itself.
  const ready: ReadyProbe = { path: '/web/no-such-function/', body: EVENT_BODY, check: (status) => (status === 435 ? undefined : `status ${status}`) };
  let server;
  try {
    const port = await freePort();
    server = await startServer(ctx, 'cold', port, fngate(port, dataDir, manifestDir, ready));
  } catch (error) {
    const reason = `fngate did not start: ${error instanceof Error ? error.message : String(error)}`;
    return rows.map((row) => ({ ...row, status: 'unavailable', reason }));
  }
  const samples = new Map<string, ColdSample[]>(rows.map((row) => [row.id, []]));
  try {
    for (let i = 0; i <= COLD_SAMPLES; i++) {
      // Alternating order, so neither language always starts right after the other.
      const order = i % 2 === 0 ? COLD_LANGUAGES : [...COLD_LANGUAGES].reverse();
      for (const { id, language } of order) {
        const row = rows.find((r) => r.id === id)!;
        if (row.status !== 'ok') continue;
        try {
          const { sample, answer, warning } = await coldSample(server.url, `cold-${language}-${i}`);
          if (warning) row.warnings.push(warning);
          // Sample 0 is discarded: it pays the first spawn of the interpreter from a cold page cache.
          if (i > 0) samples.get(id)!.push(sample);
          row.sample ??= answer;
        } catch (error) {
          row.status = 'unavailable';
          row.reason = `cold start ${i} failed: ${error instanceof Error ? error.message : String(error)}`;
          ctx.log(`${id}: ${row.reason}`);
        }
        await new Promise((resolve) => setTimeout(resolve, COLD_GAP_MS));
      }
    }
  } finally {
    await server.close();
  }
  for (const row of rows) {
    if (row.status !== 'ok') continue;
    const list = samples.get(row.id)!;
    const first = summarize(list.map((s) => s.firstResponseMs));
    const reported = list.filter((s) => s.coldStartMs !== undefined);
    row.metrics = {
      coldFirstP50Ms: first.p50,
      coldFirstP90Ms: first.p90,
      samples: first.n,
      ...(reported.length > 0
        ? {
            coldReportP50Ms: summarize(reported.map((s) => s.coldStartMs!)).p50,
            coldReportP90Ms: summarize(reported.map((s) => s.coldStartMs!)).p90,
            initRuntimeP50Ms: summarize(reported.map((s) => s.initRuntimeMs!)).p50,
            initFunctionP50Ms: summarize(reported.map((s) => s.initFunctionMs!)).p50,
          }
        : {}),
    };
    row.trials = list.map((sample, index) => ({ round: index + 1, metrics: { ...sample } }));
    row.warnings = [...new Set(row.warnings)];
    ctx.log(`${row.id} ${row.label}: first response p50 ${first.p50.toFixed(1)} ms, Init Report Coldstart p50 ${row.metrics.coldReportP50Ms?.toFixed(1) ?? '—'} ms`);
  }
  return rows;
}

function sandboxNote(): string {
  const mode = process.env.FNGATE_WEB_SANDBOX || 'auto';
  if (mode === 'none') return 'Web functions ran without a sandbox (FNGATE_WEB_SANDBOX=none): the server on a host port.';
  const probe = probeBwrap('bwrap');
  return probe.available
    ? 'Web functions ran in bubblewrap sandboxes (own namespaces, port 9000; the bridge hands the gateway connected sockets to the server, which it keeps alive and reuses).'
    : `bubblewrap is unavailable here (${probe.reason}): web functions ran without a sandbox, on a host port.`;
}

function headline(rows: RowResult[], id: string, metric: string, label: string): Ratio {
  const row = rows.find((r) => r.id === id);
  const value = row?.status === 'ok' ? row.metrics[metric] : undefined;
  return value === undefined ? { label, value: null, unit: 'ms', note: `row ${id} has no such figure` } : { label, value, unit: 'ms' };
}

export const webSubject = defineSubject({
  name: 'web',
  title: 'Web functions: passthrough to the user\'s server, and instance cold start',
  async run(ctx) {
    const passthrough = await measureHttpRows(ctx, passthroughRows);
    const cold = await coldRows(ctx);
    const rows = [...passthrough, ...cold];
    const main = ratio(rows, 'b', 'p', 'rps', 'b/p req/s (through fngate vs the naive reverse proxy)');
    const p99 = headline(rows, 'b', 'p99Ms', 'b p99 latency at the run\'s connections');
    const ratios: Ratio[] = [
      main.value === null ? main : { ...main, note: `target ≥ ${TARGET_RATIO}×: ${main.value >= TARGET_RATIO ? 'met' : 'missed'}` },
      p99.value === null ? p99 : { ...p99, note: `target ≤ ${TARGET_P99_MS} ms: ${p99.value <= TARGET_P99_MS ? 'met' : 'missed'}` },
      ratio(rows, 'b', 'p', 'reqPerCpuS', 'b/p req per server CPU-s'),
      ratio(rows, 'p', 'a', 'rps', 'p/a req/s (naive proxy vs direct)'),
      ratio(rows, 'b', 'a', 'rps', 'b/a req/s (through fngate vs direct)'),
      ratio(rows, 'b', 'a', 'reqPerCpuS', 'b/a req per server CPU-s'),
      ratio(rows, 'b', 'a', 'p50Ms', 'b/a p50 latency'),
      ratio(rows, 'b', 'a', 'p99Ms', 'b/a p99 latency'),
      headline(rows, 'c', 'coldReportP50Ms', 'c Node web cold start p50 (Init Report Coldstart)'),
      headline(rows, 'c', 'coldFirstP50Ms', 'c Node web first response p50 (client)'),
      headline(rows, 'd', 'coldReportP50Ms', 'd Python web cold start p50 (Init Report Coldstart)'),
      headline(rows, 'd', 'coldFirstP50Ms', 'd Python web first response p50 (client)'),
    ];
    for (const r of ratios) ctx.log(`${r.label}: ${r.value === null ? `— (${r.note})` : `${r.value.toFixed(2)}${r.unit === 'ms' ? ' ms' : '×'}${r.note ? ` (${r.note})` : ''}`}`);
    return {
      columns: [
        ...HTTP_COLUMNS,
        { key: 'coldFirstP50Ms', label: 'cold: first response p50 ms', digits: 1 },
        { key: 'coldFirstP90Ms', label: 'cold: first response p90 ms', digits: 1 },
        { key: 'coldReportP50Ms', label: 'cold: Init Report Coldstart p50 ms', digits: 1 },
        { key: 'samples', label: 'cold samples', digits: 0 },
      ],
      rows,
      ratios,
      notes: [
        sandboxNote(),
        'Rows a, p and b are wrk load (the header\'s parameters), interleaved a p b a p b … with --rounds; in p and b the proxy (or gateway) and the user\'s server share the server CPU, in a the server has it alone. ' +
          'In b one instance serves every connection: a web function takes instanceConcurrency (default 100, SPEC §4: web functions take concurrent requests) at once, so no request waits for an instance start after the warm-up. ' +
          'Server CPU counts the process group and all descendants (the sandboxed server runs in its own session).',
        `Rows c and d: ${COLD_SAMPLES} cold starts each after one discarded, the languages alternating, ${COLD_GAP_MS} ms apart, one fngate pinned to the server CPU; ` +
          'first response is timed by the client (on the load CPU) from sending the request to reading the whole answer; ' +
          'Init Report Coldstart is the gateway\'s own figure for that request (GET /functions/<name>/logs?requestId=…): instance spawn → port 9000 accepting.',
      ],
    };
  },
});
