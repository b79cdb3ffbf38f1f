/**
 * The dispatcher against a real SQLite store, a manual clock and a scripted executor: retry schedule,
 * dead letters, redrive, throttling, expiry, the pending cap, fairness, terminate, leases and shutdown.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { backoffDelay, type BackoffOptions } from '../../gateway/async/backoff.ts';
import { AsyncDispatcher, CAPACITY_POLL_MS, type AsyncDispatcherOptions, type EnqueueItem } from '../../gateway/async/dispatcher.ts';
import { FnError } from '../../gateway/errors.ts';
import type { SqliteStore } from '../../store/index.ts';
import { defer, deferred, fail, FakeExecutor, fakeTarget, ManualClock, ok, tempStore, waitFor, type FakeTarget } from './helpers.ts';

const RETRY: BackoffOptions = { baseMs: 1000, factor: 2, maxMs: 60_000 };
const THROTTLE: BackoffOptions = { baseMs: 100, factor: 2, maxMs: 1000 };
/** Jitter fixed at the middle: delay = nominal * 0.75. */
const HALF = (): number => 0.5;

let sequence = 0;
function item(fn: string, payload: unknown = {}): EnqueueItem {
  sequence++;
  return { requestId: `req-${sequence}`, namespace: 'default', functionName: fn, qualifier: '$LATEST', source: 'invoke', payload: JSON.stringify(payload) };
}

async function setup(
  t: Parameters<Parameters<typeof tap.test>[0]>[0],
  targets: FakeTarget[],
  options: Partial<AsyncDispatcherOptions> = {},
  existing?: { store: SqliteStore; clock: ManualClock },
  { crash = false } = {},
) {
  const store = existing?.store ?? (await tempStore(t)).store;
  const clock = existing?.clock ?? new ManualClock();
  const executor = new FakeExecutor();
  for (const target of targets) executor.add(target);
  const dispatcher = new AsyncDispatcher({
    store: store.queue,
    executor,
    clock,
    random: HALF,
    retryBackoff: RETRY,
    throttleBackoff: THROTTLE,
    shutdownGraceMs: 50,
    claimDelayMs: 0,
    ...options,
  });
  dispatcher.start();
  // A "crashed" dispatcher is abandoned, as a killed process would be: never closed.
  if (!crash) defer(t, () => dispatcher.close());
  const record = async (requestId: string) => {
    await store.queue.flush();
    return store.queue.get(requestId)!;
  };
  return { store, clock, executor, dispatcher, record };
}
const tap = t;

t.test('backoff: exponential, capped, with equal jitter', async (t) => {
  t.equal(backoffDelay(1, RETRY, () => 0), 500);
  t.equal(backoffDelay(1, RETRY, () => 1), 1000);
  t.equal(backoffDelay(3, RETRY, HALF), 3000);
  t.equal(backoffDelay(20, RETRY, () => 1), 60_000, 'capped at maxMs');
});

t.test('function errors are retried retryNum times with backoff, then dead-lettered', async (t) => {
  const { clock, executor, dispatcher, record, store } = await setup(t, [fakeTarget('fn', { retryNum: 2 })]);
  executor.handler = () => fail(430, 'user code exception caught');
  const event = item('fn');
  await dispatcher.enqueue([event]);
  await waitFor(() => executor.calls.length === 1, 'first attempt');
  await waitFor(() => dispatcher.peekState(event.requestId)?.status === 'retrying', 'retrying');
  const first = clock.now();
  t.equal(dispatcher.peekState(event.requestId)!.availableAt, first + 750, 'retry 1 after 1 s × 0.75');

  clock.advance(749);
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(executor.calls.length, 1, 'not before its time');
  clock.advance(1);
  await waitFor(() => executor.calls.length === 2, 'second attempt');
  await waitFor(() => dispatcher.peekState(event.requestId)?.failures === 2, 'second failure');
  t.equal(dispatcher.peekState(event.requestId)!.availableAt, clock.now() + 1500, 'retry 2 after 2 s × 0.75');

  clock.advance(1500);
  await waitFor(() => executor.calls.length === 3, 'third attempt');
  await waitFor(() => dispatcher.peekState(event.requestId) === undefined, 'final');
  clock.advance(60_000);
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(executor.calls.length, 3, 'no fourth attempt: retryNum 2 means three in all');

  const dead = await record(event.requestId);
  t.match(dead, { status: 'dead', attempts: 3, failures: 3, lastStatusCode: 430, deadReason: /failed 3 time\(s\).*430: user code exception caught/ });
  t.same(dead.history.map((h) => [h.attempt, h.outcome, h.statusCode]), [[1, 'failed', 430], [2, 'failed', 430], [3, 'failed', 430]]);
  t.equal(dead.history[1]!.startedAt - dead.history[0]!.endedAt!, 750, 'attempt timestamps follow the schedule');
  t.same(store.queue.deadLetters({ namespace: 'default', functionName: 'fn', limit: 10 }).map((r) => r.requestId), [event.requestId]);
});

