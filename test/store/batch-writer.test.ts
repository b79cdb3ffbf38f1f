import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { BatchWriter } from '../../store/batch-writer.ts';
import { migrate } from '../../store/migrations.ts';
import { WRITE_STATEMENTS, invocationRow } from '../../store/statements.ts';
import { makeRecord, RecordingLogger, type TestContext } from './helpers.ts';

/** A migrated database in a fresh directory, a writer on it, and a main-thread connection to check. */
async function setup(t: TestContext, options: { flushIntervalMs?: number } = {}) {
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
  return { writer, logger, count };
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
