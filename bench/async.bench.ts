/**
 * `async`: asynchronous invocation. The accept rate (202s per second, each event fsynced before its
 * answer), the execution rate of a trivial Node function, and queue depth and latency under a burst of
 * 100,000 events. Rows:
 *   a  node:http hello, the body read from the request stream: the HTTP ceiling of one server CPU
 *   h  bare Hono hello, the body read through @hono/node-server's Request bridge (the old baseline)
 *   b  fngate sync invoke of `noop` (the trivial function), for comparison
 *   c  fngate `X-Fn-Invocation-Type: Event` invoke of `sink` (reservedConcurrency 0): durable accepts only
 *      (each group of accepts fsynced before its 202s: gateway.asyncAcceptSync full, the default)
 *   i  the same with gateway.asyncAcceptSync: normal (committed to the WAL, not fsynced)
 *   d  fngate Event invoke of `noop`: accepting and executing at once; executed/s counted in the store
 *   e  burst: 100,000 events published to the internal topic `burst` (batches of 1,000 messages, 4
 *      publishers) that `noop` subscribes to; queue depth sampled until it is empty; per-event latency
 *      is accept → finish, read from the store
 *   f  drain: 100,000 events already queued when fngate starts (written to its store beforehand), so
 *      the figure is execution alone: events per second from the first start to the last finish
 *   g  the durable accept path without HTTP: 200 callers looping AsyncDispatcher.enqueue in a process
 *      pinned to the server CPU (bench/servers/async-enqueue.ts): what the queue itself takes
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../store/index.ts';
import {
  BENCH_AUTH,
  BENCH_DIR,
  defineSubject,
  freePort,
  groupCpuSeconds,
  measureHttpRows,
  processes,
  ratio,
  REPO_ROOT,
  runWrk,
  startServer,
  type BenchContext,
  type Column,
  type HttpRow,
  type Ratio,
  type ReadyProbe,
  type RowResult,
  type ServerSpec,
  type Trial,
  fngateServeArgs,
} from './harness.ts';

const FIXTURES = join(BENCH_DIR, 'fixtures', 'async');
/** The same accept-only function with gateway.asyncAcceptSync: full. */
const NOFSYNC_FIXTURES = join(BENCH_DIR, 'fixtures', 'async-nofsync');
const EVENT_BODY = JSON.stringify({ name: 'bench' });
const EVENT_HEADERS = { 'X-Fn-Invocation-Type': 'Event' };
const BURST_EVENTS = 100_000;
const BURST_BATCH = 1_000;
const BURST_PUBLISHERS = 4;
const DEPTH_SAMPLE_MS = 200;
const DRAIN_TIMEOUT_MS = 600_000;
const ENQUEUE_CALLERS = 200;
/** Targets from the issue, shown next to the figures. */
const ACCEPT_TARGET = 20_000;
const EXECUTE_TARGET = 10_000;

const probe: ReadyProbe = {
  path: '/functions/noop/invoke',
  body: EVENT_BODY,
  check: (status, text) => (status === 200 && text.includes('"ok":true') ? undefined : `status ${status}`),
};
/** While a backlog drains every slot of noop is busy, so a sync probe could be throttled: publish instead. */
const topicProbe: ReadyProbe = {
  path: '/topics/probe/messages',
  body: JSON.stringify({ msgBody: 'ready?' }),
  check: (status) => (status === 202 ? undefined : `status ${status}`),
};

function fngate(port: number, dataDir: string, ready: ReadyProbe = probe, project = FIXTURES): ServerSpec {
  return {
    command: process.execPath,
    // bin/fngate.js re-executes itself without --no-node-snapshot; passing it saves that extra process.
    args: fngateServeArgs(project, port, dataDir),
    ready,
  };
}

