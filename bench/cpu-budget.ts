/**
 * Per-request CPU of the invoke path, by process (bench/results/cpu-budget-python.md). Not a throughput
 * benchmark: one keep-alive connection sends N requests one after another, and the CPU each process of the
 * server's tree used over them is read from /proc (utime + stime), so a busy machine disturbs the figure
 * far less than it disturbs req/s.
 *
 *   node --import tsx bench/cpu-budget.ts python|pipe|node|ivm [requests] [--cpu-prof] [--strace]
 *
 *   python  fngate serve bench/fixtures/python-hello (sandbox on, records and logs on), from the sources
 *   pipe    the python-http baseline: node:http + one python3 over NDJSON pipes (servers/node-python-pipe.ts)
 *   node    fngate serve bench/fixtures, POST /functions/hello/invoke (the http benchmark's Node.js row)
 *   ivm     the pooled-isolate baseline: node:http + isolated-vm, one isolate per request in flight (servers/node-ivm.ts pool)
 *
 * --cpu-prof writes a V8 profile of the gateway to $PROFILE_DIR (default /tmp/cpu-budget-prof); read it with
 * `node bench/profile/cpuprofile-top.mjs <file> <requests> 40 <seconds of the measured window>`.
 * --strace counts the syscalls of every process of the tree over the measured requests (strace -c -f).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const [subject = 'python', countText = '3000'] = args.filter((arg) => !arg.startsWith('--'));
const requests = Number(countText);
const WARM_UP = Math.min(500, requests);
const cpuProf = args.includes('--cpu-prof');
const withStrace = args.includes('--strace');
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
const prof = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR ?? '/tmp/cpu-budget-prof'}`] : [];
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
  pipe: () => baseline([], 'node-python-pipe.ts'),
  node: () => fngate('bench/fixtures', '/functions/hello/invoke'),
  ivm: () => baseline(['--no-node-snapshot'], 'node-ivm.ts', ['pool']),
};
const chosen = subjects[subject]?.();
if (!chosen) throw new Error(`unknown subject ${subject}: python, pipe, node or ivm`);
const server: ChildProcess = spawn(chosen.command[0]!, chosen.command.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'],
  // The sources, not dist/: what is measured is what the checkout holds.
  env: { ...process.env, FNGATE_FROM_SOURCE: '1' },
});

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
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
function ticks(statPath: string): number | undefined {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}
function nameOf(pid: number): string {
  try {
    const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const script = words.find((word) => /\.(py|ts|mjs|js)$/.test(word));
    return [words[0]!.split('/').pop(), script?.split('/').pop()].filter(Boolean).join(' ');
  } catch {
    return '?';
  }
}
/** CPU ticks of every process of the tree and of each thread of the server's main process. */
function snapshot(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of tree(server.pid!)) {
    const value = ticks(`/proc/${pid}/stat`);
    if (value !== undefined) out.set(`${pid} ${nameOf(pid)}`, value);
  }
  for (const tid of readdirSync(`/proc/${server.pid}/task`)) {
    const name = readFileSync(`/proc/${server.pid}/task/${tid}/comm`, 'utf8').trim();
    const value = ticks(`/proc/${server.pid}/task/${tid}/stat`);
    if (value !== undefined) out.set(`  thread ${tid} ${name}`, value);
  }
  return out;
}

for (let i = 0; i < WARM_UP; i++) await invoke();
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
const before = snapshot();
const wallStart = performance.now();
for (let i = 0; i < requests; i++) await invoke();
const wallMs = performance.now() - wallStart;
const after = snapshot();
for (const tracer of tracers) tracer.process.kill('SIGINT');
await Promise.all(tracers.map((tracer) => new Promise((resolve) => tracer.process.once('close', resolve))));

const usPerTick = 1e6 / CLK_TCK;
console.log(`${subject}: ${requests} requests over one keep-alive connection, ${((wallMs * 1000) / requests).toFixed(0)} µs wall each; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
let total = 0;
for (const [key, end] of after) {
  const start = before.get(key);
  if (start === undefined) continue;
  const us = ((end - start) * usPerTick) / requests;
  if (!key.startsWith(' ')) total += us;
  if (us > 0 || !key.startsWith(' ')) console.log(`${key.padEnd(48)} ${us.toFixed(1).padStart(8)} µs/request`);
}
console.log(`${'total (processes)'.padEnd(48)} ${total.toFixed(1).padStart(8)} µs/request (${CLK_TCK} ticks/s: ±${((usPerTick / requests) * 2).toFixed(1)} µs per process)`);
for (const tracer of tracers) {
  // Only the table, and only processes that made calls: idle spares show nothing.
  const table = tracer.output.split('\n').filter((line) => /^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+/.test(line) || line.includes('total'));
  const rows = table.filter((line) => !line.includes('total')).map((line) => {
    const words = line.trim().split(/\s+/);
    return { name: words[words.length - 1]!, calls: Number(words[3]) };
  });
  const calls = rows.reduce((sum, row) => sum + row.calls, 0);
  if (calls < requests / 10) continue;
  const perRequest = rows.filter((row) => row.calls >= requests / 10).map((row) => `${row.name} ${(row.calls / requests).toFixed(2)}`).join(', ');
  console.log(`syscalls of ${tracer.name}: ${(calls / requests).toFixed(1)} per request (${perRequest})`);
}
agent.destroy();
// The server's own group: fngate ends its function processes when it gets SIGTERM.
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
