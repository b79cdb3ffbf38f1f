/**
 * Versions and aliases in the registry, invoked by qualifier through the real gateway over HTTP: the
 * version that ran is in `X-Scf-Version` and is what the handler's context reports; an alias's weights
 * hold over 2,000 calls; unknown qualifiers answer 442. Versions and aliases are set through the
 * registry's Deployments methods (the catalog's service sits on top of them).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { invokeFunction, InvokeError } from '../../gateway/embed-invoke.ts';
import { FnError } from '../../gateway/errors.ts';
import { startTestGateway } from '../helpers/gateway.ts';

const work = mkdtempSync(join(tmpdir(), 'fngate-versions-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

/** A Node.js function whose result names its code and the version its context and environment report. */
function codeFolder(tag: string): string {
  const dir = join(work, tag);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.js'),
    `exports.main_handler = async (event, context) => ({ code: ${JSON.stringify(tag)}, version: context.function_version, env: process.env.SCF_FUNCTIONVERSION });\n`,
  );
  return dir;
}

const gateway = await startTestGateway(t, {
  functions: {
    ver: {
      src: codeFolder('latest'),
      runtime: 'Nodejs18.15',
      reservedConcurrency: 20,
      events: [
        { cmq: { name: 'ver-orders', parameters: { name: 'orders', qualifier: '1' } } },
        { apigw: { parameters: { endpoints: [{ path: '/ver-stable', method: 'GET', function: { functionQualifier: 'stable' } }] } } },
      ],
    },
  },
});
const registry = gateway.services.registry;
const latest = registry.lookup('default', 'ver').config;
await registry.putVersion({ ...latest, src: codeFolder('one') }, '1');
await registry.putVersion({ ...latest, src: codeFolder('two') }, '2');

t.test('a version number runs that version; the header and the context name it', async (t) => {
  for (const [qualifier, code, version] of [
    [undefined, 'latest', '$LATEST'],
    ['$LATEST', 'latest', '$LATEST'],
    ['1', 'one', '1'],
    ['2', 'two', '2'],
  ] as const) {
    const response = await gateway.invoke('ver', {}, { qualifier });
    t.equal(response.status, 200, `${qualifier}: ${response.text}`);
    t.same(response.json, { code, version, env: version }, `${qualifier ?? '(none)'} ran ${code}`);
    t.equal(response.headers.get('x-scf-version'), version, `${qualifier ?? '(none)'}: X-Scf-Version`);
  }
});

t.test('an alias to one version runs it; moving the alias moves the traffic', async (t) => {
  registry.setAlias('default', 'ver', 'stable', { version: '1' });
  let response = await gateway.invoke('ver', {}, { qualifier: 'stable' });
  t.equal(response.json.code, 'one');
  t.equal(response.headers.get('x-scf-version'), '1');
  registry.setAlias('default', 'ver', 'stable', { version: '2' });
  response = await gateway.invoke('ver', {}, { qualifier: 'stable' });
  t.equal(response.json.code, 'two');
  t.equal(response.headers.get('x-scf-version'), '2');
});

t.test('a 90/10 alias splits 2,000 calls within binomial tolerance; each answer names the version that ran', async (t) => {
  const calls = 2000;
  const share = 0.1;
  registry.setAlias('default', 'ver', 'canary', { version: '1', additionalVersionWeights: [{ version: '2', weight: share }] });
  const seen = { '1': 0, '2': 0 } as Record<string, number>;
  let mismatches = 0;
  let failures = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      next++;
      const response = await gateway.invoke('ver', {}, { qualifier: 'canary' });
      if (response.status !== 200) {
        failures++;
        continue;
      }
      const header = response.headers.get('x-scf-version') ?? '?';
      seen[header] = (seen[header] ?? 0) + 1;
      if (response.json.version !== header || response.json.code !== (header === '1' ? 'one' : 'two')) mismatches++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  t.equal(failures, 0, 'every call succeeded');
  t.equal(mismatches, 0, 'the handler saw the version the header names, running that version’s code');
  t.equal(seen['1']! + seen['2']!, calls, 'only versions 1 and 2 ran');
  const mean = calls * share;
  const sigma = Math.sqrt(calls * share * (1 - share));
  t.ok(Math.abs(seen['2']! - mean) <= 4 * sigma, `version 2 ran ${seen['2']} times; expected ${mean} ± ${(4 * sigma).toFixed(1)} (4σ)`);
});

t.test('unknown qualifiers answer 442; unknown functions 435', async (t) => {
  for (const qualifier of ['7', 'nope', '$latest']) {
    const response = await gateway.invoke('ver', {}, { qualifier });
    t.equal(response.status, 442, `qualifier ${qualifier}`);
    t.equal(response.json.statusCode, 442);
    t.equal(response.headers.get('x-scf-version'), null, 'no version ran');
  }
  t.equal((await gateway.invoke('nope', {}, { qualifier: '1' })).status, 435);
  const embedded = await invokeFunction(gateway.services, 'ver', {}, { qualifier: 'nope' }).catch((error: unknown) => error);
  t.ok(embedded instanceof InvokeError && embedded.statusCode === 442, 'the embedding invoke: 442');
  t.same(await invokeFunction(gateway.services, 'ver', {}, { qualifier: '2' }), { code: 'two', version: '2', env: '2' }, 'the embedding invoke by version');
});

