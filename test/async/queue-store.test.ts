import Database from 'better-sqlite3';
import { join } from 'node:path';
import t from 'tap';
import { DB_FILE_NAME, MIGRATIONS } from '../../store/index.ts';
import { attemptJson, type AsyncEventState, type AttemptEntry, type NewAsyncEvent } from '../../store/queue-statements.ts';
import { newState } from '../../gateway/async/function-queue.ts';
import { tempStore } from './helpers.ts';

let sequence = 0;
function newEvent(overrides: Partial<NewAsyncEvent> = {}): NewAsyncEvent {
  sequence++;
  return {
    requestId: `evt-${sequence}`,
    namespace: 'default',
    functionName: 'fn',
    qualifier: '$LATEST',
    source: 'invoke',
    payload: JSON.stringify({ n: sequence }),
    enqueuedAt: 1_000 + sequence,
    ...overrides,
  };
}

function stateOf(event: NewAsyncEvent, overrides: Partial<AsyncEventState>): AsyncEventState {
  return { ...newState(event.requestId, event.enqueuedAt), ...overrides };
}

t.test('every migration ran and the queue tables exist', async (t) => {
  const { store, dataDir } = await tempStore(t);
  t.ok(store.queue, 'the store exposes its queue');
  const db = new Database(join(dataDir, DB_FILE_NAME), { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  const tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all());
  for (const table of ['async_events', 'topic_offsets', 'invocations', 'logs']) t.ok(tables.has(table), `table ${table}`);
});

t.test('insert is committed when it resolves; pending rows load back oldest first', async (t) => {
  const { store } = await tempStore(t);
  const events = [newEvent(), newEvent(), newEvent()];
  await store.queue.insert(events, [['orders', 42]]);
  t.same(store.queue.payloads([events[1]!.requestId, 'no-such-event']), new Map([[events[1]!.requestId, events[1]!.payload]]), 'readable at once, no flush needed');
  t.same(store.queue.topicOffsets(), new Map([['orders', 42]]));
  await store.queue.insert([], [['orders', 7]]);
  t.same(store.queue.topicOffsets(), new Map([['orders', 42]]), 'an offset never moves back');

  const pending = store.queue.loadPending();
  t.same(pending.map((row) => row.requestId), events.map((event) => event.requestId));
  t.match(pending[0], { status: 'queued', attempts: 0, qualifier: '$LATEST', source: 'invoke' });
  t.notOk('payload' in pending[0]!, 'payloads stay in the database');
});

t.test('attemptJson writes what JSON.stringify writes for every shape of history entry', async (t) => {
  const entries: AttemptEntry[] = [
    { attempt: 1, outcome: 'succeeded', startedAt: 1_764_490_000_000, endedAt: 1_764_490_000_005, durationMs: 0.52, statusCode: 200 },
    { attempt: 2, outcome: 'failed', startedAt: 5, endedAt: 7, durationMs: 1234.57, statusCode: 430, errorMessage: 'line "one"\nline\ttwo \u2028 é 😀 \\ end' },
    { attempt: 0, outcome: 'interrupted', startedAt: 3, endedAt: null, errorMessage: 'the gateway stopped' },
    { attempt: 3, outcome: 'redriven', startedAt: 9, endedAt: 9 },
    { attempt: 1, outcome: 'failed', startedAt: -0, endedAt: 1e21, durationMs: Number.NaN, statusCode: Number.POSITIVE_INFINITY },
    { attempt: 1, outcome: 'terminated', startedAt: 1, endedAt: 2, durationMs: 0 },
  ];
  for (const entry of entries) t.equal(attemptJson(entry), JSON.stringify(entry), entry.outcome);
});

t.test('loadPending brings the oldest payloads within its budget, and no payload past it', async (t) => {
  const { store } = await tempStore(t);
  const big = JSON.stringify({ text: 'é'.repeat(60) }); // 60 characters of 2 bytes each: over a 100-byte cap
  const events = [newEvent(), newEvent({ payload: big }), newEvent(), newEvent(), newEvent()];
  // Same enqueue time for the last three: they keep their insert order (rowid) within it.
  for (const event of events.slice(2)) event.enqueuedAt = events[2]!.enqueuedAt;
  await store.queue.insert(events);
  const ids = events.map((event) => event.requestId);

  const all = store.queue.loadPending(1_000_000, 100);
  t.same(all.map((row) => row.requestId), ids, 'every pending event, oldest first');
  t.same(all.map((row) => row.payload), [events[0]!.payload, undefined, events[2]!.payload, events[3]!.payload, events[4]!.payload],
    'payloads up to the size cap (counted in UTF-8 bytes), none above it');

  // A budget of two small payloads: the rest comes without any, in the same order.
  const budget = events[0]!.payload.length + events[2]!.payload.length;
  const some = store.queue.loadPending(budget, 100);
  t.same(some.map((row) => row.requestId), ids, 'the rows after the budget follow in order, none twice');
  t.same(some.map((row) => row.payload), [events[0]!.payload, undefined, events[2]!.payload, undefined, undefined]);

  t.same(store.queue.loadPending().map((row) => row.requestId), ids, 'no budget: all rows');
  t.ok(store.queue.loadPending().every((row) => row.payload === undefined), 'no budget: no payload read');
});

t.test('updates carry the whole state and append to the history; final events leave the pending set', async (t) => {
  const { store } = await tempStore(t);
  const [a, b] = [newEvent(), newEvent()];
  await store.queue.insert([a!, b!]);
  store.queue.update(stateOf(a!, { status: 'running', attempts: 1, leaseUntil: 9_999, lastStartedAt: 2_000 }));
  store.queue.update(
    stateOf(a!, { status: 'retrying', attempts: 1, failures: 1, availableAt: 3_000, lastStatusCode: 430, lastError: 'x' }),
    { attempt: 1, outcome: 'failed', startedAt: 2_000, endedAt: 2_100, durationMs: 100, statusCode: 430, errorMessage: 'x' },
  );
  store.queue.update(
    stateOf(b!, { status: 'dead', attempts: 3, failures: 3, finishedAt: 5_000, deadReason: 'retries exhausted' }),
    { attempt: 3, outcome: 'failed', startedAt: 4_000, endedAt: 4_500, statusCode: 433 },
  );
  await store.queue.flush();

  const record = store.queue.get(a!.requestId)!;
  t.match(record, { status: 'retrying', attempts: 1, failures: 1, availableAt: 3_000, leaseUntil: null, lastStatusCode: 430 });
  t.same(record.history, [{ attempt: 1, outcome: 'failed', startedAt: 2_000, endedAt: 2_100, durationMs: 100, statusCode: 430, errorMessage: 'x' }]);
  t.same(store.queue.loadPending().map((row) => row.requestId), [a!.requestId], 'the dead one is not pending');

  t.same(store.queue.deadLetters({ namespace: 'default', functionName: 'fn', limit: 10 }).map((r) => r.requestId), [b!.requestId]);
  t.equal(store.queue.deadLetters({ namespace: 'default', functionName: 'fn', limit: 10 })[0]!.payload, b!.payload);
  t.same(store.queue.countByStatus('default', 'fn'), { dead: 1, retrying: 1 });

  t.equal(await store.queue.purgeDeadLetters('default', 'fn'), 1);
  t.equal(store.queue.get(b!.requestId)!.status, 'failed', 'a purged dead letter is failed');
  t.same(store.queue.deadLetters({ namespace: 'default', functionName: 'fn', limit: 10 }), []);
});

t.test('listing filters by function and status, newest first, without payloads', async (t) => {
  const { store } = await tempStore(t);
  const events = [newEvent(), newEvent({ functionName: 'other' }), newEvent()];
  await store.queue.insert(events);
  store.queue.update(stateOf(events[2]!, { status: 'succeeded', finishedAt: 9_000 }));
  await store.queue.flush();
  t.same(store.queue.list({ limit: 10 }).map((r) => r.requestId), events.map((e) => e.requestId).reverse());
  t.same(store.queue.list({ namespace: 'default', functionName: 'fn', limit: 10 }).map((r) => r.requestId), [events[2]!.requestId, events[0]!.requestId]);
  t.same(store.queue.list({ namespace: 'default', functionName: 'fn', status: 'queued', limit: 10 }).map((r) => r.requestId), [events[0]!.requestId]);
  t.same(store.queue.list({ status: 'queued', limit: 1 }).map((r) => r.requestId), [events[1]!.requestId]);
  t.equal(store.queue.list({ limit: 1 })[0]!.payload, '', 'no payload in listings');
});

t.test('retention removes finished events only', async (t) => {
  const { store } = await tempStore(t);
  const [a, b] = [newEvent(), newEvent()];
  await store.queue.insert([a!, b!]);
  store.queue.update(stateOf(a!, { status: 'succeeded', finishedAt: 100 }));
  await store.queue.flush();
  t.equal(store.prune(200), 1);
  t.equal(store.queue.get(a!.requestId), undefined);
  t.ok(store.queue.get(b!.requestId), 'the pending event stays');
});
