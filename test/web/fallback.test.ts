// Without namespaces (FNGATE_WEB_SANDBOX=none, as where bubblewrap is missing): PORT on the host
// loopback, one instance per function, and the process group still ends with the instance.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { silentLogger } from '../../gateway/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { isRunning, request, webFixture } from './helpers.ts';

process.env.FNGATE_WEB_SANDBOX = 'none';
const root = mkdtempSync(join(tmpdir(), 'fngate-web-fallback-'));
writeFileSync(
  join(root, 'fngate.yml'),
  stringify({
    functions: {
      // Its scf_bootstrap has no execute bit (as after a zip upload) and runs `node` from PATH.
      portenv: { src: webFixture('port-env'), runtime: 'Nodejs18.15', type: 'web', instanceConcurrency: 1, reservedConcurrency: 5 },
    },
  }),
);
const gateway = await startGateway({ dir: root, port: 0, host: '127.0.0.1', logger: silentLogger() });
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('the server gets PORT and SERVERLESS; one instance at most', async (t) => {
  const slow = request(gateway.url, '/web/portenv/?ms=800');
  await new Promise((resolve) => setTimeout(resolve, 400));
  const second = await request(gateway.url, '/web/portenv/now');
  t.equal(second.status, 432, 'the one instance is busy, and no second one may start');
  const first = await slow;
  t.equal(first.status, 200, first.text);
  t.equal(first.json.serverless, '1');
  t.ok(first.json.port > 0);
  t.equal(first.json.url, '/?ms=800');
  const pid = first.json.pid as number;
  t.ok(isRunning(pid), 'the server runs on the host');
  await gateway.close();
  t.notOk(isRunning(pid), 'closing the gateway ended it');
});
