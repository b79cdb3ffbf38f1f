/**
 * Async invocation through the real gateway and Node functions: accept, results, errors, retries and
 * dead letters, terminate, throttling, fairness, provisioned instances, expiry.
 */
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { AsyncClient, fixture } from './client.ts';

const node = (name: string, extra: Record<string, unknown> = {}) => ({ src: fixture(name), runtime: 'Nodejs18.15', ...extra });

const gateway = await startTestGateway(t, {
  gateway: { concurrencyLimit: 4 },
  functions: {
    echo: node('echo'),
    flaky: node('flaky', { retryNum: 1 }),
    doomed: node('flaky', { retryNum: 0 }),
    sleepy: node('sleep', { timeout: 10 }),
    single: node('sleep', { reservedConcurrency: 1 }),
    fairA: node('sleep', { reservedConcurrency: 4 }),
    fairB: node('sleep', { reservedConcurrency: 4 }),
    capped: node('echo', { reservedConcurrency: 0, maxPendingEvents: 3, maxEventAge: 1 }),
    warm: node('echo', { provisionedConcurrency: 2 }),
  },
});
const client = new AsyncClient(gateway.url);

t.test('Event invokes answer 202 with the request ID once stored; the result lands on the record and in the logs', async (t) => {
  const accepted = await client.invokeAsync('echo', { name: 'async' });
  t.equal(accepted.status, 202);
  t.match(accepted.json, { RequestId: /^[0-9a-f-]{36}$/ });
  t.equal(accepted.headers.get('x-scf-request-id'), accepted.json.RequestId);

  const event = await client.waitFor(accepted.json.RequestId);
  t.match(event, {
    RequestId: accepted.json.RequestId,
    function: 'echo',
    source: 'invoke',
    status: 'succeeded',
    attemptCount: 1,
    statusCode: 200,
    event: { name: 'async' },
    result: { got: { name: 'async' } },
  });
  t.match(event.attempts, [{ attempt: 1, outcome: 'succeeded', statusCode: 200, startedAt: /Z$/, endedAt: /Z$/ }]);
  const lines = await gateway.logs('echo', accepted.json.RequestId);
  t.match(lines[0], /^START RequestId: /);
  t.ok(lines.some((line) => line.includes('event {"name":"async"}')), 'the user log line');
  t.ok(lines.some((line) => line.startsWith('Report RequestId: ')), 'the report');
});

t.test('Event invoke errors: 406 over 128 KB, 400 not JSON, 435 unknown function', async (t) => {
  const big = await client.invokeAsync('echo', { pad: 'x'.repeat(128 * 1024) });
  t.equal(big.status, 406);
  t.match(big.json, { statusCode: 406, errorMessage: /131072 byte limit/ });
  t.equal((await client.invokeAsync('echo', '{"a":')).status, 400);
  t.equal((await client.invokeAsync('nope', {})).status, 435);
  const justUnder = await client.invokeAsync('echo', { pad: 'x'.repeat(128 * 1024 - 20) });
  t.equal(justUnder.status, 202, 'just under 128 KB is accepted');
});

t.test('function errors are retried, then dead-lettered; redrive and purge over HTTP', async (t) => {
  const failing = await client.invokeAsync('flaky', { fail: true });
  const event = await client.waitFor(failing.json.RequestId, undefined, 15_000);
  t.match(event, { status: 'dead', attemptCount: 2, retriesSpent: 2, statusCode: 430, deadReason: /failed 2 time\(s\) \(retryNum 1\).*planned failure/ });
  t.same(event.attempts.map((a: any) => [a.attempt, a.statusCode]), [[1, 430], [2, 430]]);
  t.ok(Date.parse(event.attempts[1].startedAt) - Date.parse(event.attempts[0].endedAt) >= 450, 'the retry waited for its backoff');

  // Fails for the next second; with retryNum 0 it dies at once, and a redrive after that succeeds.
  const soon = await client.invokeAsync('doomed', { failUntil: Date.now() + 1000 });
  const other = await client.invokeAsync('doomed', { fail: true });
  await client.waitFor(soon.json.RequestId);
  await client.waitFor(other.json.RequestId);
  const letters = (await client.request('GET', '/dead-letters?function=doomed')).json.deadLetters;
  t.same(letters.map((l: any) => l.RequestId).sort(), [soon.json.RequestId, other.json.RequestId].sort());
  t.match(letters[0], { status: 'dead', event: {} });

  await new Promise((resolve) => setTimeout(resolve, 1000));
  const redrive = await client.request('POST', `/dead-letters/${soon.json.RequestId}/redrive`);
  t.equal(redrive.status, 200);
  const redriven = await client.waitFor(soon.json.RequestId, (e) => e.status === 'succeeded');
  t.match(redriven, { redrives: 1, attemptCount: 2, retriesSpent: 0 });
  t.same(redriven.attempts.map((a: any) => a.outcome), ['failed', 'redriven', 'succeeded']);
  t.equal((await client.request('POST', `/dead-letters/${soon.json.RequestId}/redrive`)).status, 436, 'not a dead letter any more');
  t.equal((await client.request('POST', '/dead-letters/nope/redrive')).status, 404);

  const all = await client.request('POST', '/dead-letters/redrive?function=doomed');
  t.match(all.json, { redriven: 1, left: 0 });
  await client.waitFor(other.json.RequestId, (e) => e.redrives === 1 && e.status === 'dead');
  const purge = await client.request('DELETE', '/dead-letters?function=doomed');
  t.same(purge.json, { purged: 1 });
  t.equal((await client.event(other.json.RequestId)).status, 'failed');
  t.same((await client.request('GET', '/dead-letters?function=doomed')).json.deadLetters, []);
  t.equal((await client.request('GET', '/dead-letters')).status, 436, 'function is required');
});