t.test('retryNum 0: one attempt; 5xx and timeouts count as function errors', async (t) => {
  const { executor, dispatcher, record } = await setup(t, [fakeTarget('fn', { retryNum: 0 })]);
  executor.handler = (call) => fail(call.payload.includes('timeout') ? 433 : 500);
  const a = item('fn', { kind: 'timeout' });
  const b = item('fn', { kind: 'internal' });
  await dispatcher.enqueue([a, b]);
  await waitFor(() => dispatcher.stats()[0]!.pending === 0, 'both final');
  t.match(await record(a.requestId), { status: 'dead', attempts: 1, lastStatusCode: 433 });
  t.match(await record(b.requestId), { status: 'dead', attempts: 1, lastStatusCode: 500 });
});

t.test('redrive puts a dead letter back with fresh retries; redrive-all and purge', async (t) => {
  const { executor, dispatcher, record, store } = await setup(t, [fakeTarget('fn', { retryNum: 0 })]);
  executor.handler = () => fail(430);
  const events = [item('fn'), item('fn'), item('fn')];
  await dispatcher.enqueue(events);
  await waitFor(() => dispatcher.stats()[0]!.pending === 0, 'all dead');
  await store.queue.flush();
  t.equal(store.queue.deadLetters({ namespace: 'default', functionName: 'fn', limit: 10 }).length, 3);

  executor.handler = () => ok('"second time lucky"');
  await dispatcher.redrive(events[0]!.requestId);
  await waitFor(() => dispatcher.peekState(events[0]!.requestId) === undefined, 'redriven event final');
  const redriven = await record(events[0]!.requestId);
  t.match(redriven, { status: 'succeeded', attempts: 2, failures: 0, redrives: 1, result: '"second time lucky"', deadReason: null });
  t.same(redriven.history.map((h) => h.outcome), ['failed', 'redriven', 'succeeded']);
  await t.rejects(dispatcher.redrive(events[0]!.requestId), { code: 'INVALID_PARAMETER', message: /succeeded, not a dead letter/ });
  await t.rejects(dispatcher.redrive('nope'), { code: 'ASYNC_EVENT_NOT_FOUND' });

  executor.handler = () => fail(430);
  const summary = await dispatcher.redriveAll('default', 'fn', '$LATEST');
  t.same(summary, { redriven: [events[1]!.requestId, events[2]!.requestId], left: 0 });
  await waitFor(() => dispatcher.stats()[0]!.pending === 0, 'dead again');
  t.equal(await dispatcher.purge('default', 'fn'), 2);
  t.equal((await record(events[1]!.requestId)).status, 'failed');
  t.same(store.queue.deadLetters({ namespace: 'default', functionName: 'fn', limit: 10 }), []);
});

t.test('throttled attempts (432) wait with backoff and spend no retry', async (t) => {
  const { clock, executor, dispatcher, record } = await setup(t, [fakeTarget('fn', { retryNum: 0 })]);
  executor.handler = (_call, attempt) => (attempt <= 4 ? fail(432, 'no capacity') : ok());
  const event = item('fn');
  await dispatcher.enqueue([event]);
  for (let n = 1; n <= 4; n++) {
    await waitFor(() => dispatcher.peekState(event.requestId)?.throttles === n, `throttle ${n}`);
    t.equal(dispatcher.peekState(event.requestId)!.status, 'queued', 'a throttled event is not retrying');
    clock.advance(1000);
  }
  await waitFor(() => dispatcher.peekState(event.requestId) === undefined, 'final');
  t.match(await record(event.requestId), { status: 'succeeded', attempts: 5, failures: 0, throttles: 4 });
});

