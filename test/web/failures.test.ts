import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { stringify } from 'yaml';
import { silentLogger } from '../../gateway/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { AUTH_HEADERS, startTestGateway } from '../helpers/gateway.ts';
import { NEEDS_SANDBOX, processesMentioning, request, requestLog, webFixture } from './helpers.ts';

const gateway = await startTestGateway(t, {
  functions: {
    slowstart: { src: webFixture('slow-start'), runtime: 'Nodejs18.15', type: 'web', initTimeout: 3, timeout: 30 },
    neverlisten: { src: webFixture('never-listen'), runtime: 'Nodejs18.15', type: 'web' },
    nobootstrap: { src: fileURLToPath(new URL('../fixtures/node/hello', import.meta.url)), runtime: 'Nodejs18.15', type: 'web' },
    crashy: { src: webFixture('node'), runtime: 'Nodejs18.15', type: 'web', timeout: 5 },
    slowreq: { src: webFixture('node'), runtime: 'Nodejs18.15', type: 'web', timeout: 1 },
  },
});

const instances = async (name: string): Promise<Array<{ id: string }>> =>
  (await request(gateway.url, `/functions/${name}/instances`, { headers: { ...AUTH_HEADERS } })).json.instances;

t.test('a server still starting at initTimeout: 450, its output in the function log', NEEDS_SANDBOX, async (t) => {
  const started = performance.now();
  const response = await request(gateway.url, '/web/slowstart/');
  const elapsed = performance.now() - started;
  t.equal(response.status, 450, response.text);
  t.equal(response.headers['x-scf-error-type'], 'InitTimeout');
  t.equal(response.json.requestId, response.headers['x-scf-request-id']);
  t.match(response.json.errorMessage, /still starting after 3s/);
  // Well before the function's timeout (30 s) and the bootstrap's 30.5 s sleep. initTimeout is 3 s, not 1, so
  // that a loaded CI machine has started the bootstrap and it has printed its line by then; it counts from
  // the bootstrap's start, after the sandbox and its network are set up (a few hundred ms, more under load).
  t.ok(elapsed < 12_000, `answered after ${elapsed.toFixed(0)} ms`);
  const lines = await requestLog(gateway.url, 'slowstart', String(response.headers['x-scf-request-id']));
  t.ok(lines.some((line) => line.endsWith('warming up for a long time')), lines.join('\n'));
  t.same(await instances('slowstart'), [], 'the instance is gone');
  // The bootstrap's own `sleep 30.5` (only this fixture sleeps that long) ended with the instance.
  t.same(processesMentioning('sleep\u000030.5'), [], 'no process of the instance is left');
});

t.test('a bootstrap that exits without listening: 446, its output in the function log', NEEDS_SANDBOX, async (t) => {
  const response = await request(gateway.url, '/web/neverlisten/x');
  t.equal(response.status, 446, response.text);
  t.equal(response.headers['x-scf-error-type'], 'PortNotListening');
  t.match(response.json.errorMessage, /scf_bootstrap exited with code 3 before listening on port 9000/);
  const lines = await requestLog(gateway.url, 'neverlisten', String(response.headers['x-scf-request-id']));
  t.ok(lines.some((line) => line.endsWith('config file missing, giving up')), lines.join('\n'));
  t.match(lines.at(-1), /^Report RequestId: /);
});

t.test('no scf_bootstrap: 446', NEEDS_SANDBOX, async (t) => {
  const response = await request(gateway.url, '/web/nobootstrap/');
  t.equal(response.status, 446);
  t.match(response.json.errorMessage, /no scf_bootstrap/);
});

t.test('a server that dies mid-request: 439, and a new instance serves the next request', NEEDS_SANDBOX, async (t) => {
  const before = await request(gateway.url, '/web/crashy/');
  t.equal(before.status, 200);
  const crashed = await request(gateway.url, '/web/crashy/crash-before');
  t.equal(crashed.status, 439, crashed.text);
  t.equal(crashed.headers['x-scf-error-type'], 'UserProcessExited');
  t.match(crashed.json.errorMessage, /exited with code 2/);
  const after = await request(gateway.url, '/web/crashy/');
  t.equal(after.status, 200);
  t.not(after.json.instance, before.json.instance, 'served by a new server');

  // Dying after the response started: the status is on the wire, so the connection is cut.
  await t.rejects(request(gateway.url, '/web/crashy/crash'), 'the response is cut short');
  const next = await request(gateway.url, '/web/crashy/');
  t.equal(next.status, 200);
  t.not(next.json.instance, after.json.instance);
  t.equal((await instances('crashy')).length, 1, 'dead instances were dropped');
});

t.test('a request past the timeout: 433, the server keeps serving others', NEEDS_SANDBOX, async (t) => {
  const warm = await request(gateway.url, '/web/slowreq/');
  const started = performance.now();
  const response = await request(gateway.url, '/web/slowreq/slow?ms=3000');
  t.equal(response.status, 433, response.text);
  t.equal(response.headers['x-scf-error-type'], 'TimeLimitReached');
  t.ok(performance.now() - started < 2000);
  const after = await request(gateway.url, '/web/slowreq/');
  t.equal(after.json.instance, warm.json.instance, 'one slow request does not cost the other requests their server');
});

t.test('closing the gateway ends every process of its instances', NEEDS_SANDBOX, async (t) => {
  // A private copy of the code, so its path identifies this gateway's processes alone.
  const root = mkdtempSync(join(tmpdir(), 'fngate-web-close-'));
  const code = join(root, 'code');
  cpSync(webFixture('node'), code, { recursive: true });
  writeFileSync(
    join(root, 'fngate.yml'),
    stringify({ functions: { closing: { src: code, runtime: 'Nodejs18.15', type: 'web', instanceConcurrency: 1, reservedConcurrency: 2 } } }),
  );
  const closing = await startGateway({ dir: root, port: 0, host: '127.0.0.1', logger: silentLogger() });
  try {
    await Promise.all([request(closing.url, '/web/closing/slow?ms=300'), request(closing.url, '/web/closing/slow?ms=300')]);
    t.ok(processesMentioning(code).length > 0, 'instances are running');
  } finally {
    await closing.close();
  }
  t.same(processesMentioning(code), [], 'nothing is left running');
  rmSync(root, { recursive: true, force: true });
});
