import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { DB_FILE_NAME, MIGRATIONS, openStore } from '../../store/index.ts';
import { framedLines, makeRecord, RecordingLogger } from './helpers.ts';
import { runFramedLogCases, runStoreCases } from './store.cases.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

runStoreCases(t, (dataDir) => openStore({ dataDir, logger: new RecordingLogger() }));
runFramedLogCases(t, (dataDir) => openStore({ dataDir, logger: new RecordingLogger() }));

t.test('a batch of 5,000 records is committed by flush()', async (t) => {
  const store = await openStore({ dataDir: testDir(t), logger: new RecordingLogger() });
  t.teardown(() => store.close());
  const records = Array.from({ length: 5000 }, (_, i) => makeRecord({ startedAt: 1_000_000 + i }));
  for (const record of records) store.recordInvocation(record, framedLines(record));
  await store.flush();
  const listed = store.listRecords({ namespace: 'default', functionName: 'hello', limit: 10_000 });
  t.equal(listed.length, 5000);
  t.equal(listed[0]!.requestId, records.at(-1)!.requestId);
  t.equal(store.getLogs({ namespace: 'default', functionName: 'hello', limit: 100_000 }).length, 5000 * 4);
});

t.test('rows are written without flush() after flushIntervalMs', async (t) => {
  const store = await openStore({ dataDir: testDir(t), flushIntervalMs: 5, logger: new RecordingLogger() });
  t.teardown(() => store.close());
  const record = makeRecord();
  store.recordInvocation(record, []);
  const deadline = Date.now() + 5000;
  while (store.getRecord(record.requestId) === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  t.same(store.getRecord(record.requestId), record);
});

t.test('recordInvocation does no I/O on the caller tick and costs far less than the commit', async (t) => {
  const store = await openStore({ dataDir: testDir(t), logger: new RecordingLogger() });
  t.teardown(() => store.close());
  const records = Array.from({ length: 10_000 }, () => makeRecord());
  const lines = records.map((record) => framedLines(record));
  const start = performance.now();
  for (let i = 0; i < records.length; i++) store.recordInvocation(records[i]!, lines[i]!);
  const queued = performance.now();
  t.equal(store.getRecord(records[0]!.requestId), undefined, 'nothing committed before the caller yields');
  await store.flush();
  const committed = performance.now();
  t.comment(`10k recordInvocation: ${(queued - start).toFixed(1)} ms; commit: ${(committed - queued).toFixed(1)} ms`);
  t.ok(queued - start < committed - queued, 'queueing is cheaper than committing');
  t.ok(store.getRecord(records.at(-1)!.requestId));
});

t.test('flushed rows survive close and reopen; close flushes what is queued', async (t) => {
  const dataDir = testDir(t);
  const flushed = makeRecord();
  const queuedAtClose = makeRecord();
  const first = await openStore({ dataDir, logger: new RecordingLogger() });
  first.recordInvocation(flushed, framedLines(flushed));
  await first.flush();
  first.recordInvocation(queuedAtClose, framedLines(queuedAtClose));
  await first.close();

  const second = await openStore({ dataDir, logger: new RecordingLogger() });
  t.teardown(() => second.close());
  t.same(second.getRecord(flushed.requestId), flushed);
  t.same(second.getRecord(queuedAtClose.requestId), queuedAtClose);
  const query = { namespace: 'default', functionName: 'hello', requestId: flushed.requestId, limit: 10 };
  t.same(second.getLogs(query), framedLines(flushed));
});

t.test('migrations set user_version and are idempotent on reopen', async (t) => {
  const dataDir = testDir(t);
  const record = makeRecord();
  const first = await openStore({ dataDir, logger: new RecordingLogger() });
  first.recordInvocation(record, []);
  await first.close();
  const second = await openStore({ dataDir, logger: new RecordingLogger() });
  t.same(second.getRecord(record.requestId), record, 'reopening did not recreate the tables');
  await second.close();

  const db = new Database(join(dataDir, DB_FILE_NAME), { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
  t.same(tables, [
    'async_events',
    'catalog_aliases',
    'catalog_functions',
    'catalog_layer_versions',
    'catalog_layers',
    'catalog_namespaces',
    'catalog_settings',
    'catalog_versions',
    'invocations',
    'logs',
    'topic_offsets',
  ]);
});

t.test('retention prunes once the store is warmed (the gateway serving), in the background', async (t) => {
  const dataDir = testDir(t);
  const now = Date.now();
  const old = makeRecord({ startedAt: now - 8 * DAY_MS });
  const recent = makeRecord({ startedAt: now - DAY_MS });
  const first = await openStore({ dataDir, logger: new RecordingLogger() });
  first.recordInvocation(old, framedLines(old));
  first.recordInvocation(recent, framedLines(recent));
  await first.close();

  const second = await openStore({ dataDir, logger: new RecordingLogger(), now: () => now });
  t.teardown(() => second.close());
  await second.flush();
  t.ok(second.getRecord(old.requestId), 'not before the store is warmed: start-up does not pay for it');
  second.warm();
  await second.flush();
  t.equal(second.getRecord(old.requestId), undefined, 'older than 7 days: gone');
  t.same(second.getRecord(recent.requestId), recent);
  t.equal(second.getLogs({ namespace: 'default', functionName: 'hello', limit: 100 }).length, 4);
});

t.test('over maxPendingRows, invocations are dropped and counted with one warning', async (t) => {
  const logger = new RecordingLogger();
  const store = await openStore({ dataDir: testDir(t), maxPendingRows: 10, retentionMs: Infinity, logger });
  t.teardown(() => store.close());
  const records = Array.from({ length: 5 }, () => makeRecord());
  // 3 rows each (record + 2 lines): three fit in 10, two are dropped.
  for (const record of records) store.recordInvocation(record, framedLines(record).slice(0, 2));
  t.equal(store.droppedRows, 6);
  t.equal(logger.warnings.length, 1);
  await store.flush();
  t.equal(store.listRecords({ namespace: 'default', functionName: 'hello', limit: 10 }).length, 3);
  const later = makeRecord();
  store.recordInvocation(later, []);
  await store.flush();
  t.ok(store.getRecord(later.requestId), 'accepted again once the writer caught up');
});

t.test('recordInvocation after close is dropped with one warning', async (t) => {
  const logger = new RecordingLogger();
  const store = await openStore({ dataDir: testDir(t), logger });
  await store.close();
  store.recordInvocation(makeRecord(), []);
  store.recordInvocation(makeRecord(), []);
  await store.flush();
  t.equal(logger.warnings.length, 1);
});

t.test('opening a database from a newer fngate fails and releases everything', async (t) => {
  const dataDir = testDir(t);
  const db = new Database(join(dataDir, DB_FILE_NAME));
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  await t.rejects(openStore({ dataDir, logger: new RecordingLogger() }), { message: /newer than this fngate/ });
});
