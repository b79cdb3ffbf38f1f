/**
 * The Node.js handler contract, run against an adapter directly: both Node.js modes (the isolate,
 * node-runtime.test.ts, and `nodeRuntime: process`, node-process.test.ts) must pass the same table.
 * The gateway-level suite every runtime passes is test/runtime.cases.ts.
 */
import type { Test } from 'tap';
import { FnError } from '../../gateway/errors.ts';
import type { FunctionSpec, Instance, RuntimeAdapter } from '../../runtimes/runtime.ts';
import { NODE_FIXTURES as FIXTURES, call, collect, failure, invoke, nodeSpec, startedWith, texts } from '../helpers/node-instances.ts';

export interface NodeHandlerCaseOptions {
  adapter: RuntimeAdapter;
  /** A memory size the `loop` bombs exceed quickly, yet one an idle instance starts in. */
  memoryBombMb: number;
  /**
   * Where the mode shows a fixture's code folder: the isolate shows SCF's `/var/user`; a function process
   * (not sandboxed) sees the host folder.
   */
  codePath(fixture: string): string;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function runNodeHandlerCases(t: Test, options: NodeHandlerCaseOptions): void {
  const { adapter } = options;
  const started = (t: Test, fnSpec: FunctionSpec): Promise<Instance> => startedWith(adapter, t, fnSpec);

  t.test('echo: event in, JSON out, SCF context keys', async (t) => {
    const instance = adapter.createInstance(nodeSpec('echo'));
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
    t.ok(instance.memoryUsage() > 0, 'memoryUsage reports the memory in use');
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
      const instance = await started(t, nodeSpec('styles', { handler: `index.${name}` }));
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
      const instance = await started(t, nodeSpec('styles', { handler: `index.${name}` }));
      const error = await failure(call(instance).result);
      t.equal(error.code, 'USER_CODE_EXCEPTION', name);
      t.equal(error.status, 430);
      t.match(error.message, message, name);
      t.equal(error.errorType, errorType, `${name} errorType`);
      t.equal(instance.alive, true, 'a user error leaves the instance usable');
    }
  });

  t.test('a thrown error is a 430 with the user stack', async (t) => {
    const instance = await started(t, nodeSpec('errors'));
    const error = await failure(call(instance, { ok: false }).result);
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(error.status, 430);
    t.equal(error.message, 'bad input');
    t.equal(error.errorType, 'TypeError');
    const file = escapeRegExp(`${options.codePath('errors')}/index.js`);
    t.match(error.stackTrace, new RegExp(`^TypeError: bad input\\n\\s+at validate \\(${file}:3:24\\)\\n\\s+at exports\\.main_handler \\(${file}:6:3\\)$`));
    t.notMatch(error.stackTrace, /fngate:node-shim/, 'runtime frames are hidden');
    t.same(await invoke(instance, { ok: true }), 'fine', 'the instance keeps serving');
  });

  t.test('load failures', async (t) => {
    const cases: Array<[string, Partial<FunctionSpec>, string, RegExp]> = [
      ['echo', { handler: 'index.nope' }, 'HANDLER_NOT_FOUND', /does not export a function named "nope"/],
      ['echo', { handler: 'missing.main_handler' }, 'HANDLER_NOT_FOUND', /missing\.js/],
      ['syntax', {}, 'USER_CODE_LOAD_ERROR', new RegExp(`SyntaxError: Unexpected token.*${escapeRegExp(options.codePath('syntax'))}/index\\.js:3`)],
      ['throw-at-load', {}, 'USER_CODE_LOAD_ERROR', /module scope failure/],
      ['missing-module', {}, 'USER_CODE_LOAD_ERROR', /Cannot find module '\.\/not-there'/],
    ];
    for (const [fixture, overrides, code, message] of cases) {
      const instance = adapter.createInstance(nodeSpec(fixture, overrides));
      t.teardown(() => instance.close());
      const error = await failure(instance.start());
      t.equal(error.code, code, `${fixture} ${overrides.handler ?? ''}`);
      t.equal(error.status, code === 'HANDLER_NOT_FOUND' ? 437 : 443);
      t.match(error.message, message);
      if (code === 'USER_CODE_LOAD_ERROR') t.match(error.stackTrace, new RegExp(`${escapeRegExp(options.codePath(fixture))}/index\\.js:\\d`), 'the stack points into the user file');
      t.equal(instance.alive, false, 'a failed start leaves no usable instance');
    }
  });

