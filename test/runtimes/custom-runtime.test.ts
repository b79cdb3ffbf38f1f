/**
 * Custom Runtime functions end to end at the adapter: SCF's own bash + curl sample unchanged, a Python
 * (urllib) bootstrap, and bootstraps that fail in each way SPEC §3 and §5 name.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { FnError } from '../../gateway/errors.ts';
import { customRuntime } from '../../runtimes/custom/adapter.ts';
import type { FunctionSpec } from '../../runtimes/runtime.ts';
import { requireTool } from '../helpers/toolchain.ts';
import { sandboxHost } from '../../runtimes/sandbox/host.ts';
import { GATEWAY_SECRET, failure, instanceStarter, invoke, isRunning, makeSpec, visibleCodeDir, waitFor } from './subprocess.cases.ts';

const fixtures = fileURLToPath(new URL('../fixtures/custom', import.meta.url));

if (requireTool(t, 'curl', 'curl') && requireTool(t, 'python3', 'python3')) {
  const adapter = customRuntime();
  const spec = (name: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec =>
    makeSpec(join(fixtures, name), { runtime: 'CustomRuntime', name: name.replace(/[^a-z0-9]/gi, '-'), initTimeoutMs: 10_000, ...overrides });
  const { create, start } = instanceStarter(t, adapter);

  t.test('adapter identity', async (t) => {
    t.equal(adapter.kind, 'custom');
    t.ok(adapter.supports('CustomRuntime'));
    t.notOk(adapter.supports('Go1'));
  });

  t.test("SCF's bash sample runs unchanged; its plain-text result is a JSON string", async (t) => {
    const coldMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const startedAt = performance.now();
      const { instance, lines } = await start(spec('scf-sample'));
      t.equal(await invoke(instance, { key1: 'value1' }), JSON.stringify(`Echoing request: '{"key1":"value1"}'`));
      coldMs.push(performance.now() - startedAt);
      t.same(lines.map((line) => line.text), ['{"key1":"value1"}'], 'stderr is the log; nothing of curl');
      if (i === 4) {
        t.equal(await invoke(instance, { n: 2 }), JSON.stringify(`Echoing request: '{"n":2}'`), 'warm');
        t.equal(lines.length, 2);
      }
      await instance.close();
    }
    coldMs.sort((a, b) => a - b);
    t.comment(`custom runtime (bash + curl) cold start (spawn → first result), median of 5: ${coldMs[2]!.toFixed(1)} ms`);
  });

  t.test('the bootstrap gets the Runtime API address, the handler and the function environment', async (t) => {
    process.env[GATEWAY_SECRET] = 'gateway-secret-must-not-leak';
    t.teardown(() => delete process.env[GATEWAY_SECRET]);
    const fnSpec = spec('python', { handler: 'app.handle', environment: { GREETING: 'hi' } });
    const { instance, lines } = await start(fnSpec);
    t.same(lines.map((line) => line.text), ['initialising'], 'initialisation output is kept for the first invocation');
    const keys = ['SCF_RUNTIME_API', 'SCF_RUNTIME_API_PORT', '_HANDLER', 'GREETING', 'SCF_FUNCTIONNAME', 'TENCENTCLOUD_RUNENV', GATEWAY_SECRET];
    const env = JSON.parse(await invoke(instance, { action: 'env', keys }));
    t.match(env, {
      SCF_RUNTIME_API: '127.0.0.1',
      SCF_RUNTIME_API_PORT: /^\d+$/,
      _HANDLER: 'app.handle',
      GREETING: 'hi',
      SCF_FUNCTIONNAME: 'python',
      TENCENTCLOUD_RUNENV: 'SCF',
      [GATEWAY_SECRET]: null,
      cwd: visibleCodeDir(fnSpec),
    });
    const headers = JSON.parse(await invoke(instance, { action: 'headers' }));
    t.match(headers, { request_id: /^req-/, memory_limit_in_mb: '128', time_limit_in_ms: '3000' });
    const event = { text: 'héllo 世界 🚀', nested: [1, 2.5, null] };
    t.same(JSON.parse(await invoke(instance, event)), event);
  });

  t.test('a JSON error document is 430 with its type and trace; the instance lives on', async (t) => {
    const { instance } = await start(spec('python'));
    const error = await failure(t, invoke(instance, { action: 'fail' }));
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(error.message, 'bad input');
    t.equal(error.errorType, 'ValueError');
    t.equal(error.stackTrace, 'line 1\nline 2');
    t.equal(instance.alive, true);
    t.same(JSON.parse(await invoke(instance, { ok: 1 })), { ok: 1 });
  });

  t.test('a missing or non-executable bootstrap is 437', async (t) => {
    const missing = create(spec('no-bootstrap'));
    t.match(await failure(t, missing.instance.start()), { code: 'HANDLER_NOT_FOUND', message: /bootstrap was not found/ });
    const dir = await mkdtemp(join(tmpdir(), 'fngate-custom-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'bootstrap'), '#!/bin/bash\necho hi\n');
    await chmod(join(dir, 'bootstrap'), 0o644);
    const plain = create(makeSpec(dir, { runtime: 'CustomRuntime' }));
    t.match(await failure(t, plain.instance.start()), { code: 'HANDLER_NOT_FOUND', message: /not executable/ });
  });

  t.test('a bootstrap that exits before ready is 443 with its last output', async (t) => {
    const { instance } = create(spec('exit-early'));
    const error = await failure(t, instance.start());
    t.equal(error.code, 'USER_CODE_LOAD_ERROR');
    t.match(error.message, /cannot load index\.sh/);
  });

  t.test('/runtime/init/error is 443 with the posted message', async (t) => {
    const { instance } = create(spec('init-error'));
    const error = await failure(t, instance.start());
    t.equal(error.code, 'USER_CODE_LOAD_ERROR');
    t.equal(error.message, 'missing config.json');
    t.equal(instance.alive, false);
    t.ok(await waitFor(() => !isRunning(instance.pid!)), 'the process is gone');
  });

  t.test('never ready within initTimeout is 450 and the process is killed', async (t) => {
    const { instance } = create(spec('never-ready', { initTimeoutMs: 500 }));
    const startedAt = performance.now();
    const error = await failure(t, instance.start());
    const elapsed = performance.now() - startedAt;
    t.equal(error.code, 'INIT_TIMEOUT');
    // Not before the limit; well before the function's endless wait (the upper bound allows a loaded CI
    // machine's process start: speed belongs to bench/, this checks the limit is enforced).
    t.ok(elapsed >= 500 && elapsed < 5000, `failed after ${elapsed.toFixed(0)} ms`);
    t.ok(await waitFor(() => !isRunning(instance.pid!)), 'the process is gone');
  });

  t.test('a bootstrap dying mid-invocation is 439', async (t) => {
    const { instance, lines } = await start(spec('python'));
    const error = await failure(t, invoke(instance, { action: 'exit' }));
    t.equal(error.code, 'USER_PROCESS_EXITED', error.message);
    t.equal(instance.alive, false);
    t.ok(lines.some((line) => line.text === 'about to go'));
  });

  t.test('abort kills the bootstrap and everything it started', async (t) => {
    const { instance, lines } = await start(spec('python'));
    const pid = instance.pid!;
    const controller = new AbortController();
    const pending = invoke(instance, { action: 'spawn' }, controller.signal);
    t.ok(await waitFor(() => lines.some((line) => line.text.startsWith('child '))), 'the child started');
    controller.abort(new FnError('TIMEOUT', 'Invoking task timed out'));
    t.equal((await failure(t, pending)).code, 'TIMEOUT');
    const child = Number(/^child (\d+)/.exec(lines.find((line) => line.text.startsWith('child '))!.text)![1]);
    // In a sandbox the child's pid is its namespace's; the namespace ends with the bootstrap's sandbox.
    t.ok(await waitFor(() => !isRunning(pid) && (sandboxHost() !== undefined || !isRunning(child))), 'the bootstrap and its child are gone');
  });
}
