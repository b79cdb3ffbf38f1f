// The isolate's `fs` through the real gateway. Behaviour shared with real Node is checked against real
// Node: the same handler runs on the host over a temp folder standing in for `/`. SCF's layout (read-only
// /var/user and /opt, a private /tmp capped at 512 MB) and the hostile cases (escapes, a 500 MB read, a
// leak of descriptors) are checked as fngate defines them (runtimes/node/layout.ts, builtins/fs/host.ts).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/node/fs', import.meta.url));
const HELLO = fileURLToPath(new URL('../fixtures/node/hello', import.meta.url));
const require = createRequire(import.meta.url);

const work = mkdtempSync(join(tmpdir(), 'fngate-fs-test-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const codeDir = join(work, 'code');
cpSync(FIXTURE, codeDir, { recursive: true });
// Links shipped in the code: they must resolve inside the function's tree, never on the host's.
symlinkSync('/etc', join(codeDir, 'evil-abs'));
symlinkSync('../..', join(codeDir, 'evil-up'));
// 500 MB that costs no disk: a sparse file.
writeFileSync(join(codeDir, 'huge.bin'), '');
truncateSync(join(codeDir, 'huge.bin'), 500 * 1024 * 1024);
const layerDir = join(work, 'layer');
mkdirSync(layerDir);
writeFileSync(join(layerDir, 'layer.txt'), 'from the layer\n');
const otherCode = join(work, 'other');
cpSync(HELLO, otherCode, { recursive: true });
writeFileSync(join(otherCode, 'secret.txt'), 'another function\'s code');

const gateway = await startTestGateway(t, {
  functions: {
    files: { src: codeDir, runtime: 'Nodejs18.15', memorySize: 128, timeout: 20, layers: [{ name: 'common', version: 1 }] },
    files2: { src: codeDir, runtime: 'Nodejs18.15', memorySize: 128, timeout: 3 },
    files3: { src: codeDir, runtime: 'Nodejs18.15', memorySize: 128, timeout: 3 },
    other: { src: otherCode, runtime: 'Nodejs18.15' },
  },
  layers: { common: { 1: layerDir } },
});

t.test('files, folders, links, descriptors, promises, callbacks and streams behave as in real Node', async (t) => {
  const response = await gateway.invoke('files', { run: 'oracle' });
  t.equal(response.status, 200, response.text);
  const root = mkdtempSync(join(work, 'root-'));
  mkdirSync(join(root, 'tmp'));
  const onHost = JSON.parse(JSON.stringify(await (require(join(FIXTURE, 'index.js')) as { oracle(root: string): Promise<unknown> }).oracle(root))) as Record<string, unknown>;
  t.ok(Object.keys(onHost).length > 40);
  for (const [key, value] of Object.entries(onHost)) t.same(response.json[key], value, key);
  t.match(response.json.missing, { error: { code: 'ENOENT', errno: -2, syscall: 'open', message: "ENOENT: no such file or directory, open '/tmp/oracle/nope.txt'" } });
});

t.test('SCF layout: code read-only at /var/user (the cwd), layers under /opt, only /tmp writable', async (t) => {
  const response = await gateway.invoke('files', { run: 'layout' });
  t.equal(response.status, 200, response.text);
  t.match(response.json, {
    cwd: '/var/user',
    dirname: '/var/user',
    filename: '/var/user/index.js',
    resolved: '/var/user/helper.js',
    root: ['opt', 'tmp', 'var'],
    relative: true,
    opt: ['layer.txt'],
    layerFile: 'from the layer',
    env: '/var/user/',
    writeCode: 'EROFS',
    writeRelative: 'EROFS',
    appendCode: 'EROFS',
    unlinkCode: 'EROFS',
    mkdirCode: 'EROFS',
    renameOut: 'EROFS',
    writeOpt: 'EROFS',
    writeRoot: 'EACCES',
    writeEtc: 'ENOENT',
    accessWrite: 'EROFS',
    linkOut: 'EXDEV', // SCF's /tmp is another file system
  });
  t.ok(response.json.code.includes('helper.js') && response.json.code.includes('index.js'));
});

t.test('no path trick reaches the host (other code, the gateway data dir): host paths, .., links made or shipped by the function', async (t) => {
  const targets = [
    '/etc/passwd',
    '/var/user/../../../etc/passwd',
    '../../etc/passwd',
    join(codeDir, 'helper.js'),
    join(otherCode, 'secret.txt'),
    '/var/user/../other/secret.txt',
    join(gateway.config.root, 'fngate.yml'),
    join(gateway.config.root, '.fngate'),
    `/var/user/../../..${gateway.config.root}/fngate.yml`,
    '/proc/self/environ',
    '/var/user/evil-abs/passwd',
    '/var/user/evil-up/other/secret.txt',
  ];
  const response = await gateway.invoke('files', { run: 'escape', targets });
  t.equal(response.status, 200, response.text);
  for (const target of targets) t.equal(response.json[target], 'ENOENT', target);
  t.same(response.json.rootLink, ['opt', 'tmp', 'var'], 'a link to / shows the function\'s own root');
  t.same(response.json.upLink, ['opt', 'tmp', 'var'], '.. stops at the function\'s root');
  t.equal(response.json.realUp, '/');
  t.match(response.json.shippedLinks[0], { error: { code: 'ENOENT' } }, 'a shipped link to /etc finds no /etc');
  t.same(response.json.shippedLinks[1], { ok: ['opt', 'tmp', 'var'] }, 'a shipped link to ../.. is the function\'s own root');
});

t.test('/tmp is private to the instance and removed when the instance ends', async (t) => {
  const marker = `marker-${process.pid}-${Date.now()}`;
  const first = await gateway.invoke('files3', { run: 'tmp-private', marker });
  t.equal(first.status, 200, first.text);
  const other = await gateway.invoke('files2', { run: 'tmp-private', marker: `${marker}-2` });
  t.notOk(other.json.includes(marker), 'another function does not see it');
  const again = await gateway.invoke('files3', { run: 'tmp-private', marker: `${marker}-3` });
  t.ok(again.json.includes(marker), 'the same instance keeps its /tmp between invocations');
  const hostFolders = () => readdirSync(tmpdir()).filter((name) => name.startsWith('fngate-node-tmp-') && existsSync(join(tmpdir(), name, marker)));
  t.equal(hostFolders().length, 1);
  const hung = await gateway.invoke('files3', { run: 'hang' });
  t.equal(hung.status, 433, 'a timeout ends the instance');
  t.equal(hostFolders().length, 0, 'its /tmp is gone');
});

t.test('/tmp holds 512 MB: past it writes fail with ENOSPC; deleting frees space', async (t) => {
  const response = await gateway.invoke('files', { run: 'cap' });
  t.equal(response.status, 200, response.text);
  t.same(response.json.far, { ok: 1 });
  t.match(response.json.over, { error: { code: 'ENOSPC', errno: -28, syscall: 'write', message: 'ENOSPC: no space left on device, write' } });
  t.match(response.json.truncate, { error: { code: 'ENOSPC' } });
  t.match(response.json.otherFile, { error: { code: 'ENOSPC' } });
  t.same(response.json.afterUnlink, {});
});

t.test('a 500 MB readFile in a 128 MB function is a clear error; another function answers meanwhile', async (t) => {
  const pending = gateway.invoke('files', { run: 'huge' });
  const other = await gateway.invoke('other', {});
  t.equal(other.status, 200);
  const response = await pending;
  t.equal(response.status, 200, response.text);
  for (const form of [response.json.sync, response.json.async.error]) {
    t.match(form, { name: 'RangeError', code: 'ERR_FS_FILE_TOO_LARGE' });
    t.match(form.message, /^File size \(524288000\) is greater than the memory left to the function \(\d+ bytes\)$/);
  }
});

t.test('every descriptor a function opened is closed when its instance ends', async (t) => {
  const held = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(codeDir) || target.startsWith(join(tmpdir(), 'fngate-node-tmp-'));
      } catch {
        return false;
      }
    }).length;
  const before = held();
  const response = await gateway.invoke('files2', { run: 'open-many', count: 60 });
  t.equal(response.status, 200, response.text);
  t.ok(held() >= before + 60, 'the descriptors are open while the instance lives');
  const hung = await gateway.invoke('files2', { run: 'hang' });
  t.equal(hung.status, 433);
  for (let i = 0; i < 50 && held() > before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(held(), before, 'all closed after the instance ended');
});

t.test('a pending fs callback keeps the invocation open (callbackWaitsForEmptyEventLoop)', async (t) => {
  const response = await gateway.invoke('files', { run: 'loop-wait' });
  t.equal(response.status, 200, response.text);
  t.equal(response.json, 'returned');
  const logs = await gateway.logs('files', response.requestId!);
  t.ok(logs.some((line) => line.includes('callback ran: late')), 'the callback ran inside the invocation');
});
