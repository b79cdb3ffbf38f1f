import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { DB_FILE_NAME, openStore } from '../../store/index.ts';
import { runCatalogCases } from './catalog.cases.ts';
import { RecordingLogger } from './helpers.ts';

runCatalogCases(t, async (dataDir) => {
  const store = await openStore({ dataDir, logger: new RecordingLogger() });
  return { catalog: store.catalog, close: () => store.close() };
});

t.test('sqlite: a catalog write waits for a writer that holds the lock, and then succeeds', async (t) => {
  const dataDir = testDir(t);
  const store = await openStore({ dataDir, logger: new RecordingLogger() });
  t.teardown(() => store.close());
  const layer = { name: 'busy', description: '', compatibleRuntimes: ['Nodejs18.15'], code: { sha256: 'b'.repeat(64), size: 1 }, addedAt: 1 };
  await store.catalog.addLayerVersion(layer);
  // Another process takes the write lock, writes, and commits 300 ms later (as the store's writer thread
  // does while it commits a batch): the catalog's read-then-write transaction must wait, not fail.
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const db = new (require('better-sqlite3'))(${JSON.stringify(join(dataDir, DB_FILE_NAME))});
       db.exec('BEGIN IMMEDIATE');
       db.prepare("INSERT INTO catalog_namespaces VALUES ('other', '', 1, 1)").run();
       process.stdout.write('locked\\n');
       setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => holder.stdout!.once('data', resolve));
  t.equal((await store.catalog.addLayerVersion(layer)).version, 2);
  await new Promise((resolve) => holder.once('exit', resolve));
  t.ok(store.catalog.getNamespace('other'), "the other writer's row is there too");
});
