// The Python shim's compact invocations (protocol.ts) and what pooled instances rely on: the event as a
// JSON value (raw newlines between tokens too), the context rebuilt from `load` for every call, results
// the compact line cannot carry, events Python cannot parse, the memory an instance reports, and the
// read-only code folder of a pre-warmed sandbox (mounted through the mount helper).
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { pythonRuntime } from '../../runtimes/python/adapter.ts';
import type { Instance } from '../../runtimes/runtime.ts';
import { MEMORY_SAMPLE_INTERVAL_MS } from '../../runtimes/subprocess/memory.ts';
import { readOnlyCodeCase } from './code-slot.cases.ts';
import { Harness, failure, makeSpec } from './subprocess.cases.ts';

const fixtures = fileURLToPath(new URL('../fixtures/python', import.meta.url));
const MB = 1024 * 1024;

function call(instance: Instance, payload: string, requestId = `req-${Math.random().toString(16).slice(2)}`): Promise<string> {
  return instance.invoke({ requestId, payload, deadline: Date.now() + 3000, signal: new AbortController().signal });
}

t.test('events arrive as JSON values, whitespace and unicode intact, cold and pre-warmed', async (t) => {
  const h = new Harness(t, pythonRuntime);
  // Raw CR/LF between tokens, an escaped newline and U+2028 inside strings, a non-BMP character.
  const payload = '{\r\n "text": "line\\nbreak \u2028 \ud83d\ude80",\n "list": [1,\n2.5, null, true],\r "empty": {}}';
  for (const adapter of [h.adapter(), h.adapter({ prewarm: 1 })]) {
    await adapter.warm();
    const { instance } = await h.start(adapter, makeSpec(`${fixtures}/protocol`));
    const answer = JSON.parse(await call(instance, payload, 'req-json-value'));
    t.same(answer, { event: JSON.parse(payload), requestId: 'req-json-value' });
    t.same(JSON.parse(await call(instance, '[1, "two"]')).event, [1, 'two'], 'any JSON value is an event');
  }
});

t.test('every invocation gets the context of load with its own request id; a handler changing it changes nothing later', async (t) => {
  const h = new Harness(t, pythonRuntime);
  const { instance } = await h.start(h.adapter(), makeSpec(`${fixtures}/protocol`, { name: 'ctx-fn' }));
  const first = JSON.parse(await call(instance, '{"mode": "context"}', 'req-1'));
  const second = JSON.parse(await call(instance, '{"mode": "context"}', 'req-2'));
  t.equal(first.request_id, 'req-1');
  t.equal(second.request_id, 'req-2');
  t.equal(second.function_name, 'changed by the handler', 'the handler changed its own copy');
  const third = JSON.parse(await call(instance, '{}', 'req-3'));
  t.equal(third.requestId, 'req-3');
  const fourth = JSON.parse(await call(instance, '{"mode": "context"}', 'req-4'));
  t.equal(fourth.function_name, 'changed by the handler', 'set by this call, not left from an earlier one');
  t.same(Object.keys(fourth).sort(), Object.keys(first).sort());
  t.equal(Object.keys(first)[0], 'request_id', 'request_id comes first, as in the context object of SCF');
});

t.test('a result with a lone surrogate still arrives (the JSON envelope carries it)', async (t) => {
  const h = new Harness(t, pythonRuntime);
  const { instance } = await h.start(h.adapter(), makeSpec(`${fixtures}/protocol`));
  t.same(JSON.parse(await call(instance, '{"mode": "surrogate"}')), { text: '\ud800 alone' });
  t.same(JSON.parse(await call(instance, '{"a": 1}')).event, { a: 1 }, 'later results use the compact line again');
});

t.test('an event nested deeper than Python parses fails that invocation only', async (t) => {
  const h = new Harness(t, pythonRuntime);
  const { instance } = await h.start(h.adapter(), makeSpec(`${fixtures}/protocol`));
  const depth = 100_000;
  const payload = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  JSON.parse(payload); // JSON to the gateway
  const error = await failure(t, call(instance, payload));
  t.equal(error.code, 'USER_CODE_EXCEPTION');
  t.equal(instance.alive, true);
  t.same(JSON.parse(await call(instance, '{"after": true}')).event, { after: true });
});

t.test('memoryUsage() after an invocation includes what an earlier one kept', async (t) => {
  const h = new Harness(t, pythonRuntime);
  const { instance } = await h.start(h.adapter(), makeSpec(`${fixtures}/protocol`));
  await call(instance, '{}');
  const before = instance.memoryUsage();
  t.ok(before > MB, `sampled (${before} bytes)`);
  await call(instance, '{"mode": "keep", "mb": 48}');
  // Past one sampling interval: the next invocation's end reads /proc again (or a tick did meanwhile).
  await new Promise((resolve) => setTimeout(resolve, MEMORY_SAMPLE_INTERVAL_MS + 20));
  await call(instance, '{}');
  const after = instance.memoryUsage();
  t.ok(after - before > 40 * MB, `grew by ${((after - before) / MB).toFixed(1)} MB`);
  // Back-to-back invocations share samples, but never report less than what was last read.
  for (let i = 0; i < 20; i++) await call(instance, '{}');
  t.ok(instance.memoryUsage() - before > 40 * MB);
});

await readOnlyCodeCase(t);
