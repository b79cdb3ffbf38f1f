import { fileURLToPath } from 'node:url';
import t from 'tap';
import { phpRuntime } from '../../runtimes/php/adapter.ts';
import { Harness, failure, invoke, makeSpec, runSubprocessCases } from './subprocess.cases.ts';

const fixtures = fileURLToPath(new URL('../fixtures/php', import.meta.url));
const fixture = (name: string): string => `${fixtures}/${name}`;
const phpSpec = (name: string): ReturnType<typeof makeSpec> => makeSpec(fixture(name), { runtime: 'Php8.0' });

t.test('adapter identity', async (t) => {
  const adapter = phpRuntime({ prewarm: 0 });
  t.equal(adapter.kind, 'php');
  t.ok(adapter.supports('Php8.0'));
  t.ok(adapter.supports('php7.4'));
  t.notOk(adapter.supports('Python3.9'));
  await adapter.close();
});

await runSubprocessCases(t, {
  language: 'php',
  runtime: 'Php8.0',
  factory: phpRuntime,
  fixtures,
  errorType: 'RuntimeException',
  stackTrace: /^RuntimeException: boom in .*index\.php:\d+\nStack trace:\n#0 .*fail\(\)/,
  // The system scan folder stays first (it enables the distribution's extensions).
  runtimeVariable: ['PHP_INI_SCAN_DIR', () => /^\/[^:]+$/],
  exitEvent: { exit: true },
});

t.test('die() fails the invocation with its output logged; the instance is replaced', async (t) => {
  const h = new Harness(t, phpRuntime);
  const { instance, lines } = await h.start(h.adapter(), phpSpec('die'));
  const error = await failure(t, invoke(instance));
  t.equal(error.code, 'USER_CODE_EXCEPTION');
  t.equal(error.status, 430);
  t.match(error.message, /exited during the invocation/);
  t.same(lines.map((line) => line.text), ['before die', 'died with a message']);
  t.equal(instance.alive, false);
});

t.test('event and context are objects', async (t) => {
  const h = new Harness(t, phpRuntime);
  const { instance } = await h.start(h.adapter(), phpSpec('object'));
  t.same(JSON.parse(await invoke(instance, { nested: { name: 'név' } })), {
    eventIsObject: true,
    nestedIsObject: true,
    contextIsObject: true,
    name: 'név',
    functionName: 'subprocess-case',
  });
});

t.test('the code folder php_extension joins PHP_INI_SCAN_DIR, after the system folder', async (t) => {
  const h = new Harness(t, phpRuntime);
  const adapter = h.adapter({ prewarm: 1 });
  await adapter.warm();
  const { instance } = await h.start(adapter, phpSpec('ini'));
  t.same(JSON.parse(await invoke(instance)), { userAgent: 'fngate-ini-test', posix: true });
});

t.test('PHP settings: UTC, memory_limit from the memory size', async (t) => {
  const h = new Harness(t, phpRuntime);
  const spec = { ...phpSpec('builtins'), memoryMb: 256 };
  const { instance } = await h.start(h.adapter(), spec);
  const result = JSON.parse(await invoke(instance));
  t.equal(result.timezone, 'UTC');
  t.equal(result.memoryLimit, '256M');
});

t.test('compact invocations: the event as a JSON value (raw newlines between tokens), too deep an event fails that call only', async (t) => {
  const h = new Harness(t, phpRuntime);
  for (const adapter of [h.adapter(), h.adapter({ prewarm: 1 })]) {
    await adapter.warm();
    const { instance } = await h.start(adapter, phpSpec('cases/echo'));
    const payload = '{\r\n "text": "line\\nbreak \u2028 \ud83d\ude80",\n "list": [1,\n2.5, null, true]}';
    const call = (text: string): Promise<string> =>
      instance.invoke({ requestId: 'req-php', payload: text, deadline: Date.now() + 3000, signal: new AbortController().signal });
    t.same(JSON.parse(await call(payload)), JSON.parse(payload));
    const depth = 600; // PHP decodes 512 levels
    const error = await failure(t, call(`${'['.repeat(depth)}${']'.repeat(depth)}`));
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(instance.alive, true);
    t.same(JSON.parse(await invoke(instance, { after: true })), { after: true });
  }
});
