import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { FnError } from '../../gateway/errors.ts';
import type { LogLine } from '../../runtimes/instance-log.ts';
import { nodeRuntime } from '../../runtimes/node/adapter.ts';
import type { FunctionSpec, Instance } from '../../runtimes/runtime.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/node/', import.meta.url));

function spec(fixture: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    namespace: 'default',
    name: `node-${fixture}`,
    version: '$LATEST',
    runtime: 'Nodejs18.15',
    type: 'event',
    handler: 'index.main_handler',
    handlerStyle: 'scf',
    initializer: undefined,
    codeDir: `${FIXTURES}${fixture}`,
    layerDirs: [],
    memoryMb: 128,
    timeoutMs: 3000,
    initTimeoutMs: 3000,
    environment: {},
    platform: { region: 'ap-guangzhou', appId: '1250000000', uin: '100000000001' },
    ...overrides,
  };
}

/** Creates and starts an instance that the test closes when it ends. */
async function started(t: Test, fnSpec: FunctionSpec): Promise<Instance> {
  const instance = nodeRuntime.createInstance(fnSpec);
  t.teardown(() => instance.close());
  await instance.start();
  return instance;
}

interface Call {
  result: Promise<string>;
  controller: AbortController;
}

function call(instance: Instance, event: unknown = {}, timeoutMs = 3000, requestId = 'req-1'): Call {
  const controller = new AbortController();
  const result = instance.invoke({ requestId, payload: JSON.stringify(event), deadline: Date.now() + timeoutMs, signal: controller.signal });
  return { result, controller };
}

async function invoke(instance: Instance, event: unknown = {}, timeoutMs = 3000): Promise<unknown> {
  return JSON.parse(await call(instance, event, timeoutMs).result);
}

async function failure(promise: Promise<unknown>): Promise<FnError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FnError) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}

function collect(instance: Instance): LogLine[] {
  const lines: LogLine[] = [];
  instance.log.attach((line) => lines.push(line));
  return lines;
}

const texts = (lines: LogLine[]): string[] => lines.map((line) => line.text);

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

t.test('echo: event in, JSON out, SCF context keys', async (t) => {
  const instance = nodeRuntime.createInstance(spec('echo'));
  t.teardown(() => instance.close());
  const timings = await instance.start();
  t.equal(timings.pullCodeMs, 0);
  t.ok(timings.initRuntimeMs > 0 && timings.initFunctionMs > 0, 'init phases are timed');
  const lines = collect(instance);
  const result = (await invoke(instance, { hello: 'world', n: [1, 2] })) as {
    event: unknown;
    context: Record<string, unknown>;
    remaining: number;
  };
  t.same(result.event, { hello: 'world', n: [1, 2] });
  t.match(result.context, {
    request_id: 'req-1',
    function_name: 'node-echo',
    function_version: '$LATEST',
    namespace: 'default',
    memory_limit_in_mb: 128,
    time_limit_in_ms: 3000,
    tencentcloud_region: 'ap-guangzhou',
    tencentcloud_appid: '1250000000',
    tencentcloud_uin: '100000000001',
    callbackWaitsForEmptyEventLoop: true,
  });
  t.match(result.context.environ, /SCF_FUNCTIONNAME=node-echo/);
  t.equal(JSON.parse(result.context.environment as string).TENCENTCLOUD_RUNENV, 'SCF');
  t.ok(result.remaining > 0 && result.remaining <= 3000, 'getRemainingTimeInMillis counts down from the deadline');
  t.same(texts(lines), ["echo { hello: 'world', n: [ 1, 2 ] }"]);
  t.ok(instance.memoryUsage() > 0, 'memoryUsage reports the heap');
});

t.test('handler styles', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['asyncReturn', { style: 'async', n: 7 }],
    ['syncReturn', { style: 'sync' }],
    ['callback', { style: 'callback' }],
    ['succeed', { style: 'succeed' }],
    ['done', { style: 'done' }],
    ['firstWins', 'first'],
    ['undefinedResult', null],
    ['nothing', null],
    ['asyncWithCallback', 'returned'],
  ];
  for (const [name, expected] of cases) {
    const instance = await started(t, spec('styles', { handler: `index.${name}` }));
    t.same(await invoke(instance, { n: 7 }), expected, name);
  }
  const errors: Array<[string, string, string | undefined]> = [
    ['fail', 'failed through context.fail', 'Error'],
    ['doneError', 'done with a string error', undefined],
    ['callbackError', 'plain string error', undefined],
    ['rejectNonError', '{"code":42}', undefined],
    ['circular', 'Converting circular structure to JSON', 'TypeError'],
  ];
  for (const [name, message, errorType] of errors) {
    const instance = await started(t, spec('styles', { handler: `index.${name}` }));
    const error = await failure(call(instance).result);
    t.equal(error.code, 'USER_CODE_EXCEPTION', name);
    t.equal(error.status, 430);
    t.match(error.message, message, name);
    t.equal(error.errorType, errorType, `${name} errorType`);
    t.equal(instance.alive, true, 'a user error leaves the instance usable');
  }
});

