// The built-ins and http server pieces npm packages need at load (issue 8, the compat suite's gaps), in the
// isolate through the real gateway: every case of fixtures/node-compat-gaps/cases/cases.js must return in
// the isolate exactly what real Node returns for it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/node-compat-gaps/', import.meta.url));

const gateway = await startTestGateway(t, {
  functions: {
    cases: { src: `${FIXTURES}cases`, runtime: 'Nodejs18.15', timeout: 30, memorySize: 256 },
    'http2-connect': { src: `${FIXTURES}http2-connect`, runtime: 'Nodejs18.15' },
    uncaught: { src: `${FIXTURES}uncaught`, runtime: 'Nodejs18.15', timeout: 10 },
  },
});

const oracle = JSON.parse(execFileSync(process.execPath, [`${FIXTURES}oracle.js`], { encoding: 'utf8' })) as Record<string, unknown>;

t.test('each case returns what real Node returns', async (t) => {
  for (const [name, expected] of Object.entries(oracle)) {
    const response = await gateway.invoke('cases', { case: name });
    t.equal(response.status, 200, `${name}: ${response.text}`);
    t.same(response.json, expected, name);
  }
});

t.test('http2 loads, but opening a session fails at the call and points to nodeRuntime: process', async (t) => {
  const response = await gateway.invoke('http2-connect');
  t.equal(response.status, 200, response.text);
  t.match(response.json, { threw: true, message: /http2\.connect\(\) is not available in the isolate.*nodeRuntime: process/ });
});


t.test('an uncaught exception fails the invocation at once, even while a server or socket keeps the loop busy', async (t) => {
  const started = Date.now();
  const response = await gateway.invoke('uncaught');
  t.not(response.status, 200, response.text);
  t.match(response.text, /boom in a listener/);
  t.ok(Date.now() - started < 5000, 'long before the 10 s timeout');
});
