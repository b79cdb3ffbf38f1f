import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { BatchWriter } from '../../store/batch-writer.ts';
import { migrate } from '../../store/migrations.ts';
import { PACKED_STATEMENTS, WRITE_STATEMENTS, invocationRow, logRow, toInvocationRecord, type InvocationColumns } from '../../store/statements.ts';
import { makeRecord, RecordingLogger, type TestContext } from './helpers.ts';

/** A migrated database in a fresh directory, a writer on it, and a main-thread connection to check. */
async function setup(t: TestContext, options: { flushIntervalMs?: number; packed?: typeof PACKED_STATEMENTS } = {}) {
  const dbPath = join(testDir(t), 'writer.db');
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  migrate(db);
  const logger = new RecordingLogger();
  const writer = await BatchWriter.start({ dbPath, statements: WRITE_STATEMENTS, logger, ...options });
  t.teardown(async () => {
    await writer.close();
    db.close();
  });
  const count = (): number => db.prepare('SELECT count(*) FROM invocations').pluck().get() as number;
  return { writer, logger, count, db };
}

t.test('a failed batch is retried once, logged, and does not stop later batches', async (t) => {
  const { writer, logger, count } = await setup(t);
  writer.push('noSuchStatement', [1]);
  await t.rejects(writer.commit(), { message: /unknown statement/ });
  t.equal(logger.errors.length, 2, 'the failure and the failed retry');
  t.match(logger.errors[1]!.msg, /failed twice/);
  t.equal(writer.pendingRows, 0);

  writer.push('insertInvocation', invocationRow(makeRecord()));
  await writer.commit();
  t.equal(count(), 1);
});

t.test('a row the schema refuses is skipped; the rest of its batch commits', async (t) => {
  const { writer, logger, count } = await setup(t);
  const bad = [...invocationRow(makeRecord())];
  bad[1] = null; // namespace is NOT NULL
  writer.push('insertInvocation', invocationRow(makeRecord()));
  writer.push('insertInvocation', bad);
  writer.push('insertInvocation', invocationRow(makeRecord()));
  await writer.commit();
  t.equal(count(), 2);
  t.equal(logger.warnings.length, 1);
  t.match(logger.warnings[0]!.obj, { rejected: 1, firstError: /NOT NULL/ });
});

t.test('run() executes after what was pushed, alone, and reports its changes', async (t) => {
  const { writer, count } = await setup(t);
  for (const startedAt of [1, 2, 3]) writer.push('insertInvocation', invocationRow(makeRecord({ startedAt })));
  const result = await writer.run([['pruneInvocations', [[3]]]]);
  t.equal(result.changes, 2);
  t.equal(count(), 1);
});

t.test('push after close throws; close is idempotent', async (t) => {
  const { writer } = await setup(t);
  await writer.close();
  t.throws(() => writer.push('insertInvocation', []), { message: /closed/ });
  await t.rejects(writer.run([]), { message: /closed/ });
  await writer.close();
});

t.test('commits awaited while a transaction is in flight all share the next one (group commit)', async (t) => {
  const { writer, count } = await setup(t);
  writer.push('insertInvocation', invocationRow(makeRecord()));
  const first = writer.commit();
  // The writer was idle: the first commit posts its batch on the next turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(writer.transactions, 0, 'the first transaction is in flight');
  const commits: Array<Promise<void>> = [];
  for (let i = 0; i < 100; i++) {
    writer.push('insertInvocation', invocationRow(makeRecord()));
    commits.push(writer.commit());
  }
  await Promise.all([first, ...commits]);
  t.equal(writer.transactions, 2, 'the 100 commits made during the first transaction were one more transaction');
  t.equal(count(), 101);
  t.equal(writer.pendingRows, 0);
});

t.test('an idle writer commits what one turn of the event loop pushed in one transaction', async (t) => {
  const { writer, count } = await setup(t);
  const commits: Array<Promise<void>> = [];
  for (let i = 0; i < 20; i++) {
    writer.push('insertInvocation', invocationRow(makeRecord()));
    commits.push(writer.commit());
  }
  await Promise.all(commits);
  t.equal(writer.transactions, 1);
  t.equal(count(), 20);
});

