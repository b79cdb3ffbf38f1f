/**
 * Per-request CPU of the invoke path, by process (bench/results/cpu-budget-python.md). Not a throughput
 * benchmark: one keep-alive connection sends N requests one after another, and the CPU each process of the
 * server's tree used over them is read from /proc (utime + stime), so a busy machine disturbs the figure
 * far less than it disturbs req/s.
 *
 *   node --import tsx bench/cpu-budget.ts python|python-unrecorded|pipe|pipe-one-in-flight|node|node-unrecorded|ivm [requests] [--connections=N] [--dist] [--cpu-prof] [--strace]
 *
 *   python  fngate serve bench/fixtures/python-hello (sandbox on, records and logs on), from the sources
 *   python-unrecorded  the same with gateway.recordInvocations off (bench/fixtures/python-hello-unrecorded)
 *   pipe    the python-http baseline: node:http + one python3 over NDJSON pipes (servers/node-python-pipe.ts)
 *   pipe-one-in-flight  the same, one line in the child at a time (SCF's one invocation per instance)
 *   node    fngate serve bench/fixtures, POST /functions/hello/invoke (the http benchmark's Node.js row)
 *   node-unrecorded  the same function with gateway.recordInvocations off (bench/fixtures/hello-unrecorded,
 *           the http benchmark's row r): next to `node`, what recording costs
 *   ivm     the pooled-isolate baseline: node:http + isolated-vm, one isolate per request in flight (servers/node-ivm.ts pool)
 *
 * --cpu-prof writes a V8 profile of the gateway to $PROFILE_DIR (default /tmp/cpu-budget-prof); read it with
 * `node bench/profile/cpuprofile-top.mjs <file> <requests> 40 <seconds of the measured window>`.
 * --strace counts the syscalls of every process of the tree over the measured requests (strace -c -f).
 * --connections=N keeps N requests in flight over N keep-alive connections (the http benchmark's 50): the
 * warm-up then brings up as many instances, and the CPU per request is the one under that concurrency.
 * Context switches per request (voluntary + involuntary, from /proc) are printed for each thread.
 * --wrk=S measures S seconds of wrk at N connections instead (the server pinned to CPU 0 and wrk to CPU 1, as
 * the http benchmark does; short, for CPU per request at saturation, not for req/s): it prints wrk's p99 too.
 * --perf records the server's threads with `perf record -g` over the measured window into
 * $PERF_FILE (default /tmp/cpu-budget.perf.data; node runs with --perf-basic-prof-only-functions so JavaScript
 * frames have names): `perf report -i <file> --no-children --sort comm,dso,sym`.
 * --clones counts the threads the server starts in the measured window (perf stat on the clone syscalls).
 * --dist runs fngate's build (dist/, `node bin/build.mjs`) as the http benchmark does, not the sources.
 * --node-flag=X (repeatable) passes X to the server's node too (an A/B of a Node or V8 option, e.g. --single-threaded-gc).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanup, processes } from './harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const [subject = 'python', countText = '3000'] = args.filter((arg) => !arg.startsWith('--'));
const requests = Number(countText);
const WARM_UP = Math.min(500, requests);
const cpuProf = args.includes('--cpu-prof');
const withStrace = args.includes('--strace');
const fromDist = args.includes('--dist');
const wrkSeconds = Number(args.find((arg) => arg.startsWith('--wrk='))?.split('=')[1] ?? '0');
const connections = Number(args.find((arg) => arg.startsWith('--connections='))?.split('=')[1] ?? '1');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const BODY = JSON.stringify({ name: 'bench' });

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const port = await freePort();
const withPerf = args.includes('--perf');
const prof = withPerf ? ['--perf-basic-prof-only-functions'] : cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR ?? '/tmp/cpu-budget-prof'}`] : [];
// --node-flag=X (repeatable): X goes to the server's node as well, for an A/B of a Node or V8 option.
prof.push(...args.filter((arg) => arg.startsWith('--node-flag=')).map((arg) => arg.slice('--node-flag='.length)));
/** `fngate serve <folder>` (records and logs on), invoked at `path`. */
const fngate = (folder: string, path: string): { command: string[]; path: string } => ({
  command: [
    process.execPath, '--no-node-snapshot', ...prof, join(ROOT, 'bin/fngate.js'), 'serve', join(ROOT, folder),
    '--port', String(port), '--host', '127.0.0.1', '--data-dir', mkdtempSync(join(tmpdir(), 'cpu-budget-')),
  ],
  path,
});
/** A baseline server of bench/servers/, invoked at `/`. */
const baseline = (nodeFlags: string[], file: string, extra: string[] = []): { command: string[]; path: string } => ({
  command: [process.execPath, ...nodeFlags, ...prof, '--import', 'tsx', join(ROOT, 'bench/servers', file), String(port), ...extra],
  path: '/',
});
const subjects: Record<string, () => { command: string[]; path: string }> = {
  python: () => fngate('bench/fixtures/python-hello', '/functions/python-hello/invoke'),
  'python-unrecorded': () => fngate('bench/fixtures/python-hello-unrecorded', '/functions/python-hello/invoke'),
  pipe: () => baseline([], 'node-python-pipe.ts'),
  'pipe-one-in-flight': () => baseline([], 'node-python-pipe.ts', ['--one-in-flight']),
  node: () => fngate('bench/fixtures', '/functions/hello/invoke'),
  'node-unrecorded': () => fngate('bench/fixtures/hello-unrecorded', '/functions/hello/invoke'),
  ivm: () => baseline(['--no-node-snapshot'], 'node-ivm.ts', ['pool']),
};
const chosen = subjects[subject]?.();
if (!chosen) throw new Error(`unknown subject ${subject}: python, python-unrecorded, pipe, pipe-one-in-flight, node, node-unrecorded or ivm`);
const pinned = wrkSeconds > 0 ? ['taskset', '-c', '0'] : [];
const launch = [...pinned, ...chosen.command];
// Owned like the harness's servers: an error thrown below, or a signal, still ends it and its group (a
// server left running once held the caller's stdout open after this script had failed).
installCleanup();
const server: ChildProcess = processes.spawn(launch[0]!, launch.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
  // The sources, not dist/, unless --dist: what is measured is what the checkout holds.
  env: fromDist ? process.env : { ...process.env, FNGATE_FROM_SOURCE: '1' },
});