const httpRows: HttpRow[] = [
  {
    id: 'a',
    label: 'node:http hello (HTTP ceiling)',
    description: 'bench/servers/node-hello.ts: node:http, no framework, the body read from the request stream and parsed; what one server CPU does for any POST.',
    server: (port) => ({ command: process.execPath, args: ['--import', 'tsx', join(BENCH_DIR, 'servers', 'node-hello.ts'), String(port)], ready: { ...probe, check: undefined } }),
    path: '/functions/noop/invoke',
    body: EVENT_BODY,
  },
  {
    id: 'h',
    label: "Hono hello (body through Hono's Request bridge)",
    description: 'bench/servers/hono-hello.ts: bare Hono on @hono/node-server, c.req.json() and c.json(): the bridge to web Request/Response objects that fngate skips on its hot paths.',
    server: (port) => ({ command: process.execPath, args: ['--import', 'tsx', join(BENCH_DIR, 'servers', 'hono-hello.ts'), String(port)], ready: { ...probe, check: undefined } }),
    path: '/functions/noop/invoke',
    body: EVENT_BODY,
  },
  {
    id: 'b',
    label: 'fngate sync invoke of noop',
    description: 'POST /functions/noop/invoke (RequestResponse): the trivial Node function, warm, reservedConcurrency 32.',
    server: fngate,
    path: '/functions/noop/invoke',
    body: EVENT_BODY,
  },
  {
    id: 'c',
    label: 'fngate Event invoke, accept only (202, fsynced)',
    description: 'POST /functions/sink/invoke with X-Fn-Invocation-Type: Event; sink has reservedConcurrency 0, so nothing runs: each 202 is an event committed to the WAL (synchronous=NORMAL, group commit).',
    server: fngate,
    path: '/functions/sink/invoke',
    body: EVENT_BODY,
    headers: EVENT_HEADERS,
  },
  {
    id: 'i',
    label: 'fngate Event invoke, accept only, asyncAcceptSync: normal (not fsynced)',
    description: 'As c with gateway.asyncAcceptSync: normal (bench/fixtures/async-nofsync): accepts are committed to the WAL without an fsync (synchronous=NORMAL): they survive a crash of fngate, not a power cut.',
    server: (port, dataDir) => fngate(port, dataDir, probe, NOFSYNC_FIXTURES),
    path: '/functions/sink/invoke',
    body: EVENT_BODY,
    headers: EVENT_HEADERS,
  },
];

const COLUMNS: Column[] = [
  { key: 'rps', label: '2xx/s', digits: 0 },
  { key: 'p50Ms', label: 'p50 ms', digits: 2 },
  { key: 'p99Ms', label: 'p99 ms', digits: 2 },
  { key: 'serverCpuPct', label: 'server CPU %', digits: 0 },
  { key: 'executedPerS', label: 'executed/s', digits: 0 },
  { key: 'maxDepth', label: 'max queue depth', digits: 0 },
  { key: 'latencyP50S', label: 'event latency p50 s', digits: 2 },
  { key: 'latencyP99S', label: 'event latency p99 s', digits: 2 },
  { key: 'non2xx', label: 'non-2xx', digits: 0 },
  { key: 'probeMs', label: 'speed probe ms', digits: 0 },
];

/** Events of `noop` that succeeded so far, read from the server's database (WAL: a reader never blocks it). */
function succeededCount(db: Database.Database, source?: string): number {
  return (
    source === undefined
      ? db.prepare(`SELECT count(*) FROM async_events WHERE function_name = 'noop' AND status = 'succeeded'`).pluck().get()
      : db.prepare(`SELECT count(*) FROM async_events WHERE source = ? AND status = 'succeeded'`).pluck().get(source)
  ) as number;
}

