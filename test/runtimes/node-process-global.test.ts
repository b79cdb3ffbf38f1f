// `process` and `os` in an isolate through the real gateway, against the host's real Node where they
// should agree (versions, warning lines), and SCF's values where fngate defines them (paths, user).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/node/process', import.meta.url));
const gateway = await startTestGateway(t, {
  functions: { proc: { src: FIXTURE, runtime: 'Nodejs18.15', memorySize: 256 } },
});

t.test('hrtime has real resolution; versions are the host Node\'s; SCF paths and user', async (t) => {
  const response = await gateway.invoke('proc', { run: 'facts' });
  t.equal(response.status, 200, response.text);
  const r = response.json;
  t.equal(r.increasing, true);
  t.equal(r.subMillisecond, true, 'hrtime.bigint() is finer than a millisecond');
  t.same(r.elapsed, [2, true, true]);
  t.same(r.ticks, ['x', 'y'], 'nextTick passes its arguments');
  t.same(r.versions, JSON.parse(JSON.stringify(process.versions)), 'process.versions as the host Node');
  t.equal(r.version, process.version);
  t.equal(r.release, 'node');
  t.equal(r.platform, 'linux');
  t.equal(r.arch, process.arch);
  const major = process.version.slice(1).split('.')[0];
  t.same(r.argv, [`/var/lang/node${major}/bin/node`, '/var/user/index.js']);
  t.equal(r.execPath, `/var/lang/node${major}/bin/node`);
  t.equal(r.cwd, '/var/user');
  t.same(r.memory, [true, true, true, 'number', 'number']);
  t.same(r.umask, [0o22, 0o22, 0o77]);
  t.same(r.ids, [10000, 10000, 10000, 10000]);
  t.equal(r.features, 'object');
  t.match(r.os, { tmpdir: '/tmp', homedir: '/home/qcloud', userInfo: { username: 'qcloud', homedir: '/home/qcloud' }, platform: 'linux', totalmem: 256 * 1024 * 1024, eol: '\n' });
  t.equal(r.os.signals, 15);
  t.equal(r.os.errno, 2);
});

t.test('emitWarning and stdout/stderr.write reach the function log as real Node prints them', async (t) => {
  const response = await gateway.invoke('proc', { run: 'warnings' });
  t.equal(response.status, 200, response.text);
  const logged = (await gateway.logs('proc', response.requestId!)).map((line) => line.replace(/^\S+ \S+ /, ''));
  const script = `process.emitWarning('first'); process.emitWarning('dep', 'DeprecationWarning', 'DEP0999'); process.emitWarning('second', { type: 'CustomWarning', code: 'C1', detail: 'more info' });`;
  const real = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stderr.trim().split('\n').map((line) => line.replace(/^\(node:\d+\)/, '(node:1)'));
  t.ok(real.length >= 4);
  const warnings = logged.filter((line) => line.startsWith('(node:1)') || line.startsWith('(Use') || line === 'more info');
  t.same(warnings, real, 'warning lines as real Node writes them to stderr');
  t.ok(logged.includes('partial line'), 'pieces of a line are one log line');
  t.ok(logged.includes('next done'));
  t.ok(logged.includes('to stderr'));
});