const agent = new Agent({ keepAlive: true, maxSockets: connections });
function invoke(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: chosen!.path, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

for (let attempt = 0; ; attempt++) {
  try {
    await invoke();
    break;
  } catch (error) {
    if (attempt > 300) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      out.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter((s) => s.trim()).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}
function tree(root: number): number[] {
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]!));
  return all;
}
interface WrkDone {
  requests: number;
  durationUs: number;
  errors: Record<string, number>;
  latencyUs: Record<string, number>;
}
/** wrk for `seconds` at `connections`, pinned to CPU 1 (bench/wrk/post-json.lua writes its figures as JSON). */
function runWrk(seconds: number): WrkDone {
  const out = join(mkdtempSync(join(tmpdir(), 'cpu-budget-wrk-')), 'wrk.json');
  execFileSync('taskset', ['-c', '1', 'wrk', '-t', '1', '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', join(ROOT, 'bench/wrk/post-json.lua'), `http://127.0.0.1:${port}${chosen!.path}`], {
    env: { ...process.env, BENCH_BODY: BODY, BENCH_WRK_OUT: out },
    stdio: 'ignore',
  });
  return JSON.parse(readFileSync(out, 'utf8')) as WrkDone;
}
/** `count` requests, `connections` of them in flight at a time. */
async function invokeMany(count: number): Promise<void> {
  let left = count;
  const loop = async (): Promise<void> => {
    while (left > 0) {
      left--;
      await invoke();
    }
  };
  await Promise.all(Array.from({ length: Math.min(connections, count) }, loop));
}
/** A /proc file's text, or undefined once its process or thread is gone (they come and go under load). */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
function contextSwitches(statusPath: string): number | undefined {
  const status = readProc(statusPath);
  if (status === undefined) return undefined;
  return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]) + Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)![1]);
}
function ticks(statPath: string): number | undefined {
  const stat = readProc(statPath);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
function nameOf(pid: number): string {
  const words = readProc(`/proc/${pid}/cmdline`)?.split('\0').filter(Boolean) ?? [];
  if (words.length === 0) return '?';
  const script = words.find((word) => /\.(py|ts|mjs|js)$/.test(word));
  return [words[0]!.split('/').pop(), script?.split('/').pop()].filter(Boolean).join(' ');
}
/** CPU ticks of every process of the tree and of each thread of the server's main process. */
function snapshot(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of tree(server.pid!)) {
    const value = ticks(`/proc/${pid}/stat`);
    if (value !== undefined) out.set(`${pid} ${nameOf(pid)}`, value);
  }
  for (const tid of readdirSync(`/proc/${server.pid}/task`)) {
    const name = readProc(`/proc/${server.pid}/task/${tid}/comm`)?.trim();
    // A thread that ended since the listing (the baseline's isolated-vm starts and ends some under load).
    if (name === undefined) continue;
    const value = ticks(`/proc/${server.pid}/task/${tid}/stat`);
    if (value !== undefined) out.set(`  thread ${tid} ${name}`, value);
    const switches = contextSwitches(`/proc/${server.pid}/task/${tid}/status`);
    if (switches !== undefined) out.set(`~ ${tid} ${name}`, switches);
  }
  return out;
}