t.test('events wait while their function has no free slot, without attempts', async (t) => {
  const target = fakeTarget('fn', { limit: 1, retryNum: 0 });
  const { clock, executor, dispatcher, record } = await setup(t, [target]);
  const gate = deferred();
  executor.handler = async () => {
    await gate.promise;
    return ok();
  };
  const events = [item('fn'), item('fn'), item('fn')];
  await dispatcher.enqueue(events);
  await waitFor(() => executor.calls.length === 1, 'one running');
  clock.advance(120_000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(executor.calls.length, 1, 'the others wait for the slot');
  t.match(dispatcher.stats()[0], { pending: 3, ready: 2, running: 1 });
  t.match(await record(events[2]!.requestId), { status: 'queued', attempts: 0 });
  gate.resolve();
  await waitFor(() => dispatcher.stats()[0]!.pending === 0, 'all done');
  for (const event of events) t.match(await record(event.requestId), { status: 'succeeded', attempts: 1, failures: 0 });
});

t.test('maxEventAge: waiting events expire to the dead-letter queue; so does a retry past it', async (t) => {
  const blocked = fakeTarget('blocked', { limit: 0, maxEventAgeMs: 60_000 });
  const flaky = fakeTarget('flaky', { retryNum: 5, maxEventAgeMs: 2_000 });
  const { clock, executor, dispatcher, record, store } = await setup(t, [blocked, flaky], { expirySweepMs: 1000 });
  executor.handler = () => fail(430);
  const waiting = item('blocked');
  const retried = item('flaky');
  await dispatcher.enqueue([waiting, retried]);
  await waitFor(() => dispatcher.peekState(retried.requestId)?.failures === 1, 'first failure');
  clock.advance(750);
  // The second attempt fails too; the next retry would come 1.5 s later, past the 2 s maxEventAge.
  await waitFor(() => dispatcher.peekState(retried.requestId) === undefined, 'expired at once');
  t.equal(executor.callsOf(retried.requestId).length, 2);
  t.match(await record(retried.requestId), { status: 'expired', attempts: 2, deadReason: /maxEventAge of 2 s reached after 2 attempt/ });

  clock.advance(59_000);
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal((await record(waiting.requestId)).status, 'queued', 'not yet');
  clock.advance(1_000);
  await waitFor(() => dispatcher.peekState(waiting.requestId) === undefined, 'expired by the sweep');
  t.match(await record(waiting.requestId), { status: 'expired', attempts: 0, deadReason: /not run within maxEventAge of 60 s/ });
  t.equal(store.queue.deadLetters({ namespace: 'default', functionName: 'blocked', limit: 10 }).length, 1);
});

t.test('maxPendingEvents: past it enqueue is refused as a whole; queued events are untouched', async (t) => {
  const { executor, dispatcher, record } = await setup(t, [fakeTarget('fn', { maxPendingEvents: 3, limit: 0 }), fakeTarget('other')]);
  executor.handler = () => ok();
  const first = [item('fn'), item('fn')];
  await dispatcher.enqueue(first);
  await t.rejects(dispatcher.enqueue([item('other'), item('fn'), item('fn')]), {
    code: 'ASYNC_QUEUE_FULL',
    status: 432,
    message: /queue of function fn is full: 2 of 3/,
  });
  t.match(dispatcher.stats().find((s) => s.functionName === 'other'), { pending: 0 }, 'all or nothing');
  await dispatcher.enqueue([item('fn')]);
  await t.rejects(dispatcher.enqueue([item('fn')]), { code: 'ASYNC_QUEUE_FULL' });
  for (const event of first) t.equal((await record(event.requestId)).status, 'queued');
  await t.rejects(dispatcher.enqueue([item('undeployed')]), { code: 'FUNCTION_NOT_FOUND' });
});

t.test('fairness: with one global slot, a deep queue and a short one alternate', async (t) => {
  const { clock, executor, dispatcher } = await setup(t, [fakeTarget('deep'), fakeTarget('short')]);
  executor.globalLimit = 0;
  executor.handler = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return ok();
  };
  await dispatcher.enqueue(Array.from({ length: 100 }, () => item('deep')));
  await dispatcher.enqueue(Array.from({ length: 5 }, () => item('short')));
  // The deep backlog is there first; then one global slot frees up.
  executor.globalLimit = 1;
  clock.advance(1000);
  await waitFor(() => dispatcher.stats().every((s) => s.pending === 0), 'all done');
  const order = executor.calls.map((call) => call.fn);
  t.same(order.slice(0, 10), ['deep', 'short', 'deep', 'short', 'deep', 'short', 'deep', 'short', 'deep', 'short'], 'round-robin');
  t.equal(order.length, 105);
});