t.test('rows nobody awaits gather for the flush interval: the end of a transaction does not send them', async (t) => {
  const { writer, count } = await setup(t, { flushIntervalMs: 60_000 });
  writer.push('insertInvocation', invocationRow(makeRecord()));
  const first = writer.commit();
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 50; i++) writer.push('insertInvocation', invocationRow(makeRecord()));
  await first;
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(writer.transactions, 1, 'only the awaited transaction ran');
  t.equal(writer.pendingRows, 50, 'the other rows wait in the open batch');
  await writer.commit();
  t.equal(writer.transactions, 2, 'a commit sends them, in one transaction');
  t.equal(count(), 51);
});

t.test('packed statements: records and log lines read back as pushed', async (t) => {
  const { writer, count, db } = await setup(t, { packed: PACKED_STATEMENTS });
  const records = [
    makeRecord({ errorMessage: 'Error: ünïcödé 🎉 \u0000', statusCode: 430, coldStart: { coldStartMs: 1.5, pullCodeMs: 0.25, initRuntimeMs: 1, initFunctionMs: 0.25 }, frame: { startedAt: 5, endedAt: 6 } }),
    makeRecord({ functionName: 'other', namespace: 'ns2', version: '3', mode: 'async', durationMs: 0.1 + 0.2, memUsageBytes: 2 ** 40 }),
  ];
  const lines = records.map((record, i) => ({ requestId: record.requestId, time: record.startedAt + i, line: `${'日本語 '.repeat(i + 1)}line` }));
  for (const [i, record] of records.entries()) {
    writer.push('insertInvocation', invocationRow(record));
    writer.push('insertLog', logRow(record, lines[i]!));
  }
  await writer.commit();
  t.equal(count(), records.length);
  for (const record of records) {
    const row = db.prepare('SELECT * FROM invocations WHERE request_id = ?').get(record.requestId) as InvocationColumns;
    t.same(toInvocationRecord(row), record);
  }
  const stored = db.prepare('SELECT request_id AS requestId, time, line FROM logs ORDER BY id').all();
  t.same(stored, lines);
});

t.test('packed statements run in the order they were pushed (a replaced async attempt keeps its frame in one batch)', async (t) => {
  const { writer, db } = await setup(t, { packed: PACKED_STATEMENTS });
  const first = makeRecord({ mode: 'async', frame: { startedAt: 100, endedAt: 101 } });
  const retry = makeRecord({ requestId: first.requestId, mode: 'async', statusCode: 500, frame: { startedAt: 200, endedAt: 201 } });
  writer.push('keepReplacedFrame', [first.requestId]);
  writer.push('insertInvocation', invocationRow(first));
  writer.push('keepReplacedFrame', [retry.requestId]);
  writer.push('insertInvocation', invocationRow(retry));
  await writer.commit();
  t.equal(writer.transactions, 1, 'one batch');
  const lines = db.prepare('SELECT time, line FROM logs ORDER BY id').all() as Array<{ time: number; line: string }>;
  t.same(lines.map(({ time }) => time), [100, 101, 101], "the first attempt's START, END and Report, kept before the retry replaced it");
  t.match(lines[0]!.line, /^START RequestId: /);
  t.equal((db.prepare('SELECT status_code FROM invocations WHERE request_id = ?').pluck().get(first.requestId)), 500, 'the retry is the record');
});

t.test('packed statements: a row the schema refuses is skipped; a row that does not pack is held and written', async (t) => {
  const { writer, logger, count } = await setup(t, { packed: PACKED_STATEMENTS });
  const bad = [...invocationRow(makeRecord())];
  bad[1] = null; // namespace is NOT NULL
  const bigint = [...invocationRow(makeRecord())];
  bigint[5] = 1_700_000_000_000n; // started_at as a BigInt: better-sqlite3 binds it, the packer does not pack it
  writer.push('insertInvocation', invocationRow(makeRecord()));
  writer.push('insertInvocation', bad);
  writer.push('insertInvocation', bigint);
  await writer.commit();
  t.equal(count(), 2);
  t.match(logger.warnings[0]!.obj, { rejected: 1, firstError: /NOT NULL/ });
});