  t.test('require: relative, json, directories, packages, exports, layers; module state is reused', async (t) => {
    const instance = await started(t, nodeSpec('modules', { layerDirs: [`${FIXTURES}layer`] }));
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
    t.equal(first.filename, `${options.codePath('modules')}/index.js`);
    t.equal(first.dirname, options.codePath('modules'));
    const second = (await invoke(instance)) as Record<string, unknown>;
    t.equal(second.count, 2, 'module state survives between invocations');
    t.equal(second.loads, 1, 'module scope ran once');
  });

  t.test('console output reaches the instance log', async (t) => {
    const instance = await started(t, nodeSpec('console'));
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
      const instance = await started(t, nodeSpec('loop', { handler: 'index.waits' }));
      const lines = collect(instance);
      const begin = performance.now();
      t.same(await invoke(instance), 'done');
      t.ok(performance.now() - begin >= 95, 'the invocation lasted until the timer fired');
      t.same(texts(lines), ['after callback']);
    });
    t.test('false: the invocation ends at the callback; the timer logs into the next one', async (t) => {
      const instance = await started(t, nodeSpec('loop', { handler: 'index.noWait' }));
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
      const instance = await started(t, nodeSpec('loop', { handler: 'index.unref' }));
      const begin = performance.now();
      t.same(await invoke(instance), 'unref ok');
      t.ok(performance.now() - begin < 1000);
    });
    t.test('an error thrown in a timer fails the pending invocation', async (t) => {
      const instance = await started(t, nodeSpec('loop', { handler: 'index.throwInTimer' }));
      const error = await failure(call(instance).result);
      t.equal(error.code, 'USER_CODE_EXCEPTION');
      t.equal(error.message, 'timer boom');
    });
  });

  t.test('abort ends the instance, even in an endless loop', async (t) => {
    const instance = await started(t, nodeSpec('loop', { handler: 'index.forever' }));
    const { result, controller } = call(instance);
    setTimeout(() => controller.abort(new FnError('TIMEOUT', 'timed out')), 100);
    const error = await failure(result);
    t.equal(error.code, 'TIMEOUT');
    t.equal(instance.alive, false);
    const again = await failure(call(instance).result);
    t.equal(again.code, 'INTERNAL', 'a dead instance refuses invocations');
  });

  t.test('an abort right at the start is noticed too', async (t) => {
    const instance = await started(t, nodeSpec('loop', { handler: 'index.forever' }));
    const { result, controller } = call(instance);
    controller.abort();
    const error = await failure(result);
    t.ok(error.code === 'CANCELLED' || error.code === 'TIMEOUT');
    t.equal(instance.alive, false);
  });

  t.test('exceeding the memory limit is a 434 and ends the instance', async (t) => {
    const instance = await started(t, nodeSpec('loop', { handler: 'index.bomb', memoryMb: options.memoryBombMb }));
    const error = await failure(call(instance, {}, 20000).result);
    t.equal(error.code, 'MEMORY_LIMIT');
    t.equal(error.status, 434);
    t.equal(instance.alive, false);
    const later = await started(t, nodeSpec('loop', { handler: 'index.bombInTimer', memoryMb: options.memoryBombMb }));
    const fromTimer = await failure(call(later, {}, 20000).result);
    t.equal(fromTimer.code, 'MEMORY_LIMIT', 'also when a timer callback runs out of memory');
    t.equal(later.alive, false);
  });

  t.test('a module scope that never ends is an init timeout', async (t) => {
    const instance = adapter.createInstance(nodeSpec('init-loop', { initTimeoutMs: 200 }));
    t.teardown(() => instance.close());
    const begin = performance.now();
    const error = await failure(instance.start());
    t.equal(error.code, 'INIT_TIMEOUT');
    t.equal(error.status, 450);
    t.ok(performance.now() - begin < 2000);
    t.equal(instance.alive, false);
  });

  t.test('FunctionGraph style: getters, initializer once, typed errors', async (t) => {
    const fgSpec = nodeSpec('fg', {
      handler: 'index.handler',
      handlerStyle: 'functiongraph',
      initializer: 'index.initializer',
      environment: { GREETING: 'hello' },
    });
    const instance = adapter.createInstance(fgSpec);
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
    const badInit = adapter.createInstance({ ...fgSpec, initializer: 'index.badInitializer' });
    t.teardown(() => badInit.close());
    const initError = await failure(badInit.start());
    t.equal(initError.code, 'USER_CODE_LOAD_ERROR');
    t.match(initError.message, /initializer exploded/);
  });
}
