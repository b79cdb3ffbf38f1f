/**
 * What only `nodeRuntime: process` has (a real Node.js process per instance), plus the Node.js handler
 * table both modes share (node-handler.cases.ts). Expected values come from running the same modules here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import t from 'tap';
import { nodeProcessRuntime } from '../../runtimes/node-process/adapter.ts';
import { SANDBOX_CODE_ROOT } from '../../runtimes/env.ts';
import type { FunctionSpec } from '../../runtimes/runtime.ts';
import { sandboxHost } from '../../runtimes/sandbox/host.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { hostPidOf, readFunctionFile } from '../helpers/sandbox.ts';
import { NODE_FIXTURES, call, collect, failure, invoke, nodeSpec, startedWith, texts } from '../helpers/node-instances.ts';
import { runNodeHandlerCases } from './node-handler.cases.ts';

const FIXTURES = join(NODE_FIXTURES, '..', 'node-process');
const FULL = join(FIXTURES, 'full');
/** A host path of the code or the layer as a function process sees it (/var/user, /opt inside the sandbox). */
const seen = (path: string): string =>
  sandboxHost() ? path.replace(FULL, SANDBOX_CODE_ROOT).replace(join(NODE_FIXTURES, 'layer'), '/opt') : path;
const adapter = nodeProcessRuntime();
t.teardown(() => adapter.close());

const fullSpec = (handler: string, overrides = {}) => nodeSpec('full', { name: 'node-full', codeDir: FULL, handler: `index.${handler}`, ...overrides });

runNodeHandlerCases(t, { adapter, memoryBombMb: 128, codePath: (fixture) => (sandboxHost() ? SANDBOX_CODE_ROOT : `${NODE_FIXTURES}${fixture}`) });