async function noopQueue(url: string): Promise<{ pending: number }> {
  const body = (await (await fetch(`${url}/async-queues`, { headers: BENCH_AUTH })).json()) as { queues: Array<{ functionName: string; pending: number }> };
  return body.queues.find((queue) => queue.functionName === 'noop') ?? { pending: 0 };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function withServer<T>(
  ctx: BenchContext,
  id: string,
  round: number,
  fn: (url: string, pid: number, dataDir: string) => Promise<T>,
  options: { before?: (dataDir: string) => Promise<void>; ready?: ReadyProbe } = {},
): Promise<T> {
  const port = await freePort();
  const dataDir = join(ctx.tmpDir, `${id}-data-${round}`);
  await options.before?.(dataDir);
  const server = await startServer(ctx, id, port, fngate(port, dataDir, options.ready));
  try {
    return await fn(server.url, server.pid, dataDir);
  } finally {
    await server.close();
  }
}

/** d: wrk sends Event invokes of `noop` while it runs them; executed/s is counted in the store. */
async function acceptAndExecute(ctx: BenchContext, round: number): Promise<Record<string, number>> {
  return withServer(ctx, 'd', round, async (url, pid, dataDir) => {
    const run = { url: `${url}/functions/noop/invoke`, body: EVENT_BODY, headers: EVENT_HEADERS };
    if (ctx.options.warmupS > 0) await runWrk(ctx, { ...run, durationS: ctx.options.warmupS });
    const db = new Database(join(dataDir, 'fngate.db'), { readonly: true });
    try {
      const depthBefore = (await noopQueue(url)).pending;
      const doneBefore = succeededCount(db);
      const cpuBefore = groupCpuSeconds(pid);
      const started = performance.now();
      const measured = await runWrk(ctx, { ...run, durationS: ctx.options.durationS });
      const wallS = (performance.now() - started) / 1000;
      const cpuS = groupCpuSeconds(pid) - cpuBefore;
      const executed = succeededCount(db) - doneBefore;
      const depthAfter = (await noopQueue(url)).pending;
      ctx.log(`d: ${measured.rps.toFixed(0)} accepted/s, ${(executed / wallS).toFixed(0)} executed/s, queue ${depthBefore} → ${depthAfter}`);
      return { ...measured, serverCpuPct: (cpuS / wallS) * 100, executedPerS: executed / wallS, maxDepth: Math.max(depthBefore, depthAfter) };
    } finally {
      db.close();
    }
  });
}

/** e: a burst of BURST_EVENTS published in topic batches, then drained. */
async function burst(ctx: BenchContext, round: number): Promise<Record<string, number>> {
  return withServer(ctx, 'e', round, async (url, pid, dataDir) => {
    const batch = JSON.stringify({ messages: Array.from({ length: BURST_BATCH }, (_, i) => ({ msgBody: `m${i}` })) });
    let maxDepth = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxDepth = Math.max(maxDepth, (await noopQueue(url)).pending);
        await new Promise((resolve) => setTimeout(resolve, DEPTH_SAMPLE_MS));
      }
    })();
    const cpuBefore = groupCpuSeconds(pid);
    const started = performance.now();
    let next = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: BURST_PUBLISHERS }, async () => {
        while (next < BURST_EVENTS / BURST_BATCH) {
          next++;
          const response = await fetch(`${url}/topics/burst/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...BENCH_AUTH }, body: batch });
          if (response.status !== 202) refused++;
          await response.arrayBuffer();
        }
      }),
    );
    const acceptedS = (performance.now() - started) / 1000;
    const depthAtAccepted = (await noopQueue(url)).pending;
    maxDepth = Math.max(maxDepth, depthAtAccepted);
    await waitDrained(url);
    const totalS = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    const cpuS = groupCpuSeconds(pid) - cpuBefore;
    const outcome = await readOutcome(url, dataDir, 'cmq:burst');
    ctx.log(
      `e: ${BURST_EVENTS} published in ${acceptedS.toFixed(2)} s (${(BURST_EVENTS / acceptedS).toFixed(0)}/s), depth ${depthAtAccepted} then, ` +
        `empty after ${totalS.toFixed(2)} s; ${outcome.succeeded} succeeded, ${refused} batches refused`,
    );
    return { ...outcome, publishedPerS: BURST_EVENTS / acceptedS, maxDepth, depthAtAccepted, refusedBatches: refused, serverCpuPct: (cpuS / totalS) * 100 };
  });
}

/** f: BURST_EVENTS events written to the store before fngate starts; it runs them all. */
async function drain(ctx: BenchContext, round: number): Promise<Record<string, number>> {
  const prefill = async (dataDir: string): Promise<void> => {
    const store = await openStore({ dataDir });
    try {
      const now = Date.now();
      await store.queue.insert(
        Array.from({ length: BURST_EVENTS }, (_, i) => ({
          requestId: `drain-${i}`,
          namespace: 'default',
          functionName: 'noop',
          qualifier: '$LATEST',
          source: 'invoke',
          payload: EVENT_BODY,
          enqueuedAt: now,
        })),
      );
    } finally {
      await store.close();
    }
  };
  return withServer(
    ctx,
    'f',
    round,
    async (url, pid, dataDir) => {
      const cpuBefore = groupCpuSeconds(pid);
      const started = performance.now();
      await waitDrained(url);
      const wallS = (performance.now() - started) / 1000;
      const cpuS = groupCpuSeconds(pid) - cpuBefore;
      const outcome = await readOutcome(url, dataDir, 'invoke');
      ctx.log(`f: ${outcome.succeeded} pre-queued events run at ${outcome.executedPerS.toFixed(0)}/s`);
      return { ...outcome, maxDepth: BURST_EVENTS, serverCpuPct: (cpuS / wallS) * 100 };
    },
    { before: prefill, ready: topicProbe },
  );
}

async function waitDrained(url: string): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while ((await noopQueue(url)).pending > 0) {
    if (Date.now() > deadline) throw new Error(`the queue did not drain in ${DRAIN_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, DEPTH_SAMPLE_MS / 4));
  }
}

/**
 * Counts and latencies of the events from `source`, from the store. A listing request first makes the
 * server commit every pending write, so the file shows the final state of each event.
 */
