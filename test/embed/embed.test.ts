/**
 * The embedding API (gateway/index.ts) in-process: createGateway with inline functions, invoke, fetch (also
 * mounted in a Hono app), the node listener and listen/close.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import t, { type Test } from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { createGateway, InvokeError, silentLogger } from '../../gateway/index.ts';

const HELLO = `exports.main_handler = async (event, context) => ({ hello: event.name, fn: context.function_name, version: context.function_version });\n`;
const THROWS = `exports.main_handler = async () => { throw new TypeError('nope'); };\n`;

const EMBED_TOKEN = 'embed-token';

async function embedded(t: Test) {
  const dir = testDir(t, { hello: { 'index.js': HELLO }, throws: { 'index.js': THROWS } });
  const gateway = await createGateway({
    dir,
    functions: {
      hello: { src: './hello', handler: 'index.main_handler', runtime: 'Nodejs18.15' },
      throws: { src: './throws', handler: 'index.main_handler', runtime: 'Nodejs18.15' },
    },
    limits: { concurrencyLimit: 7 },
    logger: silentLogger(),
    credentials: { apiToken: EMBED_TOKEN, keys: [] },
  });
  t.teardown(() => gateway.close());
  return gateway;
}

t.test('invoke: the result, or an InvokeError carrying the SCF status', async (t) => {
  const gateway = await embedded(t);
  t.same(await gateway.invoke('hello', { name: 'embed' }), { hello: 'embed', fn: 'hello', version: '$LATEST' });
  t.equal(gateway.config.gateway.concurrencyLimit, 7, 'limits reach the configuration');
  const thrown = await gateway.invoke('throws', {}).catch((error: unknown) => error);
  t.ok(thrown instanceof InvokeError);
  t.match(thrown, { statusCode: 430, code: 'USER_CODE_EXCEPTION', message: 'nope', errorType: 'TypeError' });
  t.match((thrown as InvokeError).stackTrace, /TypeError: nope/);
  t.match((thrown as InvokeError).requestId, /^[0-9a-f-]{36}$/);
  const missing = await gateway.invoke('absent').catch((error: unknown) => error);
  t.match(missing, { statusCode: 435, code: 'FUNCTION_NOT_FOUND' });
  const queued = (await gateway.invoke('hello', { name: 'later' }, { type: 'Event' })) as { RequestId: string };
  t.match(queued.RequestId, /^[0-9a-f-]{36}$/, 'Event answers with the RequestId of the queued event');
  const tooBig = await gateway.invoke('hello', { blob: 'x'.repeat(200 * 1024) }, { type: 'Event' }).catch((error: unknown) => error);
  t.match(tooBig, { statusCode: 406 }, 'the async payload limit applies as over HTTP');
});

t.test('fetch: every route, and mountable in a Hono app', async (t) => {
  const gateway = await embedded(t);
  const direct = await gateway.fetch(new Request('http://embedded/functions/hello/invoke', { method: 'POST', body: '{"name":"fetch"}' }));
  t.equal(direct.status, 200);
  t.match(await direct.json(), { hello: 'fetch' });
  t.match(direct.headers.get('x-scf-request-id'), /^[0-9a-f-]{36}$/);
  const list = await gateway.fetch(new Request('http://embedded/functions', { headers: { authorization: `Bearer ${EMBED_TOKEN}` } }));
  t.equal(list.status, 200);
  const refused = await gateway.fetch(new Request('http://embedded/functions'));
  t.equal(refused.status, 401, 'management routes need the credentials given to createGateway');

  const app = new Hono();
  app.get('/', (c) => c.text('host app'));
  app.mount('/fn', gateway.fetch);
  const mounted = await app.request('/fn/functions/hello/invoke', { method: 'POST', body: '{"name":"mounted"}' });
  t.equal(mounted.status, 200);
  t.match(await mounted.json(), { hello: 'mounted' });
  t.equal(await (await app.request('/')).text(), 'host app', "the host app's own routes still answer");
});

t.test('listener and listen: node servers, closed by close()', async (t) => {
  const gateway = await embedded(t);
  const server = createServer(gateway.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const viaListener = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/functions/hello/invoke`, { method: 'POST', body: '{"name":"listener"}' });
  t.match(await viaListener.json(), { hello: 'listener' });

  const { url, port } = await gateway.listen(0, '127.0.0.1');
  t.ok(port > 0);
  const viaListen = await fetch(`${url}/functions/hello/invoke`, { method: 'POST', body: '{"name":"listen"}' });
  t.match(await viaListen.json(), { hello: 'listen' });
  await gateway.close();
  await gateway.close();
  const refused = await fetch(`${url}/healthz`).catch((error: unknown) => error);
  t.ok(refused instanceof Error, 'the listening socket is closed');
  await t.rejects(gateway.listen(0, '127.0.0.1'), /closed/);
});

t.test('an invalid inline definition fails with the function and key named', async (t) => {
  await t.rejects(
    createGateway({ dir: testDir(t, {}), functions: { broken: { src: '.', runtime: 'Nodejs18.15', timeout: 'soon' } }, logger: silentLogger() }),
    /function "broken": key "timeout"/,
  );
});
