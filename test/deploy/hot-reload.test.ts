/**
 * `serve --watch` on a real project folder: editing function A while B is under steady load redeploys A
 * only (B sees no error and no cold start), A's next call runs the new code while a slow call started
 * before the edit finishes on the old; an invalid fngate.yml keeps everything serving and logs one
 * line; a rewritten zip is picked up; a function dropped from fngate.yml is removed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { strToU8, zipSync } from 'fflate';
import t from 'tap';
import { stringify } from 'yaml';
import { createLogger } from '../../gateway/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { TEST_CREDENTIALS, withClient } from '../helpers/gateway.ts';

const root = mkdtempSync(join(tmpdir(), 'fngate-hot-reload-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** A handler that names its code and can be told to take its time. */
const handler = (tag: string): string =>
  `exports.main_handler = async (event) => {\n` +
  `  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));\n` +
  `  return { code: ${JSON.stringify(tag)}, greeting: process.env.GREETING ?? null };\n};\n`;

function writeCode(name: string, tag: string): void {
  mkdirSync(join(root, name), { recursive: true });
  writeFileSync(join(root, name, 'index.js'), handler(tag));
}

function writeZip(tag: string): void {
  writeFileSync(join(root, 'zipped.zip'), zipSync({ 'index.js': strToU8(handler(tag)) }));
}

const functions = {
  fa: { src: './a', runtime: 'Nodejs18.15', timeout: 10 },
  // Four warm instances for the four load workers: any cold start of B would come from the reload.
  fb: { src: './b', runtime: 'Nodejs18.15', reservedConcurrency: 10, provisionedConcurrency: 4 },
  zipped: { src: './zipped.zip', runtime: 'Nodejs18.15' },
};
const writeManifest = (manifest: unknown): void => writeFileSync(join(root, 'fngate.yml'), typeof manifest === 'string' ? manifest : stringify(manifest));

writeCode('a', 'a1');
writeCode('b', 'b1');
writeZip('z1');
writeManifest({ functions });

const logLines: string[] = [];
const logger = createLogger({
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  }),
});
const gateway = withClient(await startGateway({ dir: root, port: 0, host: '127.0.0.1', logger, credentials: TEST_CREDENTIALS, watch: true }));
t.teardown(() => gateway.close());
const registry = gateway.services.registry;

/** Calls `probe` until it returns true, or fails after `ms`. */
async function until(probe: () => Promise<boolean> | boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

const codeOf = async (name: string): Promise<string | undefined> => (await gateway.invoke(name, {})).json?.code;

t.test('editing A while B is under load: B sees no error and no cold start; A runs the new code, in-flight A the old', async (t) => {
  t.equal(await codeOf('fa'), 'a1');
  t.equal(await codeOf('fb'), 'b1');
  const bPool = registry.lookup('default', 'fb').pool;
  const aPool = registry.lookup('default', 'fa').pool;
  const bColdStarts = bPool.coldStarts;

  let loading = true;
  const statuses = new Map<number, number>();
  const codes = new Set<string>();
  const load = Array.from({ length: 4 }, async () => {
    while (loading) {
      const response = await gateway.invoke('fb', {});
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      codes.add(response.json?.code);
    }
  });

  const slow = gateway.invoke('fa', { sleepMs: 1500 });
  t.ok(await until(() => aPool.info().some((instance) => instance.state === 'busy')), 'the slow call of A is running');
  writeCode('a', 'a2');
  t.ok(await until(async () => (await codeOf('fa')) === 'a2'), "A's next call runs the new code");
  const slowAnswer = await slow;
  t.equal(slowAnswer.status, 200);
  t.equal(slowAnswer.json.code, 'a1', 'the call in flight during the edit finished on the old code');
  t.ok(await until(() => aPool.size === 0), "A's old instances ended once they were done");
  t.not(registry.lookup('default', 'fa').pool, aPool, 'A has a new pool');

  // B keeps its load until it has been served enough calls to mean it, however slow the machine.
  await until(() => (statuses.get(200) ?? 0) > 20, 60_000);
  loading = false;
  await Promise.all(load);
  t.same([...statuses.keys()], [200], `B answered only 200 (${JSON.stringify([...statuses])})`);
  t.ok((statuses.get(200) ?? 0) > 20, `B was under load: ${statuses.get(200)} calls`);
  t.same([...codes], ['b1']);
  t.equal(registry.lookup('default', 'fb').pool, bPool, 'B kept its pool');
  t.equal(bPool.coldStarts, bColdStarts, 'B had no cold start');
  t.ok(logLines.some((line) => /hot reload: deployed default\/fa;/.test(line)), 'the reload is logged');
});

t.test('an invalid fngate.yml keeps A and B serving and logs one line with the error', async (t) => {
  const before = logLines.length;
  writeManifest('functions:\n  a: [unclosed\n');
  t.ok(await until(() => logLines.slice(before).some((line) => line.includes('not valid YAML'))), 'bad YAML is logged');
  t.equal(await codeOf('fa'), 'a2');
  t.equal(await codeOf('fb'), 'b1');

  const mark = logLines.length;
  writeManifest({ functions: { ...functions, fa: { ...functions.fa, timeoutt: 3 } } });
  t.ok(await until(() => logLines.slice(mark).some((line) => line.includes('timeoutt'))), 'an unknown key is logged, naming it');
  const errorLine = logLines.slice(mark).find((line) => line.includes('timeoutt'))!;
  t.equal(JSON.parse(errorLine).level, 50, 'at error level');
  t.match(JSON.parse(errorLine).msg, /^hot reload: the change was not applied/);
  t.equal(await codeOf('fa'), 'a2');
  t.equal(await codeOf('fb'), 'b1');
});

t.test('a configuration change in fngate.yml redeploys that function only', async (t) => {
  const bPool = registry.lookup('default', 'fb').pool;
  writeManifest({ functions: { ...functions, fa: { ...functions.fa, environment: { variables: { GREETING: 'hi' } } } } });
  t.ok(await until(async () => (await gateway.invoke('fa', {})).json?.greeting === 'hi'), 'A got its new environment');
  t.equal(registry.lookup('default', 'fb').pool, bPool, 'B kept its pool');
});

t.test('a rewritten zip is picked up', async (t) => {
  t.equal(await codeOf('zipped'), 'z1');
  writeZip('z2');
  t.ok(await until(async () => (await codeOf('zipped')) === 'z2'), 'the new zip runs');
});

t.test('a function dropped from fngate.yml is removed; added back, it serves again', async (t) => {
  const { fb: _fb, ...rest } = functions;
  writeManifest({ functions: { ...rest, fa: { ...functions.fa, environment: { variables: { GREETING: 'hi' } } } } });
  t.ok(await until(async () => (await gateway.invoke('fb', {})).status === 435), 'B is gone');
  writeManifest({ functions: { ...functions, fa: { ...functions.fa, environment: { variables: { GREETING: 'hi' } } } } });
  t.ok(await until(async () => (await codeOf('fb')) === 'b1'), 'B is back');
});

t.test('gateway.close() ends the watcher', async (t) => {
  const watching = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'FSEventWrap' || kind === 'StatWatcher').length;
  t.ok(watching() > 0, 'watching while serving');
  await gateway.close();
  t.equal(watching(), 0, 'no file watcher left after close');
  const mark = logLines.length;
  writeCode('a', 'a3');
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.same(logLines.slice(mark).filter((line) => line.includes('hot reload')), [], 'an edit after close reloads nothing');
});