async function readOutcome(url: string, dataDir: string, source: string): Promise<{ succeeded: number; executedPerS: number; latencyP50S: number; latencyP90S: number; latencyP99S: number; latencyMaxS: number }> {
  await (await fetch(`${url}/async-events?limit=1`, { headers: BENCH_AUTH })).arrayBuffer();
  const db = new Database(join(dataDir, 'fngate.db'), { readonly: true });
  try {
    const latencies = (
      db.prepare(`SELECT finished_at - enqueued_at FROM async_events WHERE source = ? AND status = 'succeeded'`).pluck().all(source) as number[]
    ).sort((x, y) => x - y);
    const span = db
      .prepare(`SELECT min(last_started_at) AS first, max(finished_at) AS last FROM async_events WHERE source = ? AND status = 'succeeded'`)
      .get(source) as { first: number | null; last: number | null };
    const seconds = span.first === null || span.last === null ? Number.NaN : (span.last - span.first) / 1000;
    return {
      succeeded: latencies.length,
      executedPerS: latencies.length / seconds,
      latencyP50S: percentile(latencies, 50) / 1000,
      latencyP90S: percentile(latencies, 90) / 1000,
      latencyP99S: percentile(latencies, 99) / 1000,
      latencyMaxS: percentile(latencies, 100) / 1000,
    };
  } finally {
    db.close();
  }
}