t.test('everything Node.js has: child_process, worker_threads, a spawned node', async (t) => {
  const shell = await startedWith(adapter, t, fullSpec('shell'));
  t.equal(await invoke(shell), 'node-full from a shell\n', 'execSync runs a shell that sees the function environment');

  // The oracle: the same modules, run by the Node.js running this test.
  const here = createRequire(join(FULL, 'index.js'));
  const { sumInWorker } = here('./lib/threads') as { sumInWorker(n: number): Promise<unknown> };
  const worker = await startedWith(adapter, t, fullSpec('worker'));
  t.same(await invoke(worker, { n: 100000 }), await sumInWorker(100000), 'a worker thread computes as it does here');

  const code = 'process.stdout.write(JSON.stringify({ node: process.versions.node, sum: [1, 2, 3].reduce((a, b) => a + b) }))';
  const spawner = await startedWith(adapter, t, fullSpec('spawnNode'));
  t.equal(await invoke(spawner, { code }), execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' }), '`node -e` from the function PATH');
});

t.test('the channel stays the shim’s: child processes do not inherit it; a 5 MB event arrives whole', async (t) => {
  const fds = await startedWith(adapter, t, fullSpec('fds'));
  const { channel, child, leaked } = (await invoke(fds)) as { channel: string[]; child: number; leaked: string[] };
  t.match(channel, [/^socket:/, /^socket:/]);
  t.ok(child >= 3, `the shell's fds were listed (${child})`);
  t.same(leaked, []);
  const size = await startedWith(adapter, t, fullSpec('size'));
  const text = `${'é'.repeat(5 * 1024 * 1024 / 2 - 2)}end`;
  t.same(await invoke(size, { text }), { length: text.length, last: 'end' });
});

t.test('ES module handlers: index.mjs, and index.js in a "type": "module" package', async (t) => {
  const instance = await startedWith(adapter, t, nodeSpec('esm', { codeDir: join(FIXTURES, 'esm') }));
  const { createHash } = await import('node:crypto');
  t.same(await invoke(instance, { text: 'hello' }), { module: 'esm', sha: createHash('sha1').update('hello').digest('hex') });
  const typed = await startedWith(adapter, t, nodeSpec('esm-package', { codeDir: join(FIXTURES, 'esm-package') }));
  t.same(await invoke(typed), { module: 'esm', file: 'index.js' });
});

t.test('environment: the function variables, built-ins, NODE_PATH with layers, a private TMPDIR, cwd = code', async (t) => {
  process.env.FNGATE_PROCESS_TEST_SECRET = 'must-not-leak';
  t.teardown(() => delete process.env.FNGATE_PROCESS_TEST_SECRET);
  const layer = join(NODE_FIXTURES, 'layer');
  const instance = await startedWith(adapter, t, fullSpec('env', { environment: { GREETING: 'hi', TZ: 'Asia/Shanghai' }, layerDirs: [layer] }));
  const { env, cwd, version } = (await invoke(instance)) as { env: Record<string, string>; cwd: string; version: string };
  t.match(env, {
    GREETING: 'hi',
    TZ: 'Asia/Shanghai',
    SCF_RUNTIME: 'Nodejs18.15',
    SCF_FUNCTIONNAME: 'node-full',
    SCF_MEMORYSIZE: '128',
    TENCENTCLOUD_RUNENV: 'SCF',
    USER_CODE_ROOT: seen(FULL),
    _HANDLER: 'index.env',
  });
  t.same(env.NODE_PATH.split(':'), [FULL, join(FULL, 'node_modules'), join(layer, 'nodejs', 'node_modules'), join(layer, 'node_modules'), layer].map(seen));
  t.equal(env.PATH.split(':')[0], dirname(process.execPath), 'the gateway’s node comes first on PATH');
  t.equal(env.FNGATE_PROCESS_TEST_SECRET, undefined, 'nothing of the gateway environment leaks in');
  t.equal(env.TMPDIR, env.HOME);
  t.ok(env.TMPDIR.includes('fngate-nodejs') && existsSync(env.TMPDIR), `a private temp folder (${env.TMPDIR})`);
  t.equal(cwd, seen(FULL));
  t.equal(version, process.version);
  await instance.close();
  t.notOk(existsSync(env.TMPDIR), 'the temp folder goes with the instance');
});

t.test('pre-warmed spares serve functions of the default memory size without start-up-only variables', async (t) => {
  const warmed = nodeProcessRuntime();
  t.teardown(() => warmed.close());
  await warmed.warm();
  const tempDirOf = async (overrides: Partial<FunctionSpec>): Promise<string> => {
    const instance = await startedWith(warmed, t, fullSpec('env', overrides));
    return ((await invoke(instance)) as { env: Record<string, string> }).env.TMPDIR;
  };
  t.match(await tempDirOf({}), /fngate-nodejs-spare-/, '128 MB: a spare');
  t.notMatch(await tempDirOf({ memoryMb: 256 }), /-spare-/, '256 MB: a fresh process (V8 heap and rlimit are fixed at start)');
  t.notMatch(await tempDirOf({ environment: { NODE_OPTIONS: '--no-warnings' } }), /-spare-/, 'NODE_OPTIONS: a fresh process');
});

t.test('process.exit() is a 439 and ends the instance', async (t) => {
  const instance = await startedWith(adapter, t, fullSpec('exit'));
  const error = await failure(call(instance).result);
  t.equal(error.code, 'USER_PROCESS_EXITED');
  t.equal(error.status, 439);
  t.match(error.message, /exited with code 3/);
  t.equal(instance.alive, false);
});

t.test('unhandled rejections and uncaught errors', async (t) => {
  const rejecting = await startedWith(adapter, t, fullSpec('unhandled'));
  const error = await failure(call(rejecting).result);
  t.equal(error.code, 'USER_CODE_EXCEPTION', 'an unhandled rejection fails the invocation, as Node would crash on it');
  t.equal(error.message, 'nobody catches this');
  t.equal(rejecting.alive, true);

  const between = await startedWith(adapter, t, fullSpec('uncaughtBetween'));
  t.equal(await invoke(between), 'answered');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const lines = collect(between);
  t.equal(await invoke(between), 'answered', 'the instance lives on');
  t.match(texts(lines)[0], /^Uncaught Error: thrown after the invocation/, 'an error between invocations is logged into the next one');
});

t.test('the V8 heap follows the memory size; start-up-only variables get a fresh process', async (t) => {
  for (const memoryMb of [128, 256]) {
    const instance = await startedWith(adapter, t, fullSpec('heap', { memoryMb }));
    const limitMb = ((await invoke(instance)) as number) / 1048576;
    t.ok(limitMb >= memoryMb && limitMb < memoryMb + 64, `${memoryMb} MB: a heap limit of ${limitMb.toFixed(0)} MB`);
  }
  const burst = await startedWith(adapter, t, fullSpec('heapBurst'));
  const error = await failure(call(burst, {}, 10000).result);
  t.equal(error.code, 'MEMORY_LIMIT', 'one allocation the size of the whole memory is a 434');
  t.equal(burst.alive, false);
  for (const memoryMb of [128, 256]) {
    const bomb = await startedWith(adapter, t, fullSpec('bufferBomb', { memoryMb }));
    const begin = performance.now();
    const bombError = await failure(call(bomb, {}, 10000).result);
    t.equal(bombError.code, 'MEMORY_LIMIT', `${memoryMb} MB: a Buffer of three times the memory size is a 434`);
    t.match(bombError.message, /Array buffer allocation failed/);
    t.ok(performance.now() - begin < 1000, 'at once: the data rlimit refuses it before anything is touched');
    t.equal(bomb.alive, false, 'the instance is replaced');
  }
  const instance = await startedWith(adapter, t, fullSpec('headerSize', { environment: { NODE_OPTIONS: '--max-http-header-size=12345' } }));
  t.equal(await invoke(instance), 12345, 'NODE_OPTIONS applies');
});

t.test('through the gateway', async (t) => {
  const base = { src: FULL, runtime: 'Nodejs18.15', nodeRuntime: 'process', memorySize: 128 };
  const gateway = await startTestGateway(t, {
    functions: {
      slow: { ...base, handler: 'index.slow', timeout: 10 },
      server: { ...base, handler: 'index.server', timeout: 1 },
    },
  });

  await t.test('a kill from outside mid-invocation is a 439; the next invocation gets a new process', async (t) => {
    const pidFile = `/tmp/fngate-node-kill-${process.pid}.pid`;
    const runningFile = `${pidFile}.running`;
    t.teardown(() => rmSync(pidFile, { force: true }));
    t.teardown(() => rmSync(runningFile, { force: true }));
    const first = await gateway.invoke('slow', { ms: 0, pidFile });
    t.equal(first.status, 200, first.text);
    const pending = gateway.invoke('slow', { ms: 5000, pidFile: runningFile });
    // Killed once the handler runs (its file is written), not after a fixed wait a loaded machine outlasts.
    let written = readFunctionFile(runningFile);
    for (const deadline = Date.now() + 20_000; !written?.text && Date.now() < deadline; written = readFunctionFile(runningFile)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!written?.text) throw new Error('the slow invocation never ran');
    const pid = hostPidOf(Number(written.text), written.pid);
    process.kill(pid, 'SIGKILL');
    const killed = await pending;
    t.equal(killed.status, 439, killed.text);
    // bwrap reports a SIGKILLed command as its own exit code 128 + 9.
    t.match(killed.json.errorMessage, written.pid === undefined ? /killed by SIGKILL/ : /killed by SIGKILL|code 137/);
    const next = await gateway.invoke('slow', { ms: 0 });
    t.equal(next.status, 200, next.text);
    // A sandboxed process has the same pid in its own namespace as the killed one had in its.
    if (written.pid === undefined) t.not(next.json, pid, 'a new process serves it');
  });

  await t.test('callbackWaitsForEmptyEventLoop and an open server socket', async (t) => {
    const quick = await gateway.invoke('server', { wait: false });
    t.equal(quick.status, 200, quick.text);
    t.equal(typeof quick.json, 'number', 'it listens on a port');
    // Reached from inside the instance: a sandbox's network is its own, nothing outside connects in.
    const probe = await gateway.invoke('server', { action: 'probe' });
    t.equal(probe.json, 'hello from the function', 'the server listens in the function process between invocations');
    t.same((await gateway.invoke('server', { action: 'close' })).json, 'closed');
    // As in Node: a listening server is pending work, so waiting for an empty event loop waits until the timeout.
    const waiting = await gateway.invoke('server', { wait: true });
    t.equal(waiting.status, 433, waiting.text);
  });
});
