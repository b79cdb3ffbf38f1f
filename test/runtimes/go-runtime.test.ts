/**
 * The Go runtime against real Go programs (test/fixtures/go/functions, built once at set-up against the
 * scf-go-lib stand-in): readiness, the invocation fields, returned errors, panics, crashes and limits.
 */
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FnError } from '../../gateway/errors.ts';
import { goRuntime } from '../../runtimes/go/adapter.ts';
import type { FunctionSpec } from '../../runtimes/runtime.ts';
import { buildGoPrograms } from '../helpers/go.ts';
import { requireTool } from '../helpers/toolchain.ts';
import { sandboxHost } from '../../runtimes/sandbox/host.ts';
import { GATEWAY_SECRET, failure, instanceStarter, invoke, isRunning, makeSpec, visibleCodeDir, waitFor } from './subprocess.cases.ts';

const PROGRAMS = ['echo', 'error', 'panic', 'exit', 'context', 'init-sleep', 'crash', 'timeout', 'memory', 'logs'];

if (requireTool(t, 'go', 'golang-go')) {
  const root = await mkdtemp(join(tmpdir(), 'fngate-go-runtime-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await buildGoPrograms(PROGRAMS.map((name) => `./functions/${name}`), join(root, 'bin'));
  /** A code folder holding the program `name` as `main`. */
  const codeDir = async (name: string): Promise<string> => {
    const dir = join(root, 'code', name);
    await mkdir(dir, { recursive: true });
    await copyFile(join(root, 'bin', name), join(dir, 'main'));
    return dir;
  };
  const folders = Object.fromEntries(await Promise.all(PROGRAMS.map(async (name) => [name, await codeDir(name)] as const)));
  const spec = (name: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec =>
    makeSpec(folders[name]!, { runtime: 'Go1', handler: 'main', name: name.replace(/[^a-z0-9]/gi, '-'), ...overrides });

  const adapter = goRuntime();
  const { create, start } = instanceStarter(t, adapter);

  t.test('adapter identity', async (t) => {
    t.equal(adapter.kind, 'go');
    t.ok(adapter.supports('Go1'));
    t.ok(adapter.supports('go1'));
    t.notOk(adapter.supports('Go2'));
  });

  t.test('echo over one connection, cold start timed', async (t) => {
    const coldMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const startedAt = performance.now();
      const { instance } = await start(spec('echo'));
      const event = { text: 'héllo 世界 🚀', i };
      t.same(JSON.parse(await invoke(instance, event)), event);
      coldMs.push(performance.now() - startedAt);
      await instance.close();
    }
    coldMs.sort((a, b) => a - b);
    t.comment(`Go cold start (spawn → first result), median of 5: ${coldMs[2]!.toFixed(1)} ms`);
    const { instance } = await start(spec('echo'));
    const results = [];
    for (let i = 0; i < 20; i++) results.push(JSON.parse(await invoke(instance, { i })).i);
    t.same(results, [...Array(20).keys()]);
  });

  t.test('the invocation carries the function, its limits, deadline and environment', async (t) => {
    process.env[GATEWAY_SECRET] = 'gateway-secret-must-not-leak';
    t.teardown(() => delete process.env[GATEWAY_SECRET]);
    const fnSpec = spec('context', { environment: { GREETING: 'hi from config' }, memoryMb: 256, timeoutMs: 5000 });
    const { instance } = await start(fnSpec);
    const deadline = Date.now() + 5000;
    const result = JSON.parse(
      await instance.invoke({ requestId: 'req-go', payload: '{}', deadline, signal: new AbortController().signal }),
    );
    t.same(result.context, {
      RequestID: 'req-go',
      Namespace: 'default',
      FunctionName: 'context',
      FunctionVersion: '$LATEST',
      MemoryLimitInMb: 256,
      TimeLimitInMs: 5000,
      Environment: result.context.Environment,
    });
    t.match(result.context.Environment, { GREETING: 'hi from config', SCF_FUNCTIONNAME: 'context', TENCENTCLOUD_RUNENV: 'SCF' });
    t.notOk(GATEWAY_SECRET in result.context.Environment, 'Environment has nothing of the gateway');
    t.equal(result.deadlineMs, deadline, 'Deadline is the invocation deadline, to the millisecond');
    t.match(result.startup, { FUNCTION_NAME: 'context', FUNCTION_MEMORY_SIZE: '256', FUNCTION_VERSION: '$LATEST' });
    t.match(result.startup._LAMBDA_SERVER_PORT, /^\d+$/);
    t.equal(result.greeting, 'hi from config');
    t.equal(result.secret, '');
    t.equal(result.cwd, visibleCodeDir(fnSpec), 'cwd is the code folder');
    t.match(result.home, /fngate-go-/, 'HOME is the instance temp folder');
    t.notMatch(result.path, /node_modules/, 'PATH is not the gateway’s');
  });

  t.test('a returned error (errors.New) is 430 with its Go type; the instance lives on', async (t) => {
    const { instance } = await start(spec('error'));
    const error = await failure(t, invoke(instance));
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(error.status, 430);
    t.equal(error.message, 'boom');
    t.equal(error.errorType, 'errorString');
    t.equal(error.stackTrace, 'errorString: boom');
    t.equal(instance.alive, true);
    t.equal((await failure(t, invoke(instance))).message, 'boom', 'and fails the same way again');
  });

  t.test('a panic is 430 with the frames; the process is killed and the instance replaced', async (t) => {
    const { instance } = await start(spec('panic'));
    // The process the gateway holds (bwrap in a sandbox, where the function's own pid is its namespace's).
    const pid = instance.pid!;
    if (!sandboxHost()) t.equal(JSON.parse(await invoke(instance)).pid, pid);
    const error = await failure(t, invoke(instance, { panic: true }));
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(error.message, 'boom');
    t.equal(error.errorType, 'string');
    t.match(error.stackTrace, /^string: boom\n(\tat .+\n)*\tat explode \(main\.go:\d+\)\n\tat handler \(main\.go:\d+\)\n/);
    t.equal(instance.alive, false, 'never handed out again');
    t.ok(await waitFor(() => !isRunning(pid)), 'the process is gone');
    const next = await start(spec('panic'));
    t.not(next.instance.pid, pid, 'a new process serves the next call');
    t.ok(JSON.parse(await invoke(next.instance)).pid > 0);
  });

  t.test('a process dying mid-invocation is 439, its output is in the log', async (t) => {
    const self = await start(spec('exit'));
    const error = await failure(t, invoke(self.instance, { exit: true }));
    t.equal(error.code, 'USER_PROCESS_EXITED', error.message);
    t.match(error.message, /code 3/);
    t.equal(self.instance.alive, false);
    t.ok(self.lines.some((line) => line.text === 'about to go'));

    const killed = await start(spec('exit'));
    const pending = invoke(killed.instance, { wait: true }, undefined, 30_000);
    await waitFor(() => killed.lines.some((line) => line.text === 'about to go'));
    process.kill(killed.instance.pid!, 'SIGKILL');
    const external = await failure(t, pending);
    t.equal(external.code, 'USER_PROCESS_EXITED');
    t.match(external.message, /SIGKILL/);
  });

  t.test('a binary that exits before serving is 443 with its last output', async (t) => {
    const { instance } = create(spec('crash'));
    const error = await failure(t, instance.start());
    t.equal(error.code, 'USER_CODE_LOAD_ERROR', error.message);
    t.equal(error.status, 443);
    t.match(error.message, /cannot read config\.json/);
    t.equal(instance.alive, false);
  });

  t.test('not serving within initTimeout is 450 and the process is killed', async (t) => {
    const { instance } = create(spec('init-sleep', { initTimeoutMs: 500 }));
    const startedAt = performance.now();
    const error = await failure(t, instance.start());
    const elapsed = performance.now() - startedAt;
    t.equal(error.code, 'INIT_TIMEOUT');
    // Not before the limit; well before the function's endless wait (the upper bound allows a loaded CI
    // machine's process start: speed belongs to bench/, this checks the limit is enforced).
    t.ok(elapsed >= 500 && elapsed < 5000, `failed after ${elapsed.toFixed(0)} ms`);
    t.ok(await waitFor(() => !isRunning(instance.pid!)), 'the process is gone');
  });

  t.test('a missing or non-executable binary is 437', async (t) => {
    const missing = create(spec('echo', { handler: 'nope' }));
    const notFound = await failure(t, missing.instance.start());
    t.equal(notFound.code, 'HANDLER_NOT_FOUND');
    t.match(notFound.message, /nope was not found/);
    const dir = join(root, 'code', 'not-executable');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'main'), 'not a program');
    await chmod(join(dir, 'main'), 0o644);
    const plain = create(makeSpec(dir, { runtime: 'Go1', handler: 'main' }));
    t.match(await failure(t, plain.instance.start()), { code: 'HANDLER_NOT_FOUND', message: /not executable/ });
    const outside = create(spec('echo', { handler: '../panic/main' }));
    t.equal((await failure(t, outside.instance.start())).code, 'HANDLER_NOT_FOUND', 'nothing outside the code folder');
  });

  t.test('a binary that is not an scf-go-lib function fails to start', async (t) => {
    const dir = join(root, 'code', 'not-go');
    await mkdir(dir, { recursive: true });
    // Listens on the port, but answers HTTP instead of gob.
    await writeFile(
      join(dir, 'main'),
      '#!/usr/bin/env python3\nimport os, socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n' +
        "s.bind(('127.0.0.1', int(os.environ['_LAMBDA_SERVER_PORT'])))\ns.listen()\n" +
        "while True:\n    c, _ = s.accept()\n    c.recv(1024)\n    c.sendall(b'HTTP/1.1 400 Bad Request\\r\\n\\r\\n')\n    c.close()\n",
    );
    await chmod(join(dir, 'main'), 0o755);
    const { instance } = create(makeSpec(dir, { runtime: 'Go1', handler: 'main', initTimeoutMs: 5000 }));
    const error = await failure(t, instance.start());
    t.equal(error.code, 'USER_CODE_LOAD_ERROR', error.message);
    t.match(error.message, /Function\.Ping/);
  });

  t.test('abort kills the process; the next instance works', async (t) => {
    const { instance } = await start(spec('timeout'));
    const pid = instance.pid!;
    const controller = new AbortController();
    const pending = invoke(instance, { loop: true }, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort(new FnError('TIMEOUT', 'Invoking task timed out'));
    t.equal((await failure(t, pending)).code, 'TIMEOUT');
    t.equal(instance.alive, false);
    t.ok(await waitFor(() => !isRunning(pid)), 'the process is gone');
    const next = await start(spec('timeout'));
    t.same(JSON.parse(await invoke(next.instance)), { ok: true });
  });

  t.test('growing past the memory size is 434', async (t) => {
    const { instance } = await start(spec('memory'));
    t.same(JSON.parse(await invoke(instance)), { ok: true });
    t.ok(instance.memoryUsage() > 1024 * 1024, `memoryUsage() is the sampled RSS (${instance.memoryUsage()} bytes)`);
    const error = await failure(t, invoke(instance, { allocate: true }, undefined, 10_000));
    t.equal(error.code, 'MEMORY_LIMIT', error.message);
    t.equal(instance.alive, false);
  });

  t.test('output goes to the log of its invocation, in order', async (t) => {
    const { instance, lines } = await start(spec('logs'));
    for (let i = 1; i <= 3; i++) {
      t.equal(await invoke(instance), '"done"');
      t.equal(lines.length, 2 * i, `invocation ${i} logged its lines before it settled`);
    }
    t.same(lines.slice(0, 2).map((line) => line.text), ['line one', 'line two']);
  });
}