t.test('$DEFAULT is $LATEST until an alias of that name is set', async (t) => {
  t.equal((await gateway.invoke('ver', {}, { qualifier: '$DEFAULT' })).json.code, 'latest');
  registry.setAlias('default', 'ver', '$DEFAULT', { version: '1' });
  t.equal((await gateway.invoke('ver', {}, { qualifier: '$DEFAULT' })).json.code, 'one');
  registry.removeAlias('default', 'ver', '$DEFAULT');
  t.equal((await gateway.invoke('ver', {}, { qualifier: '$DEFAULT' })).json.code, 'latest');
});

t.test('aliases are checked: unknown versions, bad weights', async (t) => {
  const code = (fn: () => void): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return error instanceof FnError ? error.code : String(error);
    }
  };
  t.equal(code(() => registry.setAlias('default', 'ver', 'x', { version: '9' })), 'QUALIFIER_NOT_FOUND');
  t.equal(code(() => registry.setAlias('default', 'ver', 'x', { version: '1', additionalVersionWeights: [{ version: '9', weight: 0.5 }] })), 'QUALIFIER_NOT_FOUND');
  t.equal(code(() => registry.setAlias('default', 'ver', 'x', { version: '1', additionalVersionWeights: [{ version: '2', weight: 1.5 }] })), 'INVALID_PARAMETER');
  t.equal(code(() => registry.setAlias('default', 'ver', 'x', { version: '1', additionalVersionWeights: [{ version: '1', weight: 0.5 }] })), 'INVALID_PARAMETER');
  t.equal(code(() => registry.setAlias('nope', 'ver', 'x', { version: '1' })), 'FUNCTION_NOT_FOUND');
});

/** Waits for an async event to finish; its record. */
async function finished(id: string): Promise<{ status: string; qualifier: string; result: unknown } | undefined> {
  let event: { status: string; qualifier: string; result: unknown } | undefined;
  for (let i = 0; i < 200; i++) {
    event = (await (await gateway.api(`/async-events/${id}`)).json()) as typeof event;
    if (event?.status === 'succeeded') break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return event;
}

t.test('an async event keeps the qualifier it was accepted with', async (t) => {
  const response = await gateway.invoke('ver', { async: true }, { qualifier: '1', headers: { 'X-Fn-Invocation-Type': 'Event' } });
  t.equal(response.status, 202);
  const event = await finished(response.json.RequestId as string);
  t.equal(event?.status, 'succeeded');
  t.equal(event?.qualifier, '1');
  t.same(event?.result, { code: 'one', version: '1', env: '1' });
});

t.test('triggers may name a qualifier: a topic subscription runs version 1, an API gateway endpoint an alias', async (t) => {
  const published = await gateway.services.async.topics.publish('orders', [{ msgBody: 'hello' }]);
  t.equal(published.deliveries.length, 1);
  const event = await finished(published.deliveries[0]!.requestId);
  t.equal(event?.qualifier, '1');
  t.same(event?.result, { code: 'one', version: '1', env: '1' });
  registry.setAlias('default', 'ver', 'stable', { version: '2' });
  const viaApigw = await fetch(`${gateway.url}/ver-stable`);
  t.equal(viaApigw.status, 200);
  t.same(await viaApigw.json(), { code: 'two', version: '2', env: '2' });
  registry.setAlias('default', 'ver', 'stable', { version: '1' });
  t.same(await (await fetch(`${gateway.url}/ver-stable`)).json(), { code: 'one', version: '1', env: '1' }, 'moving the alias moves the endpoint');
});

t.test('a removed version answers 442, also through an alias that pointed at it', async (t) => {
  const three = { ...latest, src: codeFolder('three') };
  await registry.putVersion(three, '3');
  registry.setAlias('default', 'ver', 'third', { version: '3' });
  t.equal((await gateway.invoke('ver', {}, { qualifier: 'third' })).json.code, 'three');
  const pool = registry.lookup('default', 'ver', '3').pool;
  await registry.removeVersion('default', 'ver', '3');
  t.equal(pool.size, 0, 'its instances ended');
  t.equal((await gateway.invoke('ver', {}, { qualifier: '3' })).status, 442);
  t.equal((await gateway.invoke('ver', {}, { qualifier: 'third' })).status, 442);
  t.equal((await gateway.invoke('ver', {}, { qualifier: '1' })).status, 200, 'the other versions still serve');
});

t.test('versions share the function’s reserved concurrency', async (t) => {
  t.equal(registry.lookup('default', 'ver', '1').limiter, registry.lookup('default', 'ver').limiter);
  t.equal(registry.lookup('default', 'ver').limiter.limit, 20);
});
