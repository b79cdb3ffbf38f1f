/** The catalog across restarts on one data dir, and fngate.yml reconciled against it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { stringify } from 'yaml';
import { createLogger } from '../../gateway/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { TEST_CREDENTIALS, withClient, type TestGateway } from '../helpers/gateway.ts';
import { createFunction, jsonCall, nodeHandler, putCode, zipOf } from '../helpers/lifecycle.ts';
import { sdkClient } from '../tcapi/client.ts';

/** A gateway over `root` with its state in `dataDir`, and the warning lines it logged about functions. */
async function start(root: string, dataDir: string): Promise<{ gateway: TestGateway; warnings: string[] }> {
  const warnings: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { level: number; msg: string };
        if (entry.level === 40 && /^(function|total concurrency)/.test(entry.msg)) warnings.push(entry.msg);
      }
      callback();
    },
  });
  const gateway = await startGateway({ dir: root, dataDir, port: 0, host: '127.0.0.1', logger: createLogger({ level: 'warn', destination }), credentials: TEST_CREDENTIALS });
  return { gateway: withClient(gateway), warnings };
}

function writeFunction(root: string, name: string, result: string): void {
  mkdirSync(join(root, name), { recursive: true });
  writeFileSync(join(root, name, 'index.js'), nodeHandler(result)['index.js']!);
}

t.test('functions, versions and aliases made through the API survive a restart on the same data dir', async (t) => {
  const root = testDir(t, { 'fngate.yml': stringify({ functions: {} }) });
  const dataDir = join(root, 'state');
  let { gateway } = await start(root, dataDir);
  t.teardown(() => gateway.close());
  t.equal((await createFunction(gateway, 'kept', zipOf(nodeHandler(`'k1 ' + context.function_version`)), { timeout: 7 })).status, 201);
  t.equal((await jsonCall(gateway, 'POST', '/functions/kept/versions')).json.version, '1');
  await putCode(gateway, 'kept', zipOf(nodeHandler(`'k2 ' + context.function_version`)));
  t.equal((await jsonCall(gateway, 'PUT', '/functions/kept/aliases/prod', { version: '1' })).status, 200);
  t.equal((await jsonCall(gateway, 'POST', '/layers/tools/versions', { zipFile: zipOf({ 'tool.txt': 't' }).toString('base64'), compatibleRuntimes: ['Nodejs18.15'] })).status, 201);
  await gateway.close();

  ({ gateway } = await start(root, dataDir));
  t.equal((await gateway.invoke('kept')).json, 'k2 $LATEST');
  t.equal((await gateway.invoke('kept', {}, { qualifier: '1' })).json, 'k1 1');
  t.equal((await gateway.invoke('kept', {}, { qualifier: 'prod' })).json, 'k1 1');
  const versions = await jsonCall(gateway, 'GET', '/functions/kept/versions');
  t.same(versions.json.items.map((item: { version: string }) => item.version), ['$LATEST', '1']);
  t.equal(versions.json.items[0].timeout, 7);
  t.equal((await jsonCall(gateway, 'POST', '/functions/kept/versions')).json.version, '2');
  t.equal((await jsonCall(gateway, 'GET', '/layers/tools/versions/1')).status, 200);
});

t.test('fngate.yml is the declared state of the functions it names: it wins at the next start, with one warning line each', async (t) => {
  const root = testDir(t, {});
  const dataDir = join(root, 'state');
  writeFunction(root, 'declared', `'from the file'`);
  writeFunction(root, 'dropped', `'dropped'`);
  writeFunction(root, 'adopted', `'adopted from the file'`);
  const manifest = (names: string[]) => stringify({ functions: Object.fromEntries(names.map((name) => [name, { src: `./${name}`, runtime: 'Nodejs18.15' }])) });
  writeFileSync(join(root, 'fngate.yml'), manifest(['declared', 'dropped']));
  let { gateway, warnings } = await start(root, dataDir);
  t.teardown(() => gateway.close());
  t.equal((await gateway.invoke('declared')).json, 'from the file');
  const declared = await jsonCall(gateway, 'GET', '/functions/declared/versions');
  t.equal(declared.json.items[0].origin, 'manifest');

  // Changed through the API: that lasts until fngate.yml is applied again.
  t.equal((await putCode(gateway, 'declared', zipOf(nodeHandler(`'from the API'`)))).status, 200);
  t.equal((await gateway.invoke('declared')).json, 'from the API');
  t.equal((await jsonCall(gateway, 'POST', '/functions/declared/versions')).json.version, '1');
  t.equal((await createFunction(gateway, 'adopted', zipOf(nodeHandler(`'adopted, made by the API'`)))).status, 201);
  t.equal((await createFunction(gateway, 'apionly', zipOf(nodeHandler(`'api only'`)))).status, 201);
  t.same(warnings, []);
  await gateway.close();

  writeFileSync(join(root, 'fngate.yml'), manifest(['declared', 'adopted']));
  ({ gateway, warnings } = await start(root, dataDir));
  t.equal((await gateway.invoke('declared')).json, 'from the file', 'the file wins');
  t.equal((await gateway.invoke('declared', {}, { qualifier: '1' })).json, 'from the API', 'a published version is kept');
  t.equal((await gateway.invoke('adopted')).json, 'adopted from the file');
  t.equal((await gateway.invoke('dropped')).status, 435, 'no longer in the file: removed');
  t.equal((await gateway.invoke('apionly')).json, 'api only', 'made by the API: left alone');
  t.same(warnings.sort(), [
    'function default/adopted: made through the API, now declared in fngate.yml, which wins',
    'function default/declared: fngate.yml replaces the changes made to it through the API',
  ]);
  await gateway.close();

  // Nothing changed through the API since: no warning.
  ({ gateway, warnings } = await start(root, dataDir));
  t.equal((await gateway.invoke('declared')).json, 'from the file');
  t.same(warnings, []);
});

