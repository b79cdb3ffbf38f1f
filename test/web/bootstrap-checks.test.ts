import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { request, requestLog, webFixture } from './helpers.ts';

/** A copy of a fixture whose start script is rewritten with Windows line endings. */
function withCrlf(source: string, script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fngate-crlf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(source, dir, { recursive: true });
  const path = join(dir, script);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/\r?\n/g, '\r\n'));
  chmodSync(path, 0o755);
  return dir;
}

const gateway = await startTestGateway(t, {
  functions: {
    crlfweb: { src: withCrlf(webFixture('router'), 'scf_bootstrap'), runtime: 'Nodejs18.15', type: 'web' },
    crlfcustom: { src: withCrlf(fileURLToPath(new URL('../fixtures/custom/scf-sample', import.meta.url)), 'bootstrap'), runtime: 'CustomRuntime' },
    loopback: { src: webFixture('port-env'), runtime: 'Nodejs18.15', type: 'web' },
    anyaddr: { src: webFixture('router'), runtime: 'Nodejs18.15', type: 'web' },
  },
});

const WARNING = /\[fngate\] warning: the web server listens on 127\.0\.0\.1:\d+ only; SCF requires 0\.0\.0\.0:9000/;

t.test('an scf_bootstrap with CRLF line endings is a 446 that says so, in the answer and the log', async (t) => {
  const response = await request(gateway.url, '/web/crlfweb/users/1');
  t.equal(response.status, 446);
  t.match(response.json.errorMessage, /^scf_bootstrap has Windows \(CRLF\) line endings; SCF requires LF/);
  t.match(response.json.errorMessage, /dos2unix scf_bootstrap/);
  const lines = await requestLog(gateway.url, 'crlfweb', String(response.headers['x-scf-request-id']));
  t.ok(lines.some((line) => line.includes('scf_bootstrap has Windows (CRLF) line endings')), lines.join('\n'));
});

t.test("a custom runtime's bootstrap with CRLF line endings fails to load (443) with the same explanation", async (t) => {
  const response = await gateway.invoke('crlfcustom', {});
  t.equal(response.status, 443);
  t.match(response.json.errorMessage, /^bootstrap has Windows \(CRLF\) line endings; SCF requires LF/);
});

t.test('a server bound to 127.0.0.1 works, with one warning that SCF requires 0.0.0.0', async (t) => {
  const first = await request(gateway.url, '/web/loopback/a');
  t.equal(first.status, 200, first.text);
  t.equal(first.json.url, '/a');
  const firstLog = await requestLog(gateway.url, 'loopback', String(first.headers['x-scf-request-id']));
  t.equal(firstLog.filter((line) => WARNING.test(line)).length, 1, firstLog.join('\n'));
  const second = await request(gateway.url, '/web/loopback/b');
  t.equal(second.status, 200);
  const secondLog = await requestLog(gateway.url, 'loopback', String(second.headers['x-scf-request-id']));
  t.notOk(secondLog.some((line) => line.includes('[fngate] warning')), 'once per instance, not per request');
});

t.test('a server bound to 0.0.0.0 gets no warning', async (t) => {
  const response = await request(gateway.url, '/web/anyaddr/users/1');
  t.equal(response.status, 200, response.text);
  const lines = await requestLog(gateway.url, 'anyaddr', String(response.headers['x-scf-request-id']));
  t.notOk(lines.some((line) => line.includes('[fngate] warning')), lines.join('\n'));
});