t.test('a thrown error is a 430 with the user stack', async (t) => {
  const instance = await started(t, spec('errors'));
  const error = await failure(call(instance, { ok: false }).result);
  t.equal(error.code, 'USER_CODE_EXCEPTION');
  t.equal(error.status, 430);
  t.equal(error.message, 'bad input');
  t.equal(error.errorType, 'TypeError');
  t.match(error.stackTrace, /^TypeError: bad input\n\s+at validate \(\/var\/user\/index\.js:3:24\)\n\s+at exports\.main_handler \(\/var\/user\/index\.js:6:3\)$/);
  t.notMatch(error.stackTrace, /fngate:node-shim/, 'runtime frames are hidden');
  t.same(await invoke(instance, { ok: true }), 'fine', 'the instance keeps serving');
});

t.test('load failures', async (t) => {
  const cases: Array<[string, Partial<FunctionSpec>, string, RegExp]> = [
    ['echo', { handler: 'index.nope' }, 'HANDLER_NOT_FOUND', /does not export a function named "nope"/],
    ['echo', { handler: 'missing.main_handler' }, 'HANDLER_NOT_FOUND', /missing\.js/],
    ['syntax', {}, 'USER_CODE_LOAD_ERROR', /SyntaxError: Unexpected token.*\(\/var\/user\/index\.js:3\)/],
    ['require-child-process', {}, 'USER_CODE_LOAD_ERROR', /Cannot load module "child_process"/],
    ['throw-at-load', {}, 'USER_CODE_LOAD_ERROR', /module scope failure/],
    ['missing-module', {}, 'USER_CODE_LOAD_ERROR', /Cannot find module '\.\/not-there'/],
  ];
  for (const [fixture, overrides, code, message] of cases) {
    const instance = nodeRuntime.createInstance(spec(fixture, overrides));
    t.teardown(() => instance.close());
    const error = await failure(instance.start());
    t.equal(error.code, code, `${fixture} ${overrides.handler ?? ''}`);
    t.equal(error.status, code === 'HANDLER_NOT_FOUND' ? 437 : 443);
    t.match(error.message, message);
    t.equal(instance.alive, false, 'a failed start leaves no usable instance');
  }
  const addon = nodeRuntime.createInstance(spec('addon'));
  await addon.start();
  t.teardown(() => addon.close());
  const error = await failure(call(addon).result);
  t.match(error.message, /native addons/, 'requiring a .node file fails and names it');
});

t.test('require: relative, json, directories, packages, exports, layers; module state is reused', async (t) => {
  const instance = await started(t, spec('modules', { layerDirs: [`${FIXTURES}layer`] }));
  const first = (await invoke(instance)) as Record<string, unknown>;
  t.match(first, {
    count: 1,
    loads: 1,
    sum: 5,
    data: { name: 'fixture-data', items: [1, 2, 3] },
    dir: 'directory index',
    padded: '007',
    greet: 'hello fngate',
    layer: 'from the layer',
    sameModule: true,
    events: 'function',
  });
  // SCF's paths, not the host's (runtimes/node/layout.ts).
  t.equal(first.filename, '/var/user/index.js');
  t.equal(first.dirname, '/var/user');
  const second = (await invoke(instance)) as Record<string, unknown>;
  t.equal(second.count, 2, 'module state survives between invocations');
  t.equal(second.loads, 1, 'module scope ran once');
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
  t.match(env.NODE_PATH, '/opt/nodejs/node_modules');
  t.notMatch(env.NODE_PATH, FIXTURES, 'no host folder shows');
  t.equal(env.PATH, undefined, 'nothing of the host environment leaks in');
  t.match(context.environ, /GREETING=hi/);
  t.equal(version, process.version);
});

t.test('console output reaches the instance log', async (t) => {
  const instance = await started(t, spec('console'));
  const lines = collect(instance);
  t.equal(await invoke(instance), 'logged');
  t.same(texts(lines), [
    'module scope line',
    'plain text',
    'object: { a: 1, nested: { b: [ 1, 2 ] } }',
    'cart has 3 items',
    'logged error',
    'two',
    'lines',
  ]);
  t.ok(lines.every((line) => Math.abs(line.time - Date.now()) < 5000), 'lines carry their print time');
});