t.test('a fngate.yml zip with an entry that climbs out stops the start with a configuration error naming it', async (t) => {
  const root = testDir(t, {});
  writeFileSync(join(root, 'code.zip'), zipOf({ 'index.js': 'exports.main_handler = () => 1;', '../outside.js': 'x' }));
  writeFileSync(join(root, 'fngate.yml'), stringify({ functions: { zipped: { src: './code.zip', runtime: 'Nodejs18.15' } } }));
  await t.rejects(start(root, join(root, 'state')), {
    name: 'ConfigError',
    message: `function "zipped": key "src": ${join(root, 'code.zip')}: zip entry "../outside.js" points out of the code folder; entries must be relative paths inside it`,
  });
});

t.test('reconcile: an unchanged manifest function keeps its deployment, a touched one is redeployed', async (t) => {
  const root = testDir(t, {});
  writeFunction(root, 'steady', `'steady'`);
  writeFileSync(join(root, 'fngate.yml'), stringify({ functions: { steady: { src: './steady', runtime: 'Nodejs18.15' } } }));
  const { gateway } = await start(root, join(root, 'state'));
  t.teardown(() => gateway.close());
  t.equal((await gateway.invoke('steady')).json, 'steady');
  const before = gateway.services.registry.lookup('default', 'steady');
  const unchanged = await gateway.services.reconciler.reconcile(gateway.config);
  t.same(unchanged, { deployed: [], removed: [], unchanged: ['default/steady'] });
  t.equal(gateway.services.registry.lookup('default', 'steady'), before, 'same deployment: warm instances stay');
  writeFunction(root, 'steady', `'edited'`);
  const touched = await gateway.services.reconciler.reconcile(gateway.config, new Set(['default/steady']));
  t.same(touched.deployed, ['default/steady']);
  t.equal((await gateway.invoke('steady')).json, 'edited');
});

t.test('PutTotalConcurrencyConfig holds across restarts until fngate.yml declares another concurrencyLimit', async (t) => {
  const root = testDir(t, {});
  const dataDir = join(root, 'state');
  const manifest = (concurrencyLimit: number) => stringify({ gateway: { concurrencyLimit }, functions: {} });
  writeFileSync(join(root, 'fngate.yml'), manifest(40));
  let { gateway, warnings } = await start(root, dataDir);
  t.teardown(() => gateway.close());
  t.equal(gateway.services.globalLimiter.limit, 40, "fngate.yml's value at first");
  // The cloud counts in MB: 128 MB per concurrent invocation (gateway/tcapi/config-actions.ts).
  await sdkClient(gateway.url).PutTotalConcurrencyConfig({ TotalConcurrencyMem: 7 * 128 });
  t.equal(gateway.services.globalLimiter.limit, 7);
  await gateway.close();

  ({ gateway, warnings } = await start(root, dataDir));
  t.equal(gateway.services.globalLimiter.limit, 7, 'the API value holds after a restart');
  t.same(warnings, []);
  await gateway.close();

  writeFileSync(join(root, 'fngate.yml'), manifest(50));
  ({ gateway, warnings } = await start(root, dataDir));
  t.equal(gateway.services.globalLimiter.limit, 50, 'a changed fngate.yml wins');
  t.same(warnings, ["total concurrency: fngate.yml's gateway.concurrencyLimit (50) replaces the limit set through the API (7)"]);
  await gateway.close();

  ({ gateway, warnings } = await start(root, dataDir));
  t.equal(gateway.services.globalLimiter.limit, 50, 'and keeps winning: the API value is gone');
  t.same(warnings, []);
});