/** g: durable enqueues in a process of their own, no HTTP. */
async function enqueueOnly(ctx: BenchContext, round: number): Promise<Record<string, number>> {
  const outFile = join(ctx.tmpDir, `g-${round}.json`);
  const dataDir = join(ctx.tmpDir, `g-data-${round}`);
  const child = processes.spawn(
    'taskset',
    ['-c', ctx.options.serverCpus, process.execPath, '--import', 'tsx', join(BENCH_DIR, 'servers', 'async-enqueue.ts'), outFile, dataDir, String(ctx.options.durationS), String(ENQUEUE_CALLERS)],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | string>((resolve) => {
    child.once('exit', (exitCode, signal) => resolve(signal ?? exitCode ?? -1));
    child.once('error', (error) => resolve(error.message));
  });
  if (code !== 0) throw new Error(`async-enqueue.ts failed (${code}): ${stderr.trim()}`);
  const result = JSON.parse(readFileSync(outFile, 'utf8')) as { perS: number; p50Ms: number; p99Ms: number; accepted: number };
  ctx.log(`g: ${result.accepted} durable enqueues, ${result.perS.toFixed(0)}/s, p50 ${result.p50Ms.toFixed(2)} ms`);
  return { rps: result.perS, p50Ms: result.p50Ms, p99Ms: result.p99Ms };
}

async function customRow(
  ctx: BenchContext,
  row: { id: string; label: string; description: string },
  measure: (round: number) => Promise<Record<string, number>>,
  key: string,
): Promise<RowResult> {
  const trials: Trial[] = [];
  const warnings: string[] = [];
  for (let round = 1; round <= ctx.options.rounds; round++) {
    try {
      trials.push({ round, metrics: await measure(round) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      ctx.log(`${row.id}: ${reason.split('\n', 1)[0]}`);
      if (trials.length === 0 && round === ctx.options.rounds) {
        return { ...row, status: 'unavailable', reason, metrics: {}, trials, warnings };
      }
      warnings.push(`round ${round}: ${reason.split('\n', 1)[0]}`);
    }
  }
  const sorted = [...trials].sort((x, y) => x.metrics[key]! - y.metrics[key]!);
  return { ...row, status: 'ok', metrics: sorted[Math.floor((sorted.length - 1) / 2)]!.metrics, trials, warnings };
}

function figure(rows: RowResult[], id: string, metric: string, label: string, unit: string, target?: number): Ratio {
  const row = rows.find((r) => r.id === id);
  const value = row?.status === 'ok' ? row.metrics[metric] : undefined;
  if (value === undefined || !Number.isFinite(value)) return { label, value: null, note: `row ${id} unavailable` };
  return { label, value, unit, ...(target === undefined ? {} : { note: `target ${target.toLocaleString('en-US')}` }) };
}

export const asyncSubject = defineSubject({
  name: 'async',
  title: 'Async invocation: durable accepts, execution, a burst of 100k',
  async run(ctx) {
    const measured = await measureHttpRows(ctx, httpRows);
    const d = await customRow(
      ctx,
      { id: 'd', label: 'fngate Event invoke of noop, accepting and executing', description: 'POST /functions/noop/invoke with X-Fn-Invocation-Type: Event under wrk; executed/s counted in the store over the measured window.' },
      (round) => acceptAndExecute(ctx, round),
      'executedPerS',
    );
    const e = await customRow(
      ctx,
      {
        id: 'e',
        label: `burst of ${BURST_EVENTS.toLocaleString('en-US')} via topic batches`,
        description: `${BURST_EVENTS} CMQ events: POST /topics/burst/messages with ${BURST_BATCH} messages each, ${BURST_PUBLISHERS} at a time; noop subscribes. 2xx/s is events accepted per second; executed/s is events over the time from the first publish to an empty queue.`,
      },
      (round) => burst(ctx, round),
      'executedPerS',
    );
    if (e.status === 'ok') e.metrics.rps = e.metrics.publishedPerS!;
    const f = await customRow(
      ctx,
      {
        id: 'f',
        label: `drain of ${BURST_EVENTS.toLocaleString('en-US')} pre-queued events`,
        description: `${BURST_EVENTS} events of noop written to the store before fngate starts; executed/s is events over the time from the first attempt to the last finish.`,
      },
      (round) => drain(ctx, round),
      'executedPerS',
    );
    const g = await customRow(
      ctx,
      {
        id: 'g',
        label: 'durable enqueue without HTTP (200 callers)',
        description: `bench/servers/async-enqueue.ts on the server CPU: ${ENQUEUE_CALLERS} callers loop AsyncDispatcher.enqueue of one event each (committed before it resolves, group commit); 2xx/s is enqueues per second.`,
      },
      (round) => enqueueOnly(ctx, round),
      'rps',
    );
    const rows = [...measured, d, e, f, g];
    const ratios: Ratio[] = [
      figure(rows, 'c', 'rps', 'c durable accepts per second (Event invoke → 202)', '/s', ACCEPT_TARGET),
      ratio(rows, 'c', 'a', 'rps', 'c/a accepts vs node:http hello req/s (the HTTP ceiling)'),
      ratio(rows, 'c', 'h', 'rps', 'c/h accepts vs bare Hono req/s (body through the Request bridge)'),
      ratio(rows, 'i', 'c', 'rps', 'i/c accepts committed to the WAL vs fsynced accepts (the default)'),
      ratio(rows, 'c', 'b', 'rps', 'c/b accepts vs sync invokes'),
      figure(rows, 'g', 'rps', 'g durable enqueues per second without HTTP (the queue itself)', '/s', ACCEPT_TARGET),
      figure(rows, 'e', 'publishedPerS', 'e durable accepts per second in topic batches of 1,000', '/s', ACCEPT_TARGET),
      figure(rows, 'd', 'executedPerS', 'd executed per second while accepting', '/s', EXECUTE_TARGET),
      figure(rows, 'e', 'executedPerS', 'e executed per second through the burst (publishing at the same time)', '/s', EXECUTE_TARGET),
      figure(rows, 'f', 'executedPerS', 'f executed per second, execution alone (100k queued at start)', '/s', EXECUTE_TARGET),
      figure(rows, 'e', 'maxDepth', 'e max queue depth', 'events'),
      figure(rows, 'e', 'latencyP50S', 'e event latency p50 (accept → finish)', 's'),
      figure(rows, 'e', 'latencyP99S', 'e event latency p99', 's'),
      figure(rows, 'e', 'latencyMaxS', 'e event latency max', 's'),
      figure(rows, 'f', 'latencyP99S', 'f event latency p99 (all queued at once)', 's'),
    ];
    for (const r of ratios) ctx.log(`${r.label}: ${r.value === null ? `— (${r.note})` : `${r.value.toFixed(2)} ${r.unit ?? '×'}`}`);
    return {
      columns: COLUMNS,
      rows,
      ratios,
      notes: [
        'Durability: an Event invoke is answered only after the transaction holding the event is committed (accepts that arrive while one commit is in flight share the next transaction). Row c: synchronous=FULL, the default (the WAL fsynced: survives a power cut). Row i: synchronous=NORMAL (in the WAL file: survives kill -9 and any crash of fngate, not a power cut).',
        'Executed/s counts events whose record says succeeded; every execution also writes its invocation record and framed log lines (same store, same writer thread).',
        'Every fngate thread (HTTP, writer, isolates) shares the one server CPU; the publishers and wrk run on the load CPU.',
        'Row g is the same accept path without HTTP (the queue and the writer thread alone).',
        'On this shared 2-CPU box the figures moved by ±40% between runs of the same code (other jobs took the server CPU; see server CPU % and the load average).',
      ],
    };
  },
});
