// A Python instance's own cost per invocation, without HTTP, pipeline or recording: N sequential
// `SubprocessInstance.invoke` calls on a warm python-hello instance (sandboxed as fngate runs it), against
// the python-http baseline's loop (one python3 answering NDJSON lines over its pipes) driven the same way.
// Prints wall µs per call, this process's CPU µs per call, and the python3 processes' CPU µs per call.
//
//   taskset -c 0 node --no-node-snapshot --import tsx bench/profile/python-instance.ts [calls]
//
// Pinned to one CPU as the benchmarks pin the server: the interpreter and the caller take turns on it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { newRequestId } from '../../gateway/request-id.ts';
import { Cancellation } from '../../runtimes/cancellation.ts';
import { pythonRuntime } from '../../runtimes/python/adapter.ts';
import type { FunctionSpec } from '../../runtimes/runtime.ts';
import { startPipeLoop } from '../servers/python-pipe-loop.ts';

const CALLS = Number(process.argv[2] ?? 20_000);
const WARM_UP = 2_000;
const PAYLOAD = '{"name":"bench"}';
const CODE_DIR = fileURLToPath(new URL('../fixtures/python-hello', import.meta.url));
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** utime + stime of every python3 process now running, in µs (the instance's interpreter sits in a sandbox). */
function pythonCpuUs(): number {
  let ticks = 0;
  const pids = execFileSync('pgrep', ['-x', 'python3'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone meanwhile.
    }
  }
  return (ticks * 1e6) / CLK_TCK;
}

async function measure(label: string, call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < WARM_UP; i++) await call();
  const python = pythonCpuUs();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) await call();
  const wallUs = ((performance.now() - started) * 1000) / CALLS;
  const used = process.cpuUsage(cpu);
  const pythonUs = (pythonCpuUs() - python) / CALLS;
  console.log(`${label}: ${wallUs.toFixed(1)} µs wall, ${((used.user + used.system) / CALLS).toFixed(1)} µs CPU here, python ${pythonUs.toFixed(1)} µs per call`);
}

async function rawPipe(): Promise<void> {
  const { python, ask } = startPipeLoop();
  await measure('raw pipe (the baseline loop)', () => ask(PAYLOAD));
  python.kill();
}

async function instance(): Promise<void> {
  const adapter = pythonRuntime();
  const spec: FunctionSpec = {
    namespace: 'default', name: 'python-hello', version: '$LATEST', runtime: 'Python3.9', type: 'event',
    handler: 'index.main_handler', handlerStyle: 'scf', initializer: undefined, codeDir: CODE_DIR, layerDirs: [],
    memoryMb: 128, timeoutMs: 3000, initTimeoutMs: 10_000, environment: {},
    platform: { region: 'ap-guangzhou', appId: '1250000000', uin: '100000000001' },
  };
  const warm = adapter.createInstance(spec);
  await warm.start();
  // One signal for every call, as the pipeline's own per-invocation Cancellation costs an object only.
  const signal = new Cancellation().signal;
  await measure('SubprocessInstance.invoke', () => warm.invoke({ requestId: newRequestId(), payload: PAYLOAD, deadline: Date.now() + 3000, signal }));
  await warm.close();
  await adapter.close?.();
}

await rawPipe();
await instance();
process.exit(0);
