// A burst of requests to a cold Python function, through the real gateway: its sandboxed instances start
// a few at a time (runtimes/start-gate.ts), and every request is answered.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { MAX_CONCURRENT_PROCESS_STARTS, PROCESS_STARTS } from '../../runtimes/start-gate.ts';
import { startTestGateway } from '../helpers/gateway.ts';

const ECHO = fileURLToPath(new URL('../fixtures/python/cases/echo', import.meta.url));
const SAMPLE_MS = 2;

t.test('a burst to a cold Python function starts at most the gate\'s limit at once and answers every request', async (t) => {
  // Enough requests that, all starting together, they would go past the limit.
  const requests = MAX_CONCURRENT_PROCESS_STARTS + 4;
  const gateway = await startTestGateway(t, {
    functions: { echo: { src: ECHO, handler: 'index.main_handler', runtime: 'Python3.9', timeout: 60, reservedConcurrency: requests } },
  });
  const pool = gateway.services.registry.lookup('default', 'echo').pool;
  let mostStarting = 0;
  let mostGateRunning = 0;
  const sampler = setInterval(() => {
    mostStarting = Math.max(mostStarting, pool.info().filter((instance) => instance.state === 'starting').length);
    mostGateRunning = Math.max(mostGateRunning, PROCESS_STARTS.running);
  }, SAMPLE_MS);
  t.teardown(() => clearInterval(sampler));
  const answers = await Promise.all(Array.from({ length: requests }, (_, n) => gateway.invoke('echo', { n })));
  clearInterval(sampler);
  t.same(
    answers.map((answer) => answer.status),
    Array(requests).fill(200),
    'every request answered',
  );
  t.same(
    answers.map((answer) => answer.json?.n),
    Array.from({ length: requests }, (_, n) => n),
    'each with its own event',
  );
  t.ok(mostStarting >= 1, `the sampler saw instances starting (${mostStarting} at most)`);
  t.ok(mostStarting <= MAX_CONCURRENT_PROCESS_STARTS, `at most ${MAX_CONCURRENT_PROCESS_STARTS} started at once (saw ${mostStarting})`);
  t.ok(mostGateRunning <= MAX_CONCURRENT_PROCESS_STARTS, 'the gate never held more');
  t.ok(pool.size <= requests, `${pool.size} instances for ${requests} requests`);
  t.equal(PROCESS_STARTS.running, 0, 'every place given back');
});
