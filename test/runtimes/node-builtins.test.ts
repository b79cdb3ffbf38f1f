// Node's pure-JavaScript built-ins in the isolate, through the real gateway: every case of
// fixtures/node-builtins/cases/cases.js must return in the isolate exactly what real Node returns for it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { onDemandPartRequests, shimSource } from '../../runtimes/node/shim.ts';
import { startTestGateway } from '../helpers/gateway.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/node-builtins/', import.meta.url));
const fixture = (name: string): string => `${FIXTURES}${name}`;

const gateway = await startTestGateway(t, {
  functions: {
    cases: { src: fixture('cases'), runtime: 'Nodejs18.15', timeout: 30, memorySize: 256 },
    hello: { src: fixture('hello'), runtime: 'Nodejs18.15' },
    'child-process': { src: fixture('child-process'), runtime: 'Nodejs18.15' },
    addon: { src: fixture('addon'), runtime: 'Nodejs18.15' },
  },
});

t.test('a hello function evaluates none of the built-ins: its cold start asks for no on-demand part', async (t) => {
  const before = onDemandPartRequests();
  const response = await gateway.invoke('hello', { name: 'x' });
  t.equal(response.status, 200, response.text);
  t.equal(onDemandPartRequests(), before, 'no part was fetched');
  // Names only the on-demand parts' code has: none of it is in the script every cold start compiles.
  t.notMatch(shimSource(), /ERR_STREAM_PREMATURE_CLOSE|ERR_ASSERTION|AsyncLocalStorage|PerformanceObserver|TracingChannel/, 'the parts are not in the cold-start shim');
  await gateway.invoke('cases', { case: 'identity' });
  t.ok(onDemandPartRequests() > before, 'the counter does count: requiring stream fetches parts');
});

t.test('process-only built-ins and native addons fail the load with 443 and point to nodeRuntime: process', async (t) => {
  for (const [name, pattern] of [
    ['child-process', /Cannot load module "child_process": .*nodeRuntime: process/],
    ['addon', /native addons .*\.node.*nodeRuntime: process/],
  ] as const) {
    const response = await gateway.invoke(name);
    t.equal(response.status, 443, `${name}: ${response.text}`);
    t.match(response.json?.errorMessage ?? response.text, pattern, name);
  }
});

const oracle = JSON.parse(execFileSync(process.execPath, [`${FIXTURES}oracle.js`], { encoding: 'utf8' })) as Record<string, unknown>;

t.test('each case returns what real Node returns', async (t) => {
  for (const [name, expected] of Object.entries(oracle)) {
    const response = await gateway.invoke('cases', { case: name });
    t.equal(response.status, 200, `${name}: ${response.text}`);
    t.same(response.json, expected, name);
  }
});
