/** `fngate deploy | publish | alias set | functions | layers publish` against a real gateway. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { startTestGateway, TEST_CREDENTIALS } from '../helpers/gateway.ts';
import { jsonCall, nodeHandler, zipOf } from '../helpers/lifecycle.ts';

const bin = fileURLToPath(new URL('../../bin/fngate.js', import.meta.url));
const run = promisify(execFile);
const gateway = await startTestGateway(t, { functions: {} });
const env = { ...process.env, FNGATE_FROM_SOURCE: '1', FNGATE_API_TOKEN: TEST_CREDENTIALS.apiToken, FNGATE_LOG_LEVEL: 'warn' };
const fngate = (...args: string[]) => run(process.execPath, [bin, ...args, '--url', gateway.url], { env });

t.test('each lifecycle command once', async (t) => {
  const root = testDir(t, { layer: { 'motd.txt': 'from the layer' }, code: nodeHandler(`'cli one'`) });

  const layer = await fngate('layers', 'publish', 'motd', join(root, 'layer'), '--runtimes', 'Nodejs18.15,Python3.9');
  t.match(layer.stdout, /^published layer motd version 1 \(\d+ bytes; Nodejs18\.15, Python3\.9\)\n$/);
  t.match((await jsonCall(gateway, 'GET', '/layers/motd/versions/1')).json, { name: 'motd', compatibleRuntimes: ['Nodejs18.15', 'Python3.9'] });

  const deployed = await fngate('deploy', join(root, 'code'), '--name', 'clifn', '--runtime', 'Nodejs18.15', '--handler', 'index.main_handler');
  t.match(deployed.stdout, /^deployed default\/clifn \$LATEST \(Nodejs18\.15, index\.main_handler, code sha256 [0-9a-f]{12}…, \d+ bytes\)\n$/);
  t.equal((await gateway.invoke('clifn')).json, 'cli one');

  t.equal((await fngate('publish', 'clifn', '--description', 'first')).stdout, 'published default/clifn version 1\n');
  writeFileSync(join(root, 'code', 'index.js'), nodeHandler(`'cli two'`)['index.js']!);
  await fngate('deploy', join(root, 'code'), '--name', 'clifn');
  t.equal((await gateway.invoke('clifn')).json, 'cli two', 'deploy again: new code for the existing function');
  t.equal((await gateway.invoke('clifn', {}, { qualifier: '1' })).json, 'cli one');
  t.equal((await fngate('publish', 'clifn')).stdout, 'published default/clifn version 2\n');

  const alias = await fngate('alias', 'set', 'clifn', 'prod', '1,2=0.25');
  t.equal(alias.stdout, 'alias prod of default/clifn: version 1 75%, version 2 25%\n');
  t.match((await jsonCall(gateway, 'GET', '/functions/clifn/aliases/prod')).json, { version: '1', additionalVersionWeights: [{ version: '2', weight: 0.25 }] });
  await fngate('alias', 'set', 'clifn', 'prod', '2');
  t.equal((await gateway.invoke('clifn', {}, { qualifier: 'prod' })).json, 'cli two');

  const zipPath = join(root, 'zipped.zip');
  writeFileSync(zipPath, zipOf(nodeHandler(`'from a zip'`)));
  t.match((await fngate('deploy', zipPath)).stdout, /^deployed default\/zipped \$LATEST/);
  t.equal((await gateway.invoke('zipped')).json, 'from a zip');

  const listed = await fngate('functions');
  t.match(listed.stdout, /^clifn\s+Nodejs18\.15\s+event\s+128MB\s+3s\s+\d+ instance\(s\)$/m);
  t.match(listed.stdout, /^zipped\s/m);

  const failed = await fngate('publish', 'missing').catch((error) => error);
  t.equal(failed.code, 1);
  t.match(failed.stderr, /^fngate: publish failed with status 435 FunctionNotFound: function missing not found in namespace default; /);
  const badRouting = await fngate('alias', 'set', 'clifn', 'prod', '1,2=3').catch((error) => error);
  t.equal(badRouting.code, 2, 'a malformed routing is a usage error');
});
