#!/usr/bin/env node
/**
 * CPU per durable accept and per execution of the async path, by thread, for A/B runs of two checkouts
 * (bench/results/async-ab.md). Not a throughput benchmark: the figure is CPU time (utime + stime of every
 * thread of the server, from /proc/<pid>/task/<tid>/stat) divided by the events over a short window, which
 * a busy machine disturbs far less than it disturbs events/s. Alternate the checkouts, take medians.
 *
 *   node bench/profile/async-cpu.mjs <checkout> accept [full|normal] [seconds]
 *       fngate serve <checkout>/bench/fixtures/async (full) or async-nofsync (normal), pinned to CPU 0;
 *       wrk -c50 on CPU 1 sends Event invokes of `sink` (never runs): CPU µs per 202.
 *   node bench/profile/async-cpu.mjs <checkout> drain full [seconds]
 *       40,000 events of `noop` written to the store first (through the checkout's own store), then
 *       fngate runs them: CPU µs per succeeded event over the window.
 *
 * The checkout needs a current dist/ (node bin/build.mjs). PROF=1 adds --cpu-prof (to $PROFILE_DIR,
 * default <tmp>/async-cpu-prof; read it with bench/profile/cpuprofile-top.mjs).
 * `main` is the event loop thread; `node` is every other thread Node names so: the store's writer thread
 * and, when functions run, isolated-vm's isolate threads.
 */

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
const [repo, mode, sync = 'full', secs = '3'] = process.argv.slice(2);
const Database = (await import(join(repo, 'node_modules/better-sqlite3/lib/index.js'))).default;
const port = await new Promise((r) => { const s = createServer().listen(0, () => { const p = s.address().port; s.close(() => r(p)); }); });
const dataDir = mkdtempSync(join(tmpdir(), 'async-cpu-'));
const prefillFile = `${dataDir}-prefill.mts`;
const wrkOut = `${dataDir}-wrk.json`;
const profDir = process.env.PROFILE_DIR ?? join(tmpdir(), 'async-cpu-prof');
const N = 40000;
if (mode === 'drain') {
  const db = new Database(join(dataDir, 'fngate.db'));
  db.close();
  // prefill through the repo's own store
  const code = `import { openStore } from '${repo}/store/index.ts'; const s = await openStore({ dataDir: '${dataDir}' }); const now = Date.now();
  await s.queue.insert(Array.from({ length: ${N} }, (_, i) => ({ requestId: 'drain-' + i, namespace: 'default', functionName: 'noop', qualifier: '$LATEST', source: 'invoke', payload: '{"name":"bench"}', enqueuedAt: now }))); await s.close();`;
  writeFileSync(prefillFile, code);
  const r = spawnSync(process.execPath, ['--import', 'tsx', prefillFile], { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
const project = join(repo, 'bench/fixtures', sync === 'normal' ? 'async-nofsync' : 'async');
const child = spawn('taskset', ['-c', '0', process.execPath, '--no-node-snapshot', ...(process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), join(repo, 'bin/fngate.js'), 'serve', project, '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir],
  { cwd: repo, env: { ...process.env, FNGATE_API_TOKEN: 'tok' }, stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try { const r = await fetch(`${url}/topics/probe/messages`, { method: 'POST', headers: { authorization: 'Bearer tok', 'content-type': 'application/json' }, body: '{"msgBody":"x"}' }); if (r.status === 202) break; } catch {}
  if (i > 400) throw new Error('not ready');
  await new Promise((r) => setTimeout(r, 50));
}
const pid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0] || child.pid);
const realPid = readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim() === 'taskset' ? pid : child.pid;
function threads() {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${realPid}/task`)) {
    try {
      const s = readFileSync(`/proc/${realPid}/task/${tid}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {}
  }
  return out;
}
function diff(a, b, count) {
  const groups = {};
  for (const [tid, t] of b) {
    const d = t.ticks - (a.get(tid)?.ticks ?? 0);
    const name = tid === String(realPid) ? 'main' : t.comm;
    groups[name] = (groups[name] ?? 0) + d;
  }
  const res = {};
  let total = 0;
  for (const [k, v] of Object.entries(groups)) { if (v > 0) res[k] = +(v * 1e4 / count).toFixed(1); total += v; }
  res.total = +(total * 1e4 / count).toFixed(1);
  if (process.env.THREADS) {
    // Every thread by creation order (tid): V8's helpers first, then the writer and isolated-vm's pool.
    res.threads = [...b].sort((x, y) => Number(x[0]) - Number(y[0]))
      .map(([tid, t]) => +((t.ticks - (a.get(tid)?.ticks ?? 0)) * 1e4 / count).toFixed(1));
  }
  return res;
}
let result;
if (mode === 'accept') {
  const env = { ...process.env, BENCH_HEADERS: 'X-Fn-Invocation-Type: Event', BENCH_WRK_OUT: wrkOut };
  const wrk = (d) => spawnSync('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${d}s`, '-s', join(repo, 'bench/wrk/post-json.lua'), `${url}/functions/sink/invoke`], { env, encoding: 'utf8' });
  wrk(1);
  const a = threads();
  const w = wrk(Number(secs));
  const b = threads();
  const out = JSON.parse(readFileSync(wrkOut, 'utf8'));
  const non2xx = out.errors.status;
  const ok = out.requests - non2xx;
  result = { mode, sync, rps: Math.round(ok / (out.durationUs / 1e6)), p50ms: out.latencyUs.p50 / 1000, non2xx, perAccept: diff(a, b, ok) };
} else {
  const db = new Database(join(dataDir, 'fngate.db'), { readonly: true });
  const count = () => db.prepare(`SELECT count(*) FROM async_events WHERE status = 'succeeded'`).pluck().get();
  await new Promise((r) => setTimeout(r, 500));
  const c0 = count(); const a = threads(); const t0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(secs) * 1000));
  const c1 = count(); const b = threads(); const wall = (performance.now() - t0) / 1000;
  result = { mode, executedPerS: Math.round((c1 - c0) / wall), done: c1, perExecution: diff(a, b, c1 - c0) };
  db.close();
}
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });
rmSync(prefillFile, { force: true });
rmSync(wrkOut, { force: true });
console.log(JSON.stringify(result));
