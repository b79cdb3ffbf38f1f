/**
 * Cases every shim runtime (Python, PHP) passes, run directly against its adapter: build a FunctionSpec,
 * start, invoke, close. Each language provides the same fixture folders (test/fixtures/<language>/…)
 * and the few expectations that differ (error type, stack trace shape). The gateway-level suite is
 * test/runtime.cases.ts; the `cases/` fixture folders follow its contract so it can use them too.
 */
import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { FnError } from '../../gateway/errors.ts';
import type { LogLine } from '../../runtimes/instance-log.ts';
import type { FunctionSpec, Instance, RuntimeAdapter } from '../../runtimes/runtime.ts';
import { SANDBOX_CODE_ROOT } from '../../runtimes/env.ts';
import { sandboxHost } from '../../runtimes/sandbox/host.ts';
import type { SubprocessInstance } from '../../runtimes/subprocess/instance.ts';
import type { ShimRuntimeAdapter, ShimRuntimeOptions } from '../../runtimes/subprocess/shim-adapter.ts';

export const PLATFORM = { region: 'ap-guangzhou', appId: '1250000000', uin: '100000000001' };
/** A variable of the gateway's own environment that no function may see. */
export const GATEWAY_SECRET = 'FNGATE_SECRET';

/** The code folder as a function process sees it: /var/user inside the sandbox. */
export const visibleCodeDir = (spec: FunctionSpec): string => (sandboxHost() ? SANDBOX_CODE_ROOT : spec.codeDir);

export function makeSpec(codeDir: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    namespace: 'default',
    name: 'subprocess-case',
    version: '$LATEST',
    runtime: 'Python3.9',
    type: 'event',
    handler: 'index.main_handler',
    handlerStyle: 'scf',
    initializer: undefined,
    codeDir,
    layerDirs: [],
    memoryMb: 128,
    timeoutMs: 3000,
    initTimeoutMs: 10_000,
    environment: {},
    platform: PLATFORM,
    ...overrides,
  };
}

/** True while a process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

export interface Started {
  instance: SubprocessInstance;
  lines: LogLine[];
}

function startedWithLog(adapter: RuntimeAdapter, spec: FunctionSpec): Started {
  const instance = adapter.createInstance(spec) as SubprocessInstance;
  const lines: LogLine[] = [];
  instance.log.attach((line) => lines.push(line));
  return { instance, lines };
}

/**
 * create/start for instances of any subprocess adapter, their log lines collected; every instance is
 * closed in the test's teardown.
 */
export function instanceStarter(
  t: Test,
  adapter: RuntimeAdapter,
): { create(spec: FunctionSpec): Started; start(spec: FunctionSpec): Promise<Started> } {
  const instances: Instance[] = [];
  t.teardown(() => Promise.allSettled(instances.map((instance) => instance.close())));
  const create = (spec: FunctionSpec): Started => {
    const started = startedWithLog(adapter, spec);
    instances.push(started.instance);
    return started;
  };
  const start = async (spec: FunctionSpec): Promise<Started> => {
    const started = create(spec);
    await started.instance.start();
    return started;
  };
  return { create, start };
}

/** Adapters and instances made through it are closed in the test's teardown, whatever happens. */
export class Harness {
  #adapters: ShimRuntimeAdapter[] = [];
  #instances: Instance[] = [];
  #factory: (options?: ShimRuntimeOptions) => ShimRuntimeAdapter;

  constructor(t: Test, factory: (options?: ShimRuntimeOptions) => ShimRuntimeAdapter) {
    this.#factory = factory;
    t.teardown(() => this.close());
  }

  adapter(options: ShimRuntimeOptions = { prewarm: 0 }): ShimRuntimeAdapter {
    const adapter = this.#factory(options);
    this.#adapters.push(adapter);
    return adapter;
  }

  /** A new instance whose log lines are collected. */
  create(adapter: ShimRuntimeAdapter, spec: FunctionSpec): Started {
    const started = startedWithLog(adapter, spec);
    this.#instances.push(started.instance);
    return started;
  }

