import Database from 'better-sqlite3';
import t from 'tap';
import { MIGRATIONS, migrate, type Migration } from '../../store/migrations.ts';

const version = (db: Database.Database): number => db.pragma('user_version', { simple: true }) as number;

t.test('a fresh database gets every step; running again changes nothing', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  t.equal(migrate(db), MIGRATIONS.length);
  t.equal(version(db), MIGRATIONS.length);
  t.equal(migrate(db), MIGRATIONS.length, 'idempotent');
});

t.test('only the new steps run', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  const steps: Migration[] = [{ name: 'one', sql: 'CREATE TABLE a (x)' }];
  migrate(db, steps);
  steps.push({ name: 'two', sql: 'CREATE TABLE b (x)' });
  t.equal(migrate(db, steps), 2, 'would fail on "table a already exists" if step one ran again');
});

t.test('a failing step rolls back alone and names itself', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  const steps: Migration[] = [
    { name: 'good', sql: 'CREATE TABLE a (x)' },
    { name: 'bad', sql: 'CREATE TABLE b (x); CREATE TABLE a (x)' },
  ];
  t.throws(() => migrate(db, steps), { message: /migration 2 \(bad\) failed/ });
  t.equal(version(db), 1);
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
  t.same(tables, ['a'], 'the half-applied step left nothing behind');
});

t.test('a database newer than the code is refused', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  t.throws(() => migrate(db), { message: /newer than this fngate/ });
});

t.test('migration 7 drops the time-only indexes and the replaced-frame trigger; the rows stay', async (t) => {
  const db = new Database(':memory:');
  t.teardown(() => db.close());
  migrate(db, MIGRATIONS.slice(0, 6));
  db.prepare(`INSERT INTO invocations (request_id, namespace, function_name, version, mode, started_at, duration_ms, billed_ms, memory_mb, mem_usage_bytes, status_code)
    VALUES ('r', 'default', 'hello', '$LATEST', 'sync', 1, 1, 1, 128, 1, 200)`).run();
  db.prepare(`INSERT INTO logs (request_id, namespace, function_name, time, line) VALUES ('r', 'default', 'hello', 1, 'line')`).run();
  const objects = (): string[] => db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
  const before = objects();
  t.ok(before.includes('invocations_by_time') && before.includes('logs_by_time') && before.includes('invocations_keep_replaced_frame'));
  t.equal(migrate(db), MIGRATIONS.length);
  t.same(before.filter((name) => !objects().includes(name)).sort(), ['invocations_by_time', 'invocations_keep_replaced_frame', 'logs_by_time']);
  t.equal(db.prepare('SELECT count(*) FROM invocations').pluck().get(), 1);
  t.equal(db.prepare('SELECT count(*) FROM logs').pluck().get(), 1);
});
