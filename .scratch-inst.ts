import { readdirSync, readFileSync } from 'node:fs';
import { nodeRuntime } from './runtimes/node/adapter.ts';
import { nodeSpec } from './test/helpers/node-instances.ts';
import { Cancellation } from './runtimes/cancellation.ts';
import ivm from 'isolated-vm';
const inst = nodeRuntime.createInstance({ ...nodeSpec('x'), codeDir: new URL('./bench/fixtures/hello', import.meta.url).pathname });
await inst.start();
function threads() { const m = new Map<string, number>(); for (const t of readdirSync('/proc/self/task')) { const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); m.set(t, Number(f[11]) + Number(f[12])); } return m; }
const N = 20000;
async function round(fnCall: () => Promise<unknown>) {
  const a = threads(); const c = process.cpuUsage();
  for (let i = 0; i < N; i++) await fnCall();
  const u = process.cpuUsage(c); const b = threads();
  const main = ((b.get(String(process.pid))! - a.get(String(process.pid))!) * 1e4) / N;
  let other = 0; for (const [k, v] of b) if (k !== String(process.pid)) other += v - (a.get(k) ?? 0);
  return `proc ${((u.user + u.system) / N).toFixed(1)} main ${main.toFixed(1)} others ${((other * 1e4) / N).toFixed(1)}`;
}
const iso = new ivm.Isolate({ memoryLimit: 128 }); const ctx = iso.createContextSync();
ctx.evalSync('globalThis.h = async (id, p, d) => "0" + JSON.stringify({ hello: JSON.parse(p).name ?? "world" })');
const h = ctx.global.getSync('h', { reference: true });
for (let r = 0; r < 3; r++) {
  console.log('fngate inst', await round(() => inst.invoke({ requestId: 'abc-' + r, payload: '{"name":"bench"}', deadline: Date.now() + 3000, signal: new Cancellation() })));
  console.log('bare ivm   ', await round(() => h.apply(undefined, ['abc', '{"name":"bench"}', 5], { result: { promise: true } })));
}
await inst.close();
