import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { nodeRuntime } from '../../runtimes/node/adapter.ts';
import type { FunctionSpec, Instance } from '../../runtimes/runtime.ts';
import { NODE_FIXTURES as FIXTURES, call, failure, invoke, nodeSpec as spec, startedWith } from '../helpers/node-instances.ts';
import { runNodeHandlerCases } from './node-handler.cases.ts';

/** Creates and starts an instance that the test closes when it ends. */
const started = (t: Test, fnSpec: FunctionSpec): Promise<Instance> => startedWith(nodeRuntime, t, fnSpec);

// The handler contract both Node.js modes share (node-process.test.ts runs the same table).
runNodeHandlerCases(t, { adapter: nodeRuntime, memoryBombMb: 16, codePath: () => '/var/user' });

t.test('adapter identity and lazy instances', async (t) => {
  t.equal(nodeRuntime.kind, 'nodejs');
  t.ok(nodeRuntime.supports('Nodejs18.15'));
  t.ok(nodeRuntime.supports('nodejs20'));
  t.notOk(nodeRuntime.supports('Python3.9'));
  const instance = nodeRuntime.createInstance(spec('echo'));
  t.equal(instance.alive, true, 'a created instance is not broken');
  await instance.close();
  await instance.close();
  t.equal(instance.alive, false, 'close is idempotent and ends the instance');
});

t.test('isolate-only load failures: process-only built-ins and native addons', async (t) => {
  const instance = nodeRuntime.createInstance(spec('require-child-process'));
  t.teardown(() => instance.close());
  const error = await failure(instance.start());
  t.equal(error.code, 'USER_CODE_LOAD_ERROR');
  t.equal(error.status, 443);
  t.match(error.message, /Cannot load module "child_process"/);
  t.match(error.message, /nodeRuntime: process/, 'the message says how to get it');
  t.equal(instance.alive, false, 'a failed start leaves no usable instance');
  const addon = nodeRuntime.createInstance(spec('addon'));
  await addon.start();
  t.teardown(() => addon.close());
  const addonError = await failure(call(addon).result);
  t.match(addonError.message, /native addons/, 'requiring a .node file fails and names it');
});

t.test('environment: function variables and built-ins', async (t) => {
  const instance = await started(t, spec('env', { environment: { GREETING: 'hi', TZ: 'Asia/Shanghai' }, layerDirs: [`${FIXTURES}layer`] }));
  const { env, context, version } = (await invoke(instance)) as { env: Record<string, string>; context: Record<string, unknown>; version: string };
  t.match(env, {
    GREETING: 'hi',
    TZ: 'Asia/Shanghai',
    SCF_RUNTIME: 'Nodejs18.15',
    SCF_FUNCTIONNAME: 'node-env',
    SCF_FUNCTIONVERSION: '$LATEST',
    SCF_NAMESPACE: 'default',
    SCF_MEMORYSIZE: '128',
    SCF_TIMEOUT: '3',
    TENCENTCLOUD_RUNENV: 'SCF',
    TENCENTCLOUD_REGION: 'ap-guangzhou',
    TENCENTCLOUD_APPID: '1250000000',
    TENCENTCLOUD_UIN: '100000000001',
    USER_CODE_ROOT: '/var/user/',
    _HANDLER: 'index.main_handler',
  });
  // SCF's paths, not the host's (runtimes/node/layout.ts).
  t.match(env.NODE_PATH, '/opt/nodejs/node_modules');
  t.notMatch(env.NODE_PATH, FIXTURES, 'no host folder shows');
  t.equal(env.PATH, undefined, 'nothing of the host environment leaks in');
  t.match(context.environ, /GREETING=hi/);
  t.equal(version, process.version);
});

t.test('an idle warm instance stays small', async (t) => {
  const instances = await Promise.all(Array.from({ length: 10 }, () => started(t, spec('echo'))));
  for (const instance of instances) await invoke(instance);
  // memoryUsage() answers from the last reading and refreshes it in the background when stale.
  await new Promise((resolve) => setTimeout(resolve, 150));
  for (const instance of instances) instance.memoryUsage();
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const instance of instances) {
    const bytes = instance.memoryUsage();
    t.ok(bytes > 0 && bytes < 5 * 1024 * 1024, `${(bytes / 1048576).toFixed(2)} MB in use`);
  }
});

t.test('the gateway event loop keeps running during a CPU-bound handler', async (t) => {
  const instance = await started(t, spec('loop', { handler: 'index.cpu' }));
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  try {
    t.same(await invoke(instance), 'cpu done');
  } finally {
    clearInterval(ticker);
  }
  t.ok(ticks >= 5, `host timers kept firing (${ticks} ticks in 300 ms)`);
});

t.test('fetch goes through the host', async (t) => {
  const server: Server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-reply', 'pong');
      res.end(JSON.stringify({ method: req.method, url: req.url, header: req.headers['x-test'], body: JSON.parse(body) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const instance = await started(t, spec('fetch'));
  t.same(await invoke(instance, { base }), {
    ok: true,
    status: 200,
    reply: 'pong',
    has: true,
    body: { method: 'POST', url: '/echo?x=1', header: 'yes', body: { sent: true } },
  });
  const slow = await started(t, spec('fetch', { handler: 'index.slow' }));
  const begin = performance.now();
  t.same(await invoke(slow, { base }, 300), { name: 'TimeoutError' }, 'a fetch is bounded by the time the invocation has left');
  t.ok(performance.now() - begin < 1500);
  const refused = await started(t, spec('fetch', { handler: 'index.refused' }));
  t.match(await invoke(refused), { name: 'TypeError', message: 'fetch failed' });
});

t.test('Buffer, TextEncoder, URL, crypto and other built-ins', async (t) => {
  const instance = await started(t, spec('globals'));
  const result = (await invoke(instance)) as Record<string, unknown>;
  t.match(result, {
    base64: Buffer.from('hello, 世界').toString('base64'),
    fromBase64: 'hi',
    hex: '0102ff',
    concat: 'ab',
    isBuffer: true,
    sameBuffer: true,
    encoded: [0xc3, 0xa9, 0xe2, 0x82, 0xac],
    decoded: '€',
    url: { href: 'https://example.com:8443/a/b?x=1&y=two&z=3#h', host: 'example.com:8443', pathname: '/a/b', x: '1' },
    search: 'a=1+2&b=%C3%BC',
    invalidUrl: 'TypeError',
    randomLength: 8,
    sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    hmac: 'de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9',
    randomBytes: 16,
    emitted: 42,
    format: 'a=1 {"b":2}',
    inspect: "{ a: [ 1, { b: 'c' } ] }",
    join: '/a/c',
    query: { a: ['1', '2'], b: '3' },
    btoa: 'aGk=',
    atob: 'hi',
    timersAreFunctions: true,
  });
  t.match(result.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