t.test('callbackWaitsForEmptyEventLoop', async (t) => {
  t.test('true (default): timers after the callback still run in the invocation', async (t) => {
    const instance = await started(t, spec('loop', { handler: 'index.waits' }));
    const lines = collect(instance);
    const begin = performance.now();
    t.same(await invoke(instance), 'done');
    t.ok(performance.now() - begin >= 95, 'the invocation lasted until the timer fired');
    t.same(texts(lines), ['after callback']);
  });
  t.test('false: the invocation ends at the callback; the timer logs into the next one', async (t) => {
    const instance = await started(t, spec('loop', { handler: 'index.noWait' }));
    const first = collect(instance);
    const begin = performance.now();
    t.same(await invoke(instance), 'quick');
    t.ok(performance.now() - begin < 300, 'returned before the timer');
    instance.log.detach();
    await new Promise((resolve) => setTimeout(resolve, 500));
    t.same(texts(first), []);
    const next = collect(instance);
    t.same(texts(next), ['late timer'], 'output printed between invocations waits for the next one');
  });
  t.test('unref timers do not hold the invocation', async (t) => {
    const instance = await started(t, spec('loop', { handler: 'index.unref' }));
    const begin = performance.now();
    t.same(await invoke(instance), 'unref ok');
    t.ok(performance.now() - begin < 1000);
  });
  t.test('an error thrown in a timer fails the pending invocation', async (t) => {
    const instance = await started(t, spec('loop', { handler: 'index.throwInTimer' }));
    const error = await failure(call(instance).result);
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(error.message, 'timer boom');
  });
});

t.test('abort disposes the isolate, even in an endless loop', async (t) => {
  const instance = await started(t, spec('loop', { handler: 'index.forever' }));
  const { result, controller } = call(instance);
  setTimeout(() => controller.abort(new FnError('TIMEOUT', 'timed out')), 100);
  const error = await failure(result);
  t.equal(error.code, 'TIMEOUT');
  t.equal(instance.alive, false);
  const again = await failure(call(instance).result);
  t.equal(again.code, 'INTERNAL', 'a dead instance refuses invocations');
});

t.test('an abort right at the start is noticed too', async (t) => {
  const instance = await started(t, spec('loop', { handler: 'index.forever' }));
  const { result, controller } = call(instance);
  controller.abort();
  const error = await failure(result);
  t.ok(error.code === 'CANCELLED' || error.code === 'TIMEOUT');
  t.equal(instance.alive, false);
});

t.test('exceeding the memory limit is a 434 and ends the instance', async (t) => {
  const instance = await started(t, spec('loop', { handler: 'index.bomb', memoryMb: 16 }));
  const error = await failure(call(instance, {}, 20000).result);
  t.equal(error.code, 'MEMORY_LIMIT');
  t.equal(error.status, 434);
  t.equal(instance.alive, false);
  const later = await started(t, spec('loop', { handler: 'index.bombInTimer', memoryMb: 16 }));
  const fromTimer = await failure(call(later, {}, 20000).result);
  t.equal(fromTimer.code, 'MEMORY_LIMIT', 'also when a timer callback runs out of memory');
  t.equal(later.alive, false);
});

t.test('a module scope that never ends is an init timeout', async (t) => {
  const instance = nodeRuntime.createInstance(spec('init-loop', { initTimeoutMs: 200 }));
  t.teardown(() => instance.close());
  const begin = performance.now();
  const error = await failure(instance.start());
  t.equal(error.code, 'INIT_TIMEOUT');
  t.equal(error.status, 450);
  t.ok(performance.now() - begin < 2000);
  t.equal(instance.alive, false);
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

t.test('FunctionGraph style: getters, initializer once, typed errors', async (t) => {
  const fgSpec = spec('fg', {
    handler: 'index.handler',
    handlerStyle: 'functiongraph',
    initializer: 'index.initializer',
    environment: { GREETING: 'hello' },
  });
  const instance = nodeRuntime.createInstance(fgSpec);
  t.teardown(() => instance.close());
  const timings = await instance.start();
  t.ok(timings.initFunctionMs >= 9, 'the initializer counts in initFunctionMs');
  const lines = collect(instance);
  const first = await invoke(instance);
  t.same(first, {
    initialized: 1,
    requestId: 'req-1',
    name: 'node-fg',
    version: '$LATEST',
    memory: 128,
    timeoutSeconds: 3,
    remainingPositive: true,
    greeting: 'hello',
    scfKey: 'req-1',
  });
  t.match((await invoke(instance)) as object, { initialized: 1 }, 'the initializer ran once');
  t.same(texts(lines), ['INFO initializing node-fg'], 'initializer output waits for the first invocation');
  const failing = await started(t, { ...fgSpec, handler: 'index.fails', initializer: undefined });
  const error = await failure(call(failing).result);
  t.equal(error.code, 'USER_CODE_EXCEPTION');
  t.equal(error.errorType, 'RangeError');
  t.equal(error.message, 'functiongraph failure');
  const badInit = nodeRuntime.createInstance({ ...fgSpec, initializer: 'index.badInitializer' });
  t.teardown(() => badInit.close());
  const initError = await failure(badInit.start());
  t.equal(initError.code, 'USER_CODE_LOAD_ERROR');
  t.match(initError.message, /initializer exploded/);
});
