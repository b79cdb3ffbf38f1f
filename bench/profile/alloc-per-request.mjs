#!/usr/bin/env node
/**
 * Heap allocation and young-generation GC per request of the warm Node.js invoke, for A/B runs of two
 * checkouts. Bytes allocated per request do not depend on how
 * busy the machine is, unlike CPU µs, so small cuts show here first. Alternate the checkouts.
 *
 *   node --experimental-websocket bench/profile/alloc-per-request.mjs <checkout> alloc [port] [rows]
 *       V8's sampling heap profiler over 3 s of wrk -c50 (objects collected by GC included): bytes per
 *       request, in all and under the request path's roots (HTTP parser, microtasks, isolated-vm
 *       callbacks, timers), then the allocation sites with the most bytes per request.
 *   node bench/profile/alloc-per-request.mjs <checkout> gc [port] [--fixture=hello-unrecorded]
 *       --trace-gc-nvp over the same window: scavenges, their average and longest pause, and bytes that
 *       survived a scavenge and that were promoted to the old generation, per request.
 *
 * fngate serve <checkout>/bench/fixtures (or --fixture=<folder> of it; its dist/: run `node bin/build.mjs` there first) pinned to CPU 0,
 * wrk on CPU 1 after a 2 s warm-up, as bench/cpu-budget.ts --wrk does. Another path: --path=<url path>, e.g.
 * --fixture=web --path=/web/web-node/ for web passthrough (bench/results/web-budget.md).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const [checkout, mode = 'alloc', portText = '18990', rowsText = '30'] = args.filter((arg) => !arg.startsWith('--'));
/** --fixture=<folder of bench/fixtures>: hello-unrecorded is the same function with recording off. */
const fixture = args.find((arg) => arg.startsWith('--fixture='))?.slice('--fixture='.length) ?? '';
if (!checkout || (mode !== 'alloc' && mode !== 'gc')) throw new Error('usage: alloc-per-request.mjs <checkout> alloc|gc [port] [rows]');
const port = Number(portText);
const inspectPort = port + 1000;
/** --path=<url path>: what wrk posts to (default the hello's invoke). */
const path = args.find((arg) => arg.startsWith('--path='))?.slice('--path='.length) ?? '/functions/hello/invoke';
const url = `http://127.0.0.1:${port}${path}`;
const gcLog = join(mkdtempSync(join(tmpdir(), 'alloc-per-request-')), 'gc.txt');
const flags = mode === 'alloc' ? [`--inspect=127.0.0.1:${inspectPort}`] : ['--trace-gc-nvp'];
const server = spawn(
  'sh',
  ['-c', `exec taskset -c 0 "$0" --no-node-snapshot "$@" > ${gcLog} 2>&1`, process.execPath, ...flags, join(checkout, 'bin/fngate.js'), 'serve',
    join(checkout, 'bench/fixtures', fixture), '--port', String(port), '--host', '127.0.0.1', '--data-dir', mkdtempSync(join(tmpdir(), 'alloc-per-request-data-'))],
  { stdio: 'ignore' },
);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
for (let i = 0; ; i++) {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`);
    break;
  } catch (error) {
    if (i > 150) throw error;
    await sleep(200);
  }
}
const wrk = (seconds) =>
  execFileSync('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${seconds}s`, '-s', join(checkout, 'bench/wrk/post-json.lua'), url], { encoding: 'utf8' });
const requestsOf = (out) => Number(/(\d+) requests in/.exec(out)[1]);
wrk(2);

if (mode === 'gc') {
  const before = readFileSync(gcLog, 'latin1').length;
  const requests = requestsOf(wrk(3));
  server.kill('SIGTERM');
  await sleep(500);
  // The main isolate's scavenges only: the writer thread's heap (a few MB) logs its own lines.
  const lines = readFileSync(gcLog, 'latin1').slice(before).split('\n').filter((line) => line.includes('gc=s '));
  const field = (line, name) => Number(new RegExp(`(?:^|\\s)${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
  const main = lines.filter((line) => field(line, 'total_size_before') > 12e6);
  const sum = (name) => main.reduce((total, line) => total + field(line, name), 0);
  const pauses = main.map((line) => field(line, 'pause'));
  console.log(
    `${requests} requests, ${main.length} scavenges, pause avg ${(sum('pause') / main.length).toFixed(2)} ms, max ${Math.max(...pauses).toFixed(2)} ms; ` +
      `per request: survived ${(sum('new_space_survived') / requests).toFixed(0)} B, promoted ${(sum('promoted') / requests).toFixed(0)} B`,
  );
  process.exit(0);
}

const targets = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json();
const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
await new Promise((resolve) => socket.addEventListener('open', resolve, { once: true }));
let lastId = 0;
const pending = new Map();
socket.addEventListener('message', ({ data }) => {
  const message = JSON.parse(data);
  pending.get(message.id)?.(message.result);
  pending.delete(message.id);
});
const call = (method, params = {}) =>
  new Promise((resolve) => {
    pending.set(++lastId, resolve);
    socket.send(JSON.stringify({ id: lastId, method, params }));
  });
await call('HeapProfiler.enable');
await call('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const requests = requestsOf(wrk(3));
const { profile } = await call('HeapProfiler.stopSampling');
socket.close();
server.kill('SIGTERM');

const ROOTS = /^(parserOnIncoming|parserOnHeadersComplete|onStreamRead|processTicksAndRejections|listOnTimeout|processTimers)$|ivm|Callback/;
const bySite = new Map();
let total = 0;
let onPath = 0;
const walk = (node, underRoot) => {
  const { functionName, url: file, lineNumber } = node.callFrame;
  const site = `${functionName || '(anonymous)'} ${file.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${lineNumber + 1}`;
  const here = underRoot || ROOTS.test(functionName);
  total += node.selfSize;
  if (here) onPath += node.selfSize;
  bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child, here);
};
walk(profile.head, false);
console.log(`${requests} requests: ${(total / requests).toFixed(0)} B allocated per request (${(onPath / requests).toFixed(0)} under the request path's roots)`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(rowsText))) {
  console.log(`${(bytes / requests).toFixed(0).padStart(7)} B  ${site}`);
}