  async start(adapter: ShimRuntimeAdapter, spec: FunctionSpec): Promise<Started> {
    const started = this.create(adapter, spec);
    await started.instance.start();
    return started;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#instances.map((instance) => instance.close()));
    await Promise.allSettled(this.#adapters.map((adapter) => adapter.close()));
  }
}

export function invoke(instance: Instance, event: unknown = {}, signal = new AbortController().signal, timeoutMs = 3000): Promise<string> {
  return instance.invoke({
    requestId: `req-${Math.random().toString(16).slice(2)}`,
    payload: JSON.stringify(event),
    deadline: Date.now() + timeoutMs,
    signal,
  });
}

/** The FnError a promise rejects with (fails the test if it resolves). */
export async function failure(t: Test, promise: Promise<unknown>): Promise<FnError> {
  try {
    const value = await promise;
    t.fail(`expected a failure, got ${JSON.stringify(value)}`);
    return new FnError('INTERNAL', 'did not fail');
  } catch (error) {
    return error as FnError;
  }
}

export interface LanguageCases {
  /** `python` or `php`: the fixture folder under test/fixtures. */
  language: string;
  runtime: string;
  factory: (options?: ShimRuntimeOptions) => ShimRuntimeAdapter;
  fixtures: string;
  /** errorType of the `cases/error` fixture's exception. */
  errorType: string;
  /** What its stack trace contains. */
  stackTrace: RegExp;
  /** The built-in per-runtime variable (PYTHONPATH, PHP_INI_SCAN_DIR) and what it must look like. */
  runtimeVariable: [string, (spec: FunctionSpec) => RegExp];
  /** An event for the `exit` fixture that makes the process die mid-invocation. */
  exitEvent: Record<string, unknown>;
}

export async function runSubprocessCases(t: Test, lang: LanguageCases): Promise<void> {
  const fixture = (name: string): string => join(lang.fixtures, name);
  const spec = (name: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec =>
    makeSpec(fixture(name), { runtime: lang.runtime, name: name.replace(/[^a-z0-9]/gi, '-'), ...overrides });

  await t.test('echo keeps unicode, cold and pre-warmed', async (t) => {
    const h = new Harness(t, lang.factory);
    const event = { text: 'héllo 世界 🚀', nested: { list: [1, 2.5, null, true] }, empty: {} };
    for (const adapter of [h.adapter(), h.adapter({ prewarm: 1 })]) {
      await adapter.warm();
      const { instance } = await h.start(adapter, spec('cases/echo'));
      t.same(JSON.parse(await invoke(instance, event)), event);
    }
  });

  await t.test('the context has every SPEC §2 key', async (t) => {
    const h = new Harness(t, lang.factory);
    const fnSpec = spec('context', { environment: { GREETING: 'hi' } });
    const { instance } = await h.start(h.adapter(), fnSpec);
    const context = JSON.parse(await instance.invoke({ requestId: 'req-ctx', payload: '{}', deadline: Date.now() + 3000, signal: new AbortController().signal }));
    t.match(context, {
      request_id: 'req-ctx',
      function_name: 'context',
      function_version: '$LATEST',
      namespace: 'default',
      memory_limit_in_mb: 128,
      time_limit_in_ms: 3000,
      tencentcloud_region: 'ap-guangzhou',
      tencentcloud_appid: '1250000000',
      tencentcloud_uin: '100000000001',
    });
    t.match(context.environ, /(^|;)GREETING=hi(;|$)/);
    t.equal(JSON.parse(context.environment).GREETING, 'hi');
    t.equal(JSON.parse(context.environment).SCF_FUNCTIONNAME, 'context');
  });

  await t.test('an uncaught exception is 430 with the trace; the instance lives on', async (t) => {
    const h = new Harness(t, lang.factory);
    const { instance } = await h.start(h.adapter(), spec('cases/error'));
    const error = await failure(t, invoke(instance));
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(error.status, 430);
    t.match(error.message, /boom/);
    t.equal(error.errorType, lang.errorType);
    t.match(error.stackTrace, lang.stackTrace);
    t.notMatch(error.stackTrace, /bootstrap\.py/, 'the shim frames are left out where the language allows');
    t.equal(instance.alive, true);
    await failure(t, invoke(instance));
  });

  await t.test('a missing handler function or file is 437 at start', async (t) => {
    const h = new Harness(t, lang.factory);
    for (const name of ['no-handler', 'no-file']) {
      const { instance } = h.create(h.adapter(), spec(name));
      const error = await failure(t, instance.start());
      t.equal(error.code, 'HANDLER_NOT_FOUND', `${name}: ${error.message}`);
      t.equal(error.status, 437);
      t.equal(instance.alive, false);
    }
  });

  await t.test('a syntax error or a missing dependency is 443 at start', async (t) => {
    const h = new Harness(t, lang.factory);
    for (const name of ['syntax', 'import-error']) {
      const { instance } = h.create(h.adapter(), spec(name));
      const error = await failure(t, instance.start());
      t.equal(error.code, 'USER_CODE_LOAD_ERROR', `${name}: ${error.message}`);
      t.equal(error.status, 443);
      t.ok(error.stackTrace.length > 0 || error.message.length > 0, 'says what went wrong');
      t.equal(instance.alive, false);
    }
  });

  await t.test('abort kills the process group; the next instance works', async (t) => {
    const h = new Harness(t, lang.factory);
    const adapter = h.adapter();
    const { instance, lines } = await h.start(adapter, spec('cases/timeout'));
    const pid = instance.pid!;
    const controller = new AbortController();
    const pending = invoke(instance, { loop: true, spawn: lang.language === 'python' }, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const abortedAt = performance.now();
    controller.abort(new FnError('TIMEOUT', 'Invoking task timed out after 0.3 seconds'));
    const error = await failure(t, pending);
    t.equal(error.code, 'TIMEOUT');
    t.ok(performance.now() - abortedAt < 100, 'rejects at once');
    t.equal(instance.alive, false);
    t.ok(await waitFor(() => !isRunning(pid)), 'the process is gone');
    const child = lines.map((line) => /^child (\d+)/.exec(line.text)).find(Boolean);
    // Inside a sandbox the printed pid is the pid namespace's own (test/security covers the sandbox's tree).
    if (child && !sandboxHost()) t.ok(await waitFor(() => !isRunning(Number(child[1]))), 'its subprocess is gone too');
    await failure(t, invoke(instance));
    const next = await h.start(adapter, spec('cases/timeout'));
    t.same(JSON.parse(await invoke(next.instance, {})), { ok: true });
  });

  await t.test('an abort without an FnError reason is a timeout', async (t) => {
    const h = new Harness(t, lang.factory);
    const { instance } = await h.start(h.adapter(), spec('cases/timeout'));
    const controller = new AbortController();
    const pending = invoke(instance, { loop: true }, controller.signal);
    setTimeout(() => controller.abort(), 100);
    t.equal((await failure(t, pending)).code, 'TIMEOUT');
  });

  await t.test('growing past the memory size is 434 and the instance is replaced', async (t) => {
    const h = new Harness(t, lang.factory);
    const adapter = h.adapter();
    for (const event of [{ allocate: true }, { big: true }]) {
      const { instance } = await h.start(adapter, spec('cases/memory'));
      const error = await failure(t, invoke(instance, event, undefined, 10_000));
      t.equal(error.code, 'MEMORY_LIMIT', `${JSON.stringify(event)}: ${error.message}`);
      t.equal(error.status, 434);
      t.equal(instance.alive, false);
    }
    const { instance } = await h.start(adapter, spec('cases/memory'));
    t.same(JSON.parse(await invoke(instance, {})), { ok: true });
    t.ok(instance.memoryUsage() > 1024 * 1024, `memoryUsage() is the sampled RSS (${instance.memoryUsage()} bytes)`);
  });

  await t.test('module state persists between invocations of one instance', async (t) => {
    const h = new Harness(t, lang.factory);
    for (const adapter of [h.adapter(), h.adapter({ prewarm: 1 })]) {
      await adapter.warm();
      const { instance } = await h.start(adapter, spec('cases/state'));
      const counts = [];
      for (let i = 0; i < 3; i++) counts.push(JSON.parse(await invoke(instance)).count);
      t.same(counts, [1, 2, 3]);
    }
  });

  await t.test('the function sees its variables and the built-ins, never the gateway environment', async (t) => {
    process.env[GATEWAY_SECRET] = 'gateway-secret-must-not-leak';
    t.teardown(() => delete process.env[GATEWAY_SECRET]);
    const h = new Harness(t, lang.factory);
    const fnSpec = spec('builtins', { environment: { GREETING: 'hi from config' } });
    const [variable, pattern] = lang.runtimeVariable;
    for (const [label, adapter] of [['cold', h.adapter()], ['pre-warmed', h.adapter({ prewarm: 1 })]] as const) {
      await adapter.warm();
      const { instance } = await h.start(adapter, fnSpec);
      const result = JSON.parse(await invoke(instance));
      t.match(result.env, {
        SCF_RUNTIME: lang.runtime,
        SCF_FUNCTIONNAME: 'builtins',
        SCF_FUNCTIONVERSION: '$LATEST',
        SCF_NAMESPACE: 'default',
        SCF_MEMORYSIZE: '128',
        SCF_TIMEOUT: '3',
        TENCENTCLOUD_RUNENV: 'SCF',
        TENCENTCLOUD_REGION: 'ap-guangzhou',
        TENCENTCLOUD_APPID: '1250000000',
        TENCENTCLOUD_UIN: '100000000001',
        USER_CODE_ROOT: visibleCodeDir(fnSpec),
        _HANDLER: 'index.main_handler',
        TZ: 'UTC',
        GREETING: 'hi from config',
        [GATEWAY_SECRET]: null,
      }, label);
      t.match(result.env[variable], pattern({ ...fnSpec, codeDir: visibleCodeDir(fnSpec) }), `${label}: ${variable}`);
      t.equal(result.cwd, visibleCodeDir(fnSpec), `${label}: cwd is the code folder`);
      t.match(result.env.HOME, /fngate-/, `${label}: HOME is the instance temp folder`);
      t.equal(result.env.TMPDIR, result.env.HOME);
      t.equal(result.tempdir, result.env.HOME);
      t.notMatch(result.env.PATH, /node_modules|\.pyenv\/shims/, `${label}: PATH is not the gateway's`);
      await access(result.env.HOME);
      await instance.close();
      await t.rejects(access(result.env.HOME), `${label}: close removes the temp folder`);
    }
  });

  await t.test('output goes to the instance log only, in order, never into results', async (t) => {
    const h = new Harness(t, lang.factory);
    const { instance, lines } = await h.start(h.adapter(), spec('cases/logs'));
    t.equal(await invoke(instance), '"done"');
    t.same(lines.map((line) => line.text), ['line one', 'line two']);
    t.equal(await invoke(instance), '"done"');
    t.equal(lines.length, 4, 'each invocation logs its own lines before it settles');
  });

  await t.test('a process dying mid-invocation is 439 and the instance is dead', async (t) => {
    const h = new Harness(t, lang.factory);
    const adapter = h.adapter();
    const self = await h.start(adapter, spec('exit'));
    const error = await failure(t, invoke(self.instance, lang.exitEvent));
    t.equal(error.code, 'USER_PROCESS_EXITED', error.message);
    t.equal(error.status, 439);
    t.equal(self.instance.alive, false);
    t.ok(self.lines.some((line) => line.text === 'about to go'), 'its last output is in the log');

    const killed = await h.start(adapter, spec('exit'));
    const pending = invoke(killed.instance, { wait: true }, undefined, 30_000);
    await waitFor(() => killed.lines.some((line) => line.text === 'about to go'));
    process.kill(killed.instance.pid!, 'SIGKILL');
    const external = await failure(t, pending);
    t.equal(external.code, 'USER_PROCESS_EXITED');
    t.match(external.message, /SIGKILL/);
    t.equal(killed.instance.alive, false);
  });

  await t.test('a process killed while idle is not reused', async (t) => {
    const h = new Harness(t, lang.factory);
    const { instance } = await h.start(h.adapter(), spec('exit'));
    process.kill(instance.pid!, 'SIGKILL');
    t.ok(await waitFor(() => !instance.alive), 'alive turns false');
    t.equal((await failure(t, invoke(instance))).code, 'INTERNAL');
  });

  await t.test('not ready within initTimeout is 450 and the process is killed', async (t) => {
    const h = new Harness(t, lang.factory);
    const { instance } = h.create(h.adapter(), spec('init-sleep', { initTimeoutMs: 500 }));
    const startedAt = performance.now();
    const error = await failure(t, instance.start());
    const elapsed = performance.now() - startedAt;
    t.equal(error.code, 'INIT_TIMEOUT');
    t.equal(error.status, 450);
    // Not before the limit; well before the function's own endless sleep (the upper bound allows a loaded CI
    // machine's process start: speed belongs to bench/, this checks the limit is enforced).
    t.ok(elapsed >= 500 && elapsed < 5000, `failed after ${elapsed.toFixed(0)} ms`);
    t.equal(instance.alive, false);
    t.ok(await waitFor(() => !isRunning(instance.pid!)), 'the process is gone');
  });

  await t.test('a pre-warmed interpreter starts faster than a fresh one', async (t) => {
    const h = new Harness(t, lang.factory);
    const fnSpec = spec('cases/echo');
    const timeStart = async (adapter: ShimRuntimeAdapter): Promise<number> => {
      const { instance } = h.create(adapter, fnSpec);
      const startedAt = performance.now();
      await instance.start();
      const elapsed = performance.now() - startedAt;
      await instance.close();
      return elapsed;
    };
    const bare = h.adapter({ prewarm: 0 });
    await bare.warm();
    const pooled = h.adapter({ prewarm: 1 });
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) {
      cold.push(await timeStart(bare));
      // Refill before each start: the pool's own background spawn must not compete with the timing.
      await pooled.warm();
      warm.push(await timeStart(pooled));
    }
    const best = (list: number[]): number => Math.min(...list);
    t.comment(`${lang.language} start: cold ${cold.map((ms) => ms.toFixed(1)).join('/')} ms, pre-warmed ${warm.map((ms) => ms.toFixed(1)).join('/')} ms`);
    t.ok(best(warm) < best(cold), `pre-warmed ${best(warm).toFixed(1)} ms < cold ${best(cold).toFixed(1)} ms`);
  });

  await t.test('close is idempotent and ends an instance that is still starting', async (t) => {
    const h = new Harness(t, lang.factory);
    const { instance } = h.create(h.adapter(), spec('init-sleep'));
    const starting = instance.start();
    await waitFor(() => instance.pid !== undefined);
    const pid = instance.pid!;
    await Promise.all([instance.close(), instance.close()]);
    const error = await failure(t, starting);
    t.equal(error.code, 'CANCELLED');
    t.ok(await waitFor(() => !isRunning(pid)), 'the process is gone');
    await instance.close();
  });
}
