import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { pythonRuntime } from '../../runtimes/python/adapter.ts';
import { sandboxHost } from '../../runtimes/sandbox/host.ts';
import { descendantsOf } from '../web/helpers.ts';
import { Harness, failure, invoke, makeSpec, runSubprocessCases, visibleCodeDir } from './subprocess.cases.ts';

const fixtures = fileURLToPath(new URL('../fixtures/python', import.meta.url));

// Known, not yet found: on a loaded machine this file has twice ended its cases with one interpreter
// process still alive that no adapter or instance owns (its pipes kept the file running until tap's
// timeout). Every case closes what it made; whatever is left after all of them is named here and ended,
// so the leak shows in the output instead of hanging the run.
t.teardown(() => {
  for (const pid of descendantsOf(process.pid)) {
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    // tsx's esbuild service is the test runner's own; the mount helper ends on its own a while after
    // the last sandbox (runtimes/sandbox/mount-helper.ts), and with this process at the latest.
    if (/\besbuild\b|mount-helper\.py/.test(command)) continue;
    t.comment(`leftover process ${pid} ended after the last case: ${command.slice(0, 200)}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
});
const fixture = (name: string): string => `${fixtures}/${name}`;

t.test('adapter identity', async (t) => {
  const adapter = pythonRuntime({ prewarm: 0 });
  t.equal(adapter.kind, 'python');
  t.ok(adapter.supports('Python3.9'));
  t.ok(adapter.supports('python3.10'));
  t.notOk(adapter.supports('Python2.7'));
  t.notOk(adapter.supports('Php8.0'));
  await adapter.close();
});

await runSubprocessCases(t, {
  language: 'python',
  runtime: 'Python3.9',
  factory: pythonRuntime,
  fixtures,
  errorType: 'ValueError',
  stackTrace: /Traceback \(most recent call last\):[\s\S]*in fail[\s\S]*ValueError: boom/,
  runtimeVariable: ['PYTHONPATH', (spec) => new RegExp(`^${spec.codeDir}(:|$)`)],
  exitEvent: { exit: true },
});

t.test('Decimal results are strings; NaN is not JSON, so it is a 430', async (t) => {
  const h = new Harness(t, pythonRuntime);
  const { instance } = await h.start(h.adapter(), makeSpec(fixture('decimal')));
  t.equal(await invoke(instance), '{"price": "19.99", "items": ["1", "0.1"]}');
  const error = await failure(t, invoke(instance, { nan: true }));
  t.equal(error.code, 'USER_CODE_EXCEPTION');
  t.equal(error.errorType, 'ValueError');
});

t.test('no site-packages on sys.path, layers and their python/ folders are', async (t) => {
  const h = new Harness(t, pythonRuntime);
  const root = mkdtempSync(join(tmpdir(), 'fngate-layers-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const layers = ['layer-a', 'layer-b'].map((name) => join(root, name));
  for (const layer of layers) mkdirSync(join(layer, 'python'), { recursive: true });
  const spec = makeSpec(fixture('builtins'), { layerDirs: layers });
  const { instance } = await h.start(h.adapter(), spec);
  const result = JSON.parse(await invoke(instance));
  t.equal(result.sitePackagesOnPath, false);
  // Inside the sandbox the layers are merged at /opt.
  const seen = sandboxHost() ? ['/opt', '/opt'] : layers;
  t.equal(result.env.PYTHONPATH, [visibleCodeDir(spec), ...seen.flatMap((layer) => [layer, `${layer}/python`])].join(':'));
  t.notMatch(result.executable, /shims/, 'the real interpreter, not a pyenv shim');
});

t.test('sys.exit() in a handler fails the invocation, the instance lives on', async (t) => {
  const h = new Harness(t, pythonRuntime);
  const { instance } = await h.start(h.adapter(), makeSpec(fixture('exit')));
  const { pid } = JSON.parse(await invoke(instance));
  const error = await failure(t, invoke(instance, { sysexit: true }));
  t.equal(error.code, 'USER_CODE_EXCEPTION');
  t.equal(error.errorType, 'SystemExit');
  t.equal(instance.alive, true);
  t.match(JSON.parse(await invoke(instance)), { pid }, 'the same process answers');
});

t.test('a PYTHON* variable of the function gets a fresh interpreter, not a pre-warmed one', async (t) => {
  const h = new Harness(t, pythonRuntime);
  const adapter = h.adapter({ prewarm: 1 });
  await adapter.warm();
  const spec = makeSpec(fixture('cases/echo'), { environment: { PYTHONHASHSEED: '0' } });
  const { instance } = await h.start(adapter, spec);
  const spare = h.create(adapter, makeSpec(fixture('cases/echo')));
  await spare.instance.start();
  t.not(instance.pid, spare.instance.pid);
  t.same(JSON.parse(await invoke(instance, { a: 1 })), { a: 1 });
});

t.test('FunctionGraph style: getters, initializer once, return rules', async (t) => {
  const h = new Harness(t, pythonRuntime);
  const spec = makeSpec(fixture('functiongraph'), {
    name: 'fg-fn',
    handler: 'index.handler',
    handlerStyle: 'functiongraph',
    initializer: 'index.my_initializer',
    environment: { GREETING: 'hello fg' },
  });
  for (const prewarm of [0, 1]) {
    const adapter = h.adapter({ prewarm });
    await adapter.warm();
    const { instance, lines } = h.create(adapter, spec);
    const timings = await instance.start();
    t.ok(timings.initFunctionMs > 0, 'the initializer counts in initFunctionMs');
    const result = JSON.parse(
      await instance.invoke({ requestId: 'fg-req', payload: '{}', deadline: Date.now() + 2000, signal: new AbortController().signal }),
    );
    t.match(result, {
      initialized: ['fg-fn'],
      requestId: 'fg-req',
      name: 'fg-fn',
      version: '$LATEST',
      memory: 128,
      runningTime: 3,
      userData: 'hello fg',
      scfKey: 'fg-fn',
    });
    t.ok(result.remaining > 1000 && result.remaining <= 2000, `remaining time ${result.remaining}`);
    t.same(JSON.parse(await invoke(instance)).initialized, ['fg-fn'], 'the initializer ran once');
    t.same(lines.map((line) => line.text).slice(0, 2), ['[INFO] initializer ran', '[INFO] handling fg-req']);
    t.equal(await invoke(instance, { mode: 'none' }), '""', 'None is an empty body');
    t.equal(await invoke(instance, { mode: 'str' }), '"plain text"', 'a str is the body itself');
    const error = await failure(t, invoke(instance, { mode: 'raise' }));
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(error.errorType, 'KeyError');
    t.match(error.stackTrace, /KeyError: 'missing'/);
  }
});
