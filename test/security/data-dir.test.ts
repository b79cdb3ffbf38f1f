// A data dir fngate cannot use stops `fngate serve` with one line naming the file and what to do, exit 1,
// never a stack trace: a garbage database file, one with corrupt pages, one that cannot be opened, and a
// data dir that is a file.
import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { EXIT_FAILED } from '../../gateway/cli/fail.ts';
import { DB_FILE_NAME, openStore } from '../../store/index.ts';
import { makeRecord } from '../store/helpers.ts';

const bin = fileURLToPath(new URL('../../bin/fngate.js', import.meta.url));
const run = promisify(execFile);

async function serve(project: string, dataDir: string): Promise<{ code: number; stderr: string }> {
  const result = await run(process.execPath, [bin, 'serve', project, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    env: { ...process.env, FNGATE_FROM_SOURCE: '1' },
    timeout: 60_000,
  }).catch((error: { code: number; stderr: string }) => error);
  return { code: (result as { code?: number }).code ?? 0, stderr: result.stderr };
}

/** A real database with enough rows to span many pages, closed cleanly. */
async function makeDatabase(dataDir: string): Promise<string> {
  const store = await openStore({ dataDir });
  for (let i = 0; i < 50; i++) {
    const record = makeRecord();
    store.recordInvocation(record, Array.from({ length: 20 }, (_, n) => ({ requestId: record.requestId, time: n, line: `line ${n} ${'z'.repeat(200)}` })));
  }
  await store.flush();
  await store.close();
  return join(dataDir, DB_FILE_NAME);
}

const cases: Array<[string, (dataDir: string) => Promise<void> | void, RegExp, RegExp]> = [
  [
    'a garbage database file',
    (dataDir) => {
      mkdirSync(dataDir);
      writeFileSync(join(dataDir, DB_FILE_NAME), 'this is not a database, just some text that is long enough to have a header '.repeat(100));
    },
    /not an SQLite database: .*fngate\.db/,
    /move it aside/,
  ],
  [
    'a database with corrupt pages',
    async (dataDir) => {
      const dbPath = await makeDatabase(dataDir);
      const size = statSync(dbPath).size;
      const fd = openSync(dbPath, 'r+');
      // Page 1 (the header and schema) stays; the b-tree pages after it are overwritten.
      for (let offset = 4096; offset < size; offset += 8192) writeSync(fd, Buffer.alloc(512, 0xa5), 0, 512, offset + 100);
      closeSync(fd);
    },
    /corrupt.*: .*fngate\.db/,
    /move it aside .*restore it from a backup/,
  ],
  [
    'a database path that cannot be opened',
    (dataDir) => mkdirSync(join(dataDir, DB_FILE_NAME), { recursive: true }),
    /cannot be opened .*: .*fngate\.db/,
    /writable folder|move it aside/,
  ],
  [
    'a data dir that is a file',
    (dataDir) => writeFileSync(dataDir, 'a file, not a folder'),
    /the data dir cannot be used \((EEXIST|ENOTDIR).*: .*data$|the data dir cannot be used \((EEXIST|ENOTDIR)/m,
    /writable folder .* or pass --data-dir/,
  ],
];

for (const [name, prepare, what, fix] of cases) {
  t.test(name, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'fngate-datadir-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(join(root, 'fngate.yml'), 'functions: {}\n');
    const dataDir = join(root, 'data');
    await prepare(dataDir);
    const result = await serve(root, dataDir);
    t.equal(result.code, EXIT_FAILED, 'exit code 1');
    t.equal(result.stderr.split('\n').filter(Boolean).length, 1, `one line: ${result.stderr}`);
    t.match(result.stderr, /^fngate: cannot use the data dir: [^\n]+; [^\n]+\n$/);
    t.match(result.stderr, what);
    t.match(result.stderr, fix);
    t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
}
