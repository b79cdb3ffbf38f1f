// Per-request CPU of each process on the web path (bench/results/web-budget.md): starts one server
// (pinned with taskset), warms it with wrk, then reads utime+stime of every process in its tree from
// /proc around a measured wrk run and prints µs of CPU per request for each process.
//
//   node bench/profile/web-cpu.mjs fngate|naive|direct [seconds] [--cpu-prof]
//
// --cpu-prof also writes a V8 CPU profile of the gateway (or proxy) to $PROFILE_DIR (default /tmp/web-prof):
// read it with `node bench/profile/cpuprofile-top.mjs <file> <requests>`.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_SCRIPT = join(ROOT, 'bench/fixtures/web/node/server.mjs');
const [mode = 'fngate', secondsText = '5'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const cpuProf = process.argv.includes('--cpu-prof');
const profileDir = process.env.PROFILE_DIR ?? '/tmp/web-prof';
const seconds = Number(secondsText);
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const port = await freePort();
const prof = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1' };
const commands = {
  fngate: [process.execPath, '--no-node-snapshot', ...prof, join(ROOT, 'bin/fngate.js'), 'serve', join(ROOT, 'bench/fixtures/web'), '--port', String(port), '--host', '127.0.0.1', '--data-dir', mkdtempSync(join(tmpdir(), 'webprof-'))],
  naive: [process.execPath, ...prof, join(ROOT, 'bench/servers/web-naive-proxy.mjs'), SERVER_SCRIPT],
  direct: [process.execPath, ...prof, SERVER_SCRIPT],
};
const path = mode === 'fngate' ? '/web/web-node/' : '/';
const child = spawn('taskset', ['-c', '0', ...commands[mode]], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}${path}`;

for (let i = 0; ; i++) {
  try {
    const r = await fetch(url, { method: 'POST', body: '{"name":"bench"}' });
    if (r.status === 200) break;
  } catch {}
  if (i > 600) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 100));
}

function children(pid) {
  const out = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) out.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number));
  } catch {}
  return out;
}
function tree(root) {
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]));
  return all;
}
function cpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const name = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).map((a) => a.split('/').pop()).slice(0, 3).join(' ');
    return { name, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}
/** Every process of the tree, and each thread of the first (the gateway: main, libuv pool, store writer). */
function snapshot() {
  const entries = tree(child.pid).map((pid) => [String(pid), cpu(pid)]);
  try {
    for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
      const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      entries.push([`${child.pid}/${tid}`, { name: `  thread ${comm}`, ticks: Number(fields[11]) + Number(fields[12]) }]);
    }
  } catch {}
  return new Map(entries.filter(([, v]) => v));
}

const out = join(tmpdir(), `wrk-${process.pid}.json`);
function wrk(duration) {
  execFileSync('taskset', ['-c', '1', 'wrk', '-t1', '-c50', `-d${duration}s`, '-s', join(ROOT, 'bench/wrk/post-json.lua'), url], {
    env: { ...process.env, BENCH_WRK_OUT: out, BENCH_BODY: '{"name":"bench"}' },
    stdio: 'ignore',
  });
  return JSON.parse(readFileSync(out, 'utf8'));
}

const warm = wrk(2);
const before = snapshot();
const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const result = wrk(seconds);
const after = snapshot();
const requests = result.requests;
console.log(`${mode}: ${requests} requests in ${seconds}s = ${(requests / seconds).toFixed(0)} req/s, p50 ${(result.latencyUs.p50 / 1000).toFixed(2)} ms, p99 ${(result.latencyUs.p99 / 1000).toFixed(2)} ms, load ${load0}`);
console.log(`  (${warm.requests + requests} requests in all, with the warm-up: the divisor for a --cpu-prof profile)`);
let total = 0;
for (const [pid, end] of after) {
  const start = before.get(pid)?.ticks ?? 0;
  const us = ((end.ticks - start) / CLK_TCK) * 1e6 / requests;
  if (!pid.includes('/')) total += us;
  if (us > 0.5) console.log(`  ${String(pid).padStart(7)} ${us.toFixed(1).padStart(7)} µs/req  ${end.name}`);
}
console.log(`  total ${total.toFixed(1)} µs/req`);
writeFileSync(join(tmpdir(), `web-cpu-${mode}.json`), JSON.stringify({ mode, requests, seconds, totalUsPerReq: total }));
process.kill(child.pid, 'SIGINT');
await new Promise((r) => child.once('exit', r));