t.test('terminate: a queued event at once, a running one through its signal', async (t) => {
  const { executor, dispatcher, record } = await setup(t, [fakeTarget('fn', { limit: 1 })]);
  executor.handler = (call) =>
    new Promise((resolve) => {
      call.signal.addEventListener('abort', () => resolve({ statusCode: (call.signal.reason as FnError).status, errorMessage: 'cancelled', durationMs: 1 }));
    });
  const running = item('fn');
  const waiting = item('fn');
  await dispatcher.enqueue([running, waiting]);
  await waitFor(() => executor.calls.length === 1, 'first running');
  t.equal(await dispatcher.terminate(waiting.requestId), 'terminated');
  t.equal(await dispatcher.terminate(running.requestId), 'terminated');
  t.match(await record(running.requestId), { status: 'terminated', lastStatusCode: 499 });
  t.same((await record(running.requestId)).history.map((h) => h.outcome), ['terminated']);
  t.match(await record(waiting.requestId), { status: 'terminated', attempts: 0 });
  await t.rejects(dispatcher.terminate(running.requestId), { code: 'INVALID_PARAMETER', message: /already terminated/ });
  await t.rejects(dispatcher.terminate('nope'), { code: 'ASYNC_EVENT_NOT_FOUND' });
  t.equal(executor.calls.length, 1, 'the terminated waiting event never ran');
});

t.test('leases: after a crash, a claimed event runs again once its lease has passed', async (t) => {
  const { store } = await tempStore(t);
  const clock = new ManualClock();
  const crashed = await setup(t, [fakeTarget('fn', { leaseMs: 30_000 })], {}, { store, clock }, { crash: true });
  crashed.executor.handler = () => new Promise(() => {}); // the attempt never ends: the process "dies"
  const event = item('fn');
  await crashed.dispatcher.enqueue([event]);
  await waitFor(() => crashed.executor.calls.length === 1, 'claimed');
  const claimed = await crashed.record(event.requestId);
  t.match(claimed, { status: 'running', attempts: 1, leaseUntil: clock.now() + 30_000 });

  // A new dispatcher on the same database stands for the restarted gateway.
  clock.advance(10_000);
  const restarted = await setup(t, [fakeTarget('fn')], {}, { store, clock });
  restarted.executor.handler = () => ok();
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(restarted.executor.calls.length, 0, 'the lease still holds');
  t.match(await restarted.record(event.requestId), { status: 'queued', availableAt: claimed.leaseUntil });
  clock.advance(20_000);
  await waitFor(() => restarted.executor.calls.length === 1, 'run again');
  await waitFor(() => restarted.dispatcher.peekState(event.requestId) === undefined, 'final');
  const final = await restarted.record(event.requestId);
  t.match(final, { status: 'succeeded', attempts: 2, failures: 0 });
  t.same(final.history.map((h) => h.outcome), ['interrupted', 'succeeded']);
});

t.test('close: running attempts get a grace period, then go back to the queue without spending a retry', async (t) => {
  const { store } = await tempStore(t);
  const clock = new ManualClock();
  const first = await setup(t, [fakeTarget('fn', { retryNum: 0 })], {}, { store, clock });
  first.executor.handler = (call) =>
    new Promise((resolve) => call.signal.addEventListener('abort', () => resolve(fail(499, 'cancelled'))));
  const event = item('fn');
  await first.dispatcher.enqueue([event]);
  await waitFor(() => first.executor.calls.length === 1, 'running');
  await first.dispatcher.close();
  t.match(await first.record(event.requestId), { status: 'queued', failures: 0, leaseUntil: null });
  await t.rejects(first.dispatcher.enqueue([item('fn')]), { code: 'CANCELLED' });

  const second = await setup(t, [fakeTarget('fn', { retryNum: 0 })], {}, { store, clock });
  await waitFor(() => second.dispatcher.peekState(event.requestId) === undefined, 'ran after the restart');
  t.match(await second.record(event.requestId), { status: 'succeeded', attempts: 2 });
});

t.test('an undeployed function keeps its events until they expire', async (t) => {
  const { store } = await tempStore(t);
  const clock = new ManualClock();
  const first = await setup(t, [fakeTarget('gone', { limit: 0 })], {}, { store, clock });
  const event = item('gone');
  await first.dispatcher.enqueue([event]);
  await first.dispatcher.close();
  const second = await setup(t, [], { expirySweepMs: 60_000 }, { store, clock });
  t.match(second.dispatcher.stats(), [{ functionName: 'gone', deployed: false, pending: 1 }]);
  clock.advance(6 * 60 * 60 * 1000);
  await waitFor(() => second.dispatcher.stats()[0]!.pending === 0, 'expired');
  t.equal((await second.record(event.requestId)).status, 'expired');
});

