/**
 * The Java runtime at the adapter: handler resolution, the JSON mapping of parameters and results
 * (String, Map, POJO, primitives, collections), Context, class path with lib/*.jar, heap size, failures.
 * Fixtures (test/fixtures/java) are compiled at set-up in one JVM.
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FnError } from '../../gateway/errors.ts';
import { heapMb, javaClasspath, javaRuntime } from '../../runtimes/java/adapter.ts';
import { findOnPath, javaShimJar } from '../../runtimes/java/shim-build.ts';
import type { FunctionSpec } from '../../runtimes/runtime.ts';
import { compileJava, JAVA_FIXTURES } from '../helpers/java.ts';
import { requireTool } from '../helpers/toolchain.ts';
import { GATEWAY_SECRET, failure, instanceStarter, invoke, isRunning, makeSpec, visibleCodeDir, waitFor, type Started } from './subprocess.cases.ts';

t.test('heap and class path', async (t) => {
  t.equal(heapMb(128), 102);
  t.equal(heapMb(1024), 819);
  t.equal(heapMb(16), 16, 'never below the minimum');
  const spec = makeSpec('/code', { layerDirs: ['/opt/a'] });
  t.equal(javaClasspath(spec), '/code:/code/lib/*:/opt/a:/opt/a/*:/opt/a/lib/*');
});

if (requireTool(t, 'javac', 'openjdk-17-jdk-headless')) {
  const root = await mkdtemp(join(tmpdir(), 'fngate-java-runtime-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const code = (name: string): string => join(root, 'code', name);
  const source = (name: string): string => join(JAVA_FIXTURES, 'functions', name);
  const shim = await javaShimJar(await realpath((await findOnPath('java'))!));
  await compileJava(shim, [
    { sourceDir: join(JAVA_FIXTURES, 'cases', 'echo'), outDir: code('echo') },
    { sourceDir: join(JAVA_FIXTURES, 'cases', 'memory'), outDir: code('memory') },
    ...['pojo', 'kinds', 'context', 'load-fail', 'exit'].map((name) => ({ sourceDir: source(name), outDir: code(name) })),
    { sourceDir: source('lib-dep'), outDir: join(root, 'dep-classes') },
    { jar: join(code('uses-lib'), 'lib', 'dep.jar'), classesDir: join(root, 'dep-classes') },
    { sourceDir: source('uses-lib'), outDir: code('uses-lib'), classpath: [join(root, 'dep-classes')] },
  ]);

  const adapter = javaRuntime();
  t.teardown(() => adapter.close());
  const spec = (name: string, handler: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec =>
    makeSpec(code(name), { runtime: 'Java17', handler, name: name.replace(/[^a-z0-9]/gi, '-'), ...overrides });
  const { create, start } = instanceStarter(t, adapter);
  /** One instance per handler of the kinds fixture. */
  const kinds = async (method: string): Promise<Started['instance']> => (await start(spec('kinds', `example.Kinds::${method}`))).instance;

  t.test('adapter identity', async (t) => {
    t.equal(adapter.kind, 'java');
    for (const runtime of ['Java8', 'Java11', 'Java17', 'java17']) t.ok(adapter.supports(runtime), runtime);
    t.notOk(adapter.supports('Java21'));
  });

  t.test('Map in, Map out; cold start timed', async (t) => {
    const coldMs: number[] = [];
    const event = { text: 'héllo 世界 🚀', nested: { list: [1, 2.5, null, true], big: 12345678901234567890, tiny: 1e-7 } };
    for (let i = 0; i < 5; i++) {
      const startedAt = performance.now();
      const { instance } = await start(spec('echo', 'example.Hello::mainHandler'));
      t.same(JSON.parse(await invoke(instance, event)), event);
      coldMs.push(performance.now() - startedAt);
      await instance.close();
    }
    coldMs.sort((a, b) => a - b);
    t.comment(`Java cold start (spawn → first result), median of 5: ${coldMs[2]!.toFixed(1)} ms`);
  });

  t.test('a POJO in through setters and fields, a POJO out through getters and public fields', async (t) => {
    const { instance } = await start(spec('pojo', 'example.PojoHandler::handle'));
    const event = {
      name: 'Ann',
      age: 31,
      tags: ['a', 'b'],
      address: { city: 'Shenzhen', zip: 518000 },
      scores: { x: 2, y: 3 },
      member: true,
      role: 'ADMIN',
      unknown: 'ignored',
    };
    t.same(JSON.parse(await invoke(instance, event)), {
      message: 'Hello Ann (31) member',
      total: 7,
      address: { city: 'Shenzhen', zip: 518000 },
      numbers: [1, 2, 3],
      role: 'ADMIN',
      polite: true,
      requestLength: null,
    });
    const error = await failure(t, invoke(instance, { name: 'Bo', tags: 'not a list', scores: {} }));
    t.equal(error.code, 'USER_CODE_EXCEPTION', 'an event that does not fit the POJO is the user’s error');
    t.match(error.message, /tags/);
  });

  t.test('String, primitive, void, list and char kinds', async (t) => {
    t.equal(await invoke(await kinds('upper'), 'shout'), '"SHOUT"', 'a string event is the String');
    t.equal(await invoke(await kinds('upper'), { a: 1 }), '"{\\"A\\":1}"', 'any other event is its JSON text');
    t.equal(await invoke(await kinds('add'), { a: 2, b: 40 }), '42');
    t.equal(await invoke(await kinds('primitive'), 21), '42');
    const { instance, lines } = await start(spec('kinds', 'example.Kinds::nothing'));
    t.equal(await invoke(instance, [1]), 'null', 'void returns null');
    t.same(lines.map((line) => line.text), ['got [1]']);
    t.same(JSON.parse(await invoke(await kinds('list'))), [1, 2.5, 'three', null, true, 'c']);
    t.same(JSON.parse(await invoke(await kinds('numbers'), { i: 1, d: 1.5, big: 2 ** 70, s: 'x', n: null, o: {}, l: [] })), {
      i: 'Long',
      d: 'Double',
      big: 'Double',
      s: 'String',
      n: 'null',
      o: 'LinkedHashMap',
      l: 'ArrayList',
    });
    t.equal(JSON.parse(await invoke(await kinds('text'), 'ok')), 'unicode ✓ 🚀 ok');
    t.equal(await invoke(await kinds('hidden'), 'x'), '"private method of Kinds"', 'a non-public instance method works too');
    const nan = await failure(t, invoke(await kinds('notJson')));
    t.equal(nan.code, 'USER_CODE_EXCEPTION');
    t.match(nan.message, /NaN is not a JSON number/);
    t.equal((await failure(t, invoke(await kinds('mismatch'), { a: 1 }))).code, 'USER_CODE_EXCEPTION');
  });

  t.test('an exception is 430 with the Java stack trace, from the user’s frames on', async (t) => {
    const instance = await kinds('failWithCause');
    const error = await failure(t, invoke(instance, 'x'));
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(error.message, 'wrapped failure');
    t.equal(error.errorType, 'java.lang.RuntimeException');
    t.match(error.stackTrace, /^java\.lang\.RuntimeException: wrapped failure\n\tat example\.Kinds\.failWithCause\(Kinds\.java:\d+\)/);
    t.match(error.stackTrace, /Caused by: java\.lang\.NumberFormatException: For input string: "not a number"/);
    t.notMatch(error.stackTrace, /fngate\.shim|jdk\.internal\.reflect|java\.lang\.reflect/, 'no shim or reflection frames');
    t.equal(instance.alive, true);
  });

  t.test('the Context, the environment and the JVM a function sees', async (t) => {
    process.env[GATEWAY_SECRET] = 'gateway-secret-must-not-leak';
    t.teardown(() => delete process.env[GATEWAY_SECRET]);
    const fnSpec = spec('context', 'example.ContextHandler::handle', { memoryMb: 256, timeoutMs: 5000, environment: { GREETING: 'hi' } });
    const { instance } = await start(fnSpec);
    const result = JSON.parse(
      await instance.invoke({ requestId: 'req-java', payload: '{}', deadline: Date.now() + 5000, signal: new AbortController().signal }),
    );
    t.match(result, {
      requestId: 'req-java',
      timeLimitInMs: 5000,
      memoryLimitInMb: 256,
      functionName: 'context',
      cwd: visibleCodeDir(fnSpec),
      greeting: 'hi',
      classpathVariable: `${visibleCodeDir(fnSpec)}:${visibleCodeDir(fnSpec)}/lib/*`,
      secret: null,
      contextLoader: true,
    });
    t.ok(result.remaining > 4000 && result.remaining <= 5000, `remaining time ${result.remaining}`);
    t.match(result.tmpdir, /fngate-java-/, 'java.io.tmpdir is the instance temp folder');
    t.equal(result.tempFile, result.tmpdir.replace(/\/$/, ''));
    t.match(result.classPath, visibleCodeDir(fnSpec));
    t.ok(result.maxHeapMb <= heapMb(256) && result.maxHeapMb > heapMb(256) * 0.8, `heap ${result.maxHeapMb} MB for 256 MB`);
  });

  t.test('an OutOfMemoryError is 434 and the instance is replaced', async (t) => {
    // 512 MB: the heap (80%) fills before the process's RSS reaches the memory size, so the JVM's own
    // OutOfMemoryError decides, not RSS sampling (the shared suite's 128 MB case shows that path).
    const { instance } = await start(spec('memory', 'example.Hello::mainHandler', { memoryMb: 512 }));
    const pid = instance.pid!;
    const error = await failure(t, invoke(instance, { allocate: true }, undefined, 30_000));
    t.equal(error.code, 'MEMORY_LIMIT', error.message);
    t.equal(error.errorType, 'java.lang.OutOfMemoryError');
    t.equal(instance.alive, false);
    t.ok(await waitFor(() => !isRunning(pid)), 'the JVM is gone');
  });

  t.test('dependencies in lib/*.jar are on the class path', async (t) => {
    const { instance } = await start(spec('uses-lib', 'example.UsesLib::handle'));
    t.equal(await invoke(instance, 'Ann'), '"hello Ann from a jar"');
  });

  t.test('a missing class or method is 437 at start', async (t) => {
    for (const handler of ['example.Nope::mainHandler', 'example.Hello::nope', 'example.Hello', 'Hello::']) {
      const { instance } = create(spec('echo', handler));
      const error = await failure(t, instance.start());
      t.equal(error.code, 'HANDLER_NOT_FOUND', `${handler}: ${error.message}`);
      t.equal(instance.alive, false);
    }
  });

  t.test('a failing static initialiser is 443 with its cause', async (t) => {
    const { instance } = create(spec('load-fail', 'example.LoadFail::handle'));
    const error = await failure(t, instance.start());
    t.equal(error.code, 'USER_CODE_LOAD_ERROR');
    t.match(error.message, /failed to initialise.*cannot read config\.json/);
    t.match(error.stackTrace, /IllegalStateException: cannot read config\.json\n\tat example\.LoadFail\.readConfig/);
  });

  t.test('System.exit mid-invocation is 439; a killed JVM too', async (t) => {
    const self = await start(spec('exit', 'example.Exit::handle'));
    const error = await failure(t, invoke(self.instance, { exit: true }));
    t.equal(error.code, 'USER_PROCESS_EXITED', error.message);
    t.ok(self.lines.some((line) => line.text === 'about to go'));
    const killed = await start(spec('exit', 'example.Exit::handle'));
    const pending = invoke(killed.instance, { wait: true }, undefined, 30_000);
    await waitFor(() => killed.lines.some((line) => line.text === 'about to go'));
    process.kill(killed.instance.pid!, 'SIGKILL');
    t.match(await failure(t, pending), { code: 'USER_PROCESS_EXITED', message: /SIGKILL/ });
  });

  t.test('abort kills the JVM', async (t) => {
    const { instance } = await start(spec('exit', 'example.Exit::handle'));
    const pid = instance.pid!;
    const controller = new AbortController();
    const pending = invoke(instance, { wait: true }, controller.signal, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort(new FnError('TIMEOUT', 'Invoking task timed out'));
    t.equal((await failure(t, pending)).code, 'TIMEOUT');
    t.ok(await waitFor(() => !isRunning(pid)), 'the process is gone');
  });
}