await invokeMany(Math.max(WARM_UP, connections * 20));
// wrk keeps every connection busy, which a Node client may not: warm up with it too, so that the
// measured window finds as many warm instances as connections (no cold start inside it).
if (wrkSeconds > 0) runWrk(1);
/** One `strace -c` per process of the tree (threads included), so each process's syscalls are counted apart. */
const tracers: Array<{ name: string; process: ChildProcess; output: string }> = [];
if (withStrace) {
  for (const pid of tree(server.pid!)) {
    const tracer = { name: `${pid} ${nameOf(pid)}`, process: spawn('strace', ['-c', '-f', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] }), output: '' };
    tracer.process.stderr!.on('data', (chunk: Buffer) => (tracer.output += chunk.toString()));
    tracers.push(tracer);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
const perf = withPerf
  ? spawn('perf', ['record', '-F', '999', '-g', '-o', process.env.PERF_FILE ?? '/tmp/cpu-budget.perf.data', '-p', String(server.pid)], { stdio: 'ignore' })
  : undefined;
/** Threads the server starts in the measured window (isolated-vm starts one per call when its pool is busy). */
let clones = '';
const cloneCounter = args.includes('--clones')
  ? spawn('perf', ['stat', '-x,', '-e', 'syscalls:sys_enter_clone,syscalls:sys_enter_clone3', '-p', String(server.pid)], { stdio: ['ignore', 'ignore', 'pipe'] })
  : undefined;
cloneCounter?.stderr!.on('data', (chunk: Buffer) => (clones += chunk.toString()));
if (perf) await new Promise((resolve) => setTimeout(resolve, 500));
const before = snapshot();
const wallStart = performance.now();
let measuredRequests = requests;
let wrkLine = '';
if (wrkSeconds > 0) {
  const done = runWrk(wrkSeconds);
  measuredRequests = done.requests;
  wrkLine = `wrk ${wrkSeconds}s: ${done.requests} requests, ${Math.round(done.requests / (done.durationUs / 1e6))} req/s, p50 ${(done.latencyUs.p50! / 1000).toFixed(2)} ms, p99 ${(done.latencyUs.p99! / 1000).toFixed(2)} ms, errors ${JSON.stringify(done.errors)}`;
} else {
  await invokeMany(requests);
}
const wallMs = performance.now() - wallStart;
const after = snapshot();
if (cloneCounter) {
  cloneCounter.kill('SIGINT');
  await new Promise((resolve) => cloneCounter.once('close', resolve));
}
if (perf) {
  perf.kill('SIGINT');
  await new Promise((resolve) => perf.once('close', resolve));
}
for (const tracer of tracers) tracer.process.kill('SIGINT');
await Promise.all(tracers.map((tracer) => new Promise((resolve) => tracer.process.once('close', resolve))));

const usPerTick = 1e6 / CLK_TCK;
console.log(`${subject}: ${measuredRequests} requests over ${connections} keep-alive connection(s), ${((wallMs * 1000) / measuredRequests).toFixed(0)} µs wall each; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
if (wrkLine) console.log(wrkLine);
if (cloneCounter) {
  const started = clones.split('\n').filter((line) => line.includes('clone')).reduce((sum, line) => sum + (Number(line.split(',')[0]) || 0), 0);
  console.log(`threads started in the measured window: ${started} (${(started / measuredRequests).toFixed(3)} per request)`);
}
let total = 0;
let switchesTotal = 0;
for (const [key, end] of after) {
  const start = before.get(key);
  if (start === undefined) continue;
  if (key.startsWith('~')) {
    switchesTotal += end - start;
    continue;
  }
  const us = ((end - start) * usPerTick) / measuredRequests;
  if (!key.startsWith(' ')) total += us;
  if (us > 0 || !key.startsWith(' ')) console.log(`${key.padEnd(48)} ${us.toFixed(1).padStart(8)} µs/request`);
}
const switchesByThread = [...after].filter(([key]) => key.startsWith('~')).map(([key, end]) => [key.split(' ').slice(2).join(' '), (end - (before.get(key) ?? end)) / measuredRequests] as const).filter(([, perRequest]) => perRequest >= 0.05);
console.log(`context switches of the server's threads: ${(switchesTotal / measuredRequests).toFixed(2)} per request (${switchesByThread.map(([name, perRequest]) => `${name} ${perRequest.toFixed(2)}`).join(', ')})`);
console.log(`${'total (processes)'.padEnd(48)} ${total.toFixed(1).padStart(8)} µs/request (${CLK_TCK} ticks/s: ±${((usPerTick / measuredRequests) * 2).toFixed(1)} µs per process)`);
for (const tracer of tracers) {
  // Only the table, and only processes that made calls: idle spares show nothing.
  const table = tracer.output.split('\n').filter((line) => /^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+/.test(line) || line.includes('total'));
  const rows = table.filter((line) => !line.includes('total')).map((line) => {
    const words = line.trim().split(/\s+/);
    return { name: words[words.length - 1]!, calls: Number(words[3]) };
  });
  const calls = rows.reduce((sum, row) => sum + row.calls, 0);
  if (calls < requests / 10) continue;
  const perRequest = rows.filter((row) => row.calls >= requests / 10).map((row) => `${row.name} ${(row.calls / measuredRequests).toFixed(2)}`).join(', ');
  console.log(`syscalls of ${tracer.name}: ${(calls / measuredRequests).toFixed(1)} per request (${perRequest})`);
}
agent.destroy();
// The server's own group: fngate ends its function processes when it gets SIGTERM.
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