t.test('claims are written in a flush: attempts that end before it cost one state write', async (t) => {
  const { clock, executor, dispatcher, record } = await setup(t, [fakeTarget('fn', { leaseMs: 30_000 })], { claimDelayMs: 250 });
  const gate = deferred();
  executor.handler = async (call) => {
    if (call.payload.includes('slow')) await gate.promise;
    return ok();
  };
  const fast = item('fn', { kind: 'fast' });
  const slow = item('fn', { kind: 'slow' });
  await dispatcher.enqueue([fast, slow]);
  await waitFor(() => dispatcher.peekState(fast.requestId) === undefined && executor.calls.length === 2, 'fast one done, slow one running');
  t.match(await record(slow.requestId), { status: 'queued', attempts: 0 }, 'not claimed yet');
  const startedAt = clock.now();
  clock.advance(250);
  t.match(await record(slow.requestId), { status: 'running', attempts: 1, leaseUntil: startedAt + 30_000 }, 'claimed by the flush');
  t.match(await record(fast.requestId), { status: 'succeeded', attempts: 1 });
  gate.resolve();
  await waitFor(() => dispatcher.peekState(slow.requestId) === undefined, 'slow one done');
});

t.test('backpressure: no attempt starts while the writer is behind, and starts once it caught up', async (t) => {
  // A real backlog: another connection holds the database's write lock, so rows pushed to the writer
  // thread wait in it. The attempt must wait while they do, and start once they are committed.
  const { store, dataDir } = await tempStore(t);
  const { executor, dispatcher, clock } = await setup(t, [fakeTarget('fn')], { maxWriteBacklog: 5 }, { store, clock: new ManualClock() });
  executor.globalLimit = 0;
  const event = item('fn');
  await dispatcher.enqueue([event]);
  const locker = new Database(join(dataDir, 'fngate.db'));
  t.teardown(() => locker.close());
  locker.exec('BEGIN IMMEDIATE');
  const lines = Array.from({ length: 10 }, (_, i) => ({ requestId: `log-${i}`, time: clock.now(), line: `line ${i}` }));
  store.recordLogs({ namespace: 'default', functionName: 'fn' }, lines);
  t.ok(store.queue.writeBacklog > 5, 'the writer is behind');
  executor.globalLimit = Number.POSITIVE_INFINITY;
  clock.advance(CAPACITY_POLL_MS);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(executor.calls.length, 0, 'a backlog over the limit holds the attempt back');
  t.equal(dispatcher.stats()[0]!.pending, 1, 'the held-back event is still pending, not lost');
  locker.exec('COMMIT');
  await store.queue.flush();
  t.equal(store.queue.writeBacklog, 0, 'the writer caught up');
  clock.advance(CAPACITY_POLL_MS);
  await waitFor(() => executor.calls.length === 1, 'the attempt starts once the writer caught up');
  t.equal(executor.calls[0]!.requestId, event.requestId);
});

t.test('events left by an earlier run get their own payloads, loaded at start; one too big to cache is read when it runs', async (t) => {
  const { store } = await tempStore(t);
  const clock = new ManualClock();
  // 150 events another process accepted (none in this dispatcher's cache), one too big to cache.
  const events = Array.from({ length: 150 }, (_, i) => item('fn', { n: i, pad: i === 70 ? 'x'.repeat(10_000) : '' }));
  await store.queue.insert(events.map((event) => ({ ...event, enqueuedAt: clock.now() })));
  const reads: number[] = [];
  const read = store.queue.payloads.bind(store.queue);
  store.queue.payloads = (requestIds) => {
    reads.push(requestIds.length);
    return read(requestIds);
  };
  const { executor, dispatcher } = await setup(t, [fakeTarget('fn', { limit: 5 })], {}, { store, clock });
  await waitFor(() => events.every((event) => dispatcher.peekState(event.requestId) === undefined), 'all ran');
  t.equal(executor.calls.length, 150, 'each ran once');
  for (const call of executor.calls) t.equal(call.payload, events.find((event) => event.requestId === call.requestId)!.payload);
  t.same(reads, [1], 'one read while they ran: the payload over the cache\'s size cap, alone');
});
