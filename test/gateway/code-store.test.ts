/** The code store on a real disk: checked, bounded zip extraction; folders copied and hashed; pruning. */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import t from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { CodeStore } from '../../gateway/code-store/store.ts';
import { prepareCode } from '../../gateway/code.ts';
import type { FunctionConfig } from '../../gateway/config.ts';
import { zipOf } from '../helpers/lifecycle.ts';

const UNIX = 3;
const executable = (text: string): [Buffer, { os: number; attrs: number }] => [Buffer.from(text), { os: UNIX, attrs: (0o100755 * 0x10000) >>> 0 }];

t.test('a zip is extracted once, by content: files, executable bits, links inside', async (t) => {
  const store = new CodeStore({ dataDir: testDir(t) });
  const zip = Buffer.from(
    zipSync({
      'index.js': Buffer.from('exports.main_handler = () => 1;'),
      bootstrap: executable('#!/bin/sh\necho hi\n'),
      'lib/': new Uint8Array(0),
      'lib/util.js': Buffer.from('module.exports = 2;'),
    }),
  );
  const withLink = zipOf({ 'a.txt': 'a' }, { 'b.txt': 'a.txt' });
  const stored = await store.putZip(zip, 'function hello');
  t.match(stored, { sha256: /^[0-9a-f]{64}$/, size: zip.length });
  t.equal(readFileSync(join(stored.dir, 'lib/util.js'), 'utf8'), 'module.exports = 2;');
  t.equal(statSync(join(stored.dir, 'bootstrap')).mode & 0o777, 0o755, 'the x bit is kept');
  t.equal(statSync(join(stored.dir, 'index.js')).mode & 0o777, 0o644);
  t.same(await store.putZip(zip, 'function hello'), stored, 'the same bytes: the same folder');
  const linked = await store.putZip(withLink, 'function linked');
  t.ok(lstatSync(join(linked.dir, 'b.txt')).isSymbolicLink());
  t.equal(readlinkSync(join(linked.dir, 'b.txt')), 'a.txt');
  t.equal(readFileSync(join(linked.dir, 'b.txt'), 'utf8'), 'a');
});

t.test('a zip bomb is refused before anything is written, and so is one that lies about its sizes', async (t) => {
  const dataDir = testDir(t);
  const store = new CodeStore({ dataDir, maxUnpackedBytes: 1024 * 1024 });
  const bomb = Buffer.from(zipSync({ 'zeros.bin': new Uint8Array(4 * 1024 * 1024) }, { level: 9 }));
  t.ok(bomb.length < 64 * 1024, 'small on the wire');
  await t.rejects(store.putZip(bomb, 'function bomb'), {
    code: 'INVALID_PARAMETER',
    message: 'function bomb: the zip unpacks to 4194304 bytes, over the 1048576 byte limit for code and layers unpacked',
  });
  // The same data, but the central directory and local header claim 100 bytes: inflating it must stop.
  const liar = Buffer.from(zipSync({ 'zeros.bin': new Uint8Array(4 * 1024 * 1024) }, { level: 9 }));
  patchUncompressedSize(liar, 100);
  await t.rejects(store.putZip(liar, 'function liar'), { code: 'INVALID_PARAMETER', message: /^function liar: / });
  t.same(readdirSync(join(dataDir, 'code')), [], 'nothing kept, no temporary folder left');
});

t.test('too many entries, encrypted or unreadable zips are refused', async (t) => {
  const store = new CodeStore({ dataDir: testDir(t), maxEntries: 3 });
  const many = zipOf({ a: '1', b: '2', c: '3', d: '4' });
  await t.rejects(store.putZip(many, 'layer many'), { code: 'INVALID_PARAMETER', message: 'layer many: the zip holds 4 entries, over the limit of 3' });
  await t.rejects(store.putZip(Buffer.from('PK nonsense'), 'layer junk'), { code: 'INVALID_PARAMETER', message: /^layer junk: not a readable zip/ });
});

t.test('a folder is copied in and named by its tree: the same tree, the same name; links out are refused', async (t) => {
  const root = testDir(t, { src: { 'index.js': 'one', sub: { 'b.txt': 'b' } } });
  const src = join(root, 'src');
  writeFileSync(join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  symlinkSync('sub/b.txt', join(src, 'inside'));
  const store = new CodeStore({ dataDir: join(root, 'data') });
  const first = await store.putDir(src, 'function copied');
  t.equal(readFileSync(join(first.dir, 'sub/b.txt'), 'utf8'), 'b');
  t.equal(statSync(join(first.dir, 'run.sh')).mode & 0o777, 0o755);
  t.equal(readlinkSync(join(first.dir, 'inside')), 'sub/b.txt');
  t.equal(first.size, 'one'.length + 'b'.length + '#!/bin/sh\n'.length);
  t.equal((await store.putDir(src, 'function copied')).sha256, first.sha256, 'stable');
  writeFileSync(join(src, 'index.js'), 'two');
  const second = await store.putDir(src, 'function copied');
  t.not(second.sha256, first.sha256, 'an edit is a new tree');
  t.equal(readFileSync(join(first.dir, 'index.js'), 'utf8'), 'one', 'the stored copy did not change');
  symlinkSync('../../etc', join(src, 'escape'));
  await t.rejects(store.putDir(src, 'function copied'), { code: 'INVALID_PARAMETER', message: 'function copied: escape is a symlink to ../../etc, which points out of the code folder' });
  await t.rejects(store.putDir(join(root, 'nope'), 'function gone'), { code: 'INVALID_PARAMETER', message: /is not a folder/ });

  const removed = await store.prune(new Set([second.sha256]));
  t.equal(removed, 1);
  t.notOk(existsSync(first.dir));
  t.ok(existsSync(second.dir));
});

t.test('fngate.yml zips go through the same checked extraction', async (t) => {
  const root = testDir(t);
  const good = join(root, 'good.zip');
  const slip = join(root, 'slip.zip');
  writeFileSync(good, zipOf({ 'index.js': 'exports.main_handler = () => 1;' }));
  writeFileSync(slip, zipOf({ '../../evil.js': 'x' }));
  const config = (src: string) => ({ name: 'zipped', namespace: 'default', src }) as FunctionConfig;
  const dataDir = join(root, 'data');
  const dir = await prepareCode(config(good), dataDir);
  t.equal(readFileSync(join(dir, 'index.js'), 'utf8'), 'exports.main_handler = () => 1;');
  await t.rejects(prepareCode(config(slip), dataDir), { code: 'INVALID_PARAMETER', message: 'function zipped: zip entry "../../evil.js" points out of the code folder; entries must be relative paths inside it' });
  mkdirSync(join(root, 'folder'));
  t.equal(await prepareCode(config(join(root, 'folder')), dataDir), join(root, 'folder'), 'a folder is used in place');
});

/** Rewrites the uncompressed size of the (only) entry in the local header and the central directory. */
function patchUncompressedSize(zip: Buffer, size: number): void {
  zip.writeUInt32LE(size, 22);
  const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt32LE(size, central + 24);
}