t.test('DELETE terminates a running event through its signal (499) and a queued one at once', async (t) => {
  const running = await client.invokeAsync('single', { ms: 5000 });
  const queued = await client.invokeAsync('single', { ms: 10 });
  await client.waitFor(running.json.RequestId, (e) => e.status === 'running');
  const stopped = await client.request('DELETE', `/async-events/${running.json.RequestId}`);
  t.same(stopped.json, { RequestId: running.json.RequestId, status: 'terminated' });
  const event = await client.event(running.json.RequestId);
  t.match(event, { status: 'terminated', statusCode: 499, attempts: [{ outcome: 'terminated', statusCode: 499 }] });
  t.ok(Date.parse(event.finishedAt) - Date.parse(event.attempts[0].startedAt) < 4000, 'it did not run to the end');
  // The queued one may have started by now (the slot freed); either way it ends.
  await client.request('DELETE', `/async-events/${queued.json.RequestId}`);
  t.ok(['terminated', 'succeeded'].includes((await client.waitFor(queued.json.RequestId)).status));
  t.equal((await client.request('DELETE', `/async-events/${running.json.RequestId}`)).status, 436, 'already final');
  t.equal((await client.request('DELETE', '/async-events/nope')).status, 404);
});

t.test('throttled events wait for the single slot and spend no retry', async (t) => {
  // Accepted at once and 800 ms each: on a loaded machine the accepts must not outlast the first runs.
  const accepted = await Promise.all(Array.from({ length: 5 }, (_, i) => client.invokeAsync('single', { ms: 800, tag: i })));
  const ids = accepted.map((response) => response.json.RequestId);
  const waiting = await client.list('function=single&status=queued');
  t.ok(waiting.length >= 3, `${waiting.length} events wait in the queue while one runs`);
  for (const id of ids) t.match(await client.waitFor(id), { status: 'succeeded', attemptCount: 1, retriesSpent: 0 });
  const instances = (await client.request('GET', '/functions/single/instances')).json.instances;
  t.ok(instances.length <= 1, 'one instance, one at a time');
});

t.test('fairness: a short queue is not stuck behind a deep one', async (t) => {
  const deep = await Promise.all(Array.from({ length: 60 }, (_, i) => client.invokeAsync('fairA', { ms: 60, tag: i })));
  const short = await Promise.all(Array.from({ length: 6 }, (_, i) => client.invokeAsync('fairB', { ms: 60, tag: i })));
  const shortDone = await Promise.all(short.map((r) => client.waitFor(r.json.RequestId, undefined, 30_000)));
  const deepDone = await Promise.all(deep.map((r) => client.waitFor(r.json.RequestId, undefined, 30_000)));
  const lastShort = Math.max(...shortDone.map((e) => Date.parse(e.finishedAt)));
  const deepFinish = deepDone.map((e) => Date.parse(e.finishedAt)).sort((a, b) => a - b);
  t.ok(lastShort < deepFinish[Math.floor(deepFinish.length / 2)]!, 'the short queue finished before half of the deep one');
});

t.test('maxPendingEvents over HTTP: 432 AsyncQueueFull; waiting events expire after maxEventAge', async (t) => {
  const first = [];
  for (let i = 0; i < 3; i++) first.push(await client.invokeAsync('capped', { i }));
  t.same(first.map((r) => r.status), [202, 202, 202]);
  const refused = await client.invokeAsync('capped', { i: 3 });
  t.equal(refused.status, 432);
  t.equal(refused.headers.get('x-scf-error-type'), 'AsyncQueueFull');
  t.match(refused.json, { statusCode: 432, errorMessage: /queue of function capped is full: 3 of 3/ });
  // reservedConcurrency 0: nothing runs; maxEventAge 1 s: they expire into the dead-letter queue.
  for (const r of first) {
    t.match(await client.waitFor(r.json.RequestId, undefined, 10_000), { status: 'expired', attemptCount: 0, deadReason: /not run within maxEventAge of 1 s/ });
  }
  t.equal((await client.invokeAsync('capped', {})).status, 202, 'room again');
});

t.test('provisioned instances are warm: no Init Report on the first request, a Provisioned Report each', async (t) => {
  const before = (await client.request('GET', '/functions/warm/instances')).json.instances;
  t.equal(before.length, 2, 'two instances before any request');
  t.ok(before.every((i: any) => i.provisioned && i.state === 'idle'));
  const response = await gateway.invoke('warm', { name: 'first' });
  t.equal(response.status, 200);
  const lines = await gateway.logs('warm', response.requestId!);
  t.ok(lines.some((line) => line.startsWith('Report RequestId')));
  t.notOk(lines.some((line) => line.startsWith('Init Report')), 'no Init Report: the instance was already warm');
  const all = (await (await gateway.api('/functions/warm/logs')).json()) as { lines: Array<{ line: string }> };
  t.equal(all.lines.filter((l) => l.line.startsWith('Provisioned Report')).length, 2);
  const asyncRun = await client.invokeAsync('warm', {});
  await client.waitFor(asyncRun.json.RequestId);
  t.notOk((await gateway.logs('warm', asyncRun.json.RequestId)).some((line) => line.startsWith('Init Report')));
});

t.test('listing and queue depths', async (t) => {
  const events = await client.list('function=echo&limit=2');
  t.equal(events.length, 2);
  t.notOk('event' in events[0], 'listings leave the event out');
  t.equal((await client.request('GET', '/async-events?status=bogus')).status, 436);
  const queues = await client.queues();
  t.ok(queues.some((q) => q.functionName === 'echo' && q.deployed));
});
