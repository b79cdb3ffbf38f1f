import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import t, { type Test } from 'tap';
import { FnError } from '../../gateway/errors.ts';
import { SubprocessInstance } from '../../runtimes/subprocess/instance.ts';
import { LineSplitter } from '../../runtimes/subprocess/lines.ts';
import { dataRlimitBytes, readPss, readRss, readTreeRss } from '../../runtimes/subprocess/memory.ts';
import { FunctionProcess, wrappedCommand } from '../../runtimes/subprocess/process.ts';
import { parseChildMessage } from '../../runtimes/subprocess/protocol.ts';
import { RuntimeApiSession, type Invocation } from '../../runtimes/subprocess/runtime-api.ts';
import { failure, isRunning, makeSpec, waitFor } from './subprocess.cases.ts';

const PYTHON = execFileSync('python3', ['-s', '-S', '-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

const invocation = (requestId: string): Invocation => ({ requestId, payload: '{}', deadline: Date.now() + 1000, context: {} });

t.test('RuntimeApiSession', async (t) => {
  t.test('the first ready counts; next before any invocation waits for one', async (t) => {
    const session = new RuntimeApiSession();
    t.equal(session.state, 'initializing');
    t.equal(session.ready({ initFunctionMs: 5 }), true);
    t.equal(session.ready({ initFunctionMs: 9 }), false, 'a repeated ready changes nothing');
    t.same(await session.whenReady(), { initFunctionMs: 5 });
    let polled: Invocation | undefined;
    const poll = session.next().then((next) => (polled = next));
    await new Promise(setImmediate);
    t.equal(polled, undefined, 'a long poll');
    const result = session.invoke(invocation('a'));
    await poll;
    t.equal(polled!.requestId, 'a');
    t.equal((await session.next()).requestId, 'a', 'a repeated next returns the event in flight');
    t.equal(session.respond('1'), true);
    t.equal(await result, '1');
    t.equal(session.state, 'idle');
  });

  t.test('concurrent polls all get the event; the first response or error is final', async (t) => {
    const session = new RuntimeApiSession();
    const polls = [session.next(), session.next()];
    t.equal(session.state, 'idle', 'polling for work implies ready');
    const result = session.invoke(invocation('b'));
    t.same((await Promise.all(polls)).map((next) => next.requestId), ['b', 'b']);
    t.equal(session.respond('"other"', 'not-b'), false, 'a response for another request is refused');
    t.equal(session.fail({ message: 'late' }, 'b'), true);
    t.equal(session.respond('"after"'), false, 'later posts are rejected');
    const error = await failure(t, result);
    t.equal(error.code, 'USER_CODE_EXCEPTION');
    t.equal(error.message, 'late');
  });

  t.test('an error before ready fails the start; codes a runtime may not claim fall back', async (t) => {
    const session = new RuntimeApiSession();
    session.fail({ code: 'INTERNAL', message: 'forged', stackTrace: 'x' });
    const error = await failure(t, session.whenReady());
    t.equal(error.code, 'USER_CODE_LOAD_ERROR');
    t.equal(error.stackTrace, 'x');
    t.equal(session.state, 'closed');
    t.equal((await failure(t, session.next())).code, 'USER_CODE_LOAD_ERROR');
  });

  t.test('terminate rejects the invocation and the polls; only one invocation at a time', async (t) => {
    const session = new RuntimeApiSession();
    session.ready();
    const result = session.invoke(invocation('c'));
    t.equal((await failure(t, session.invoke(invocation('d')))).code, 'INTERNAL');
    session.terminate(new FnError('USER_PROCESS_EXITED', 'gone'));
    session.terminate(new FnError('INTERNAL', 'second'));
    t.equal((await failure(t, result)).code, 'USER_PROCESS_EXITED', 'the first termination wins');
    t.equal((await failure(t, session.invoke(invocation('e')))).code, 'USER_PROCESS_EXITED');
    t.equal(session.respond('1'), false);
  });
});

t.test('LineSplitter joins chunks into lines and caps partial ones', async (t) => {
  const lines: string[] = [];
  const splitter = new LineSplitter(10);
  splitter.push('ab', (line) => lines.push(line));
  splitter.push('c\nde\n\nf', (line) => lines.push(line));
  t.same(lines, ['abc', 'de', '']);
  t.equal(splitter.flush(), 'f');
  t.equal(splitter.flush(), undefined);
  splitter.push('0123456789xy', (line) => lines.push(line));
  t.same(lines.slice(3), ['0123456789xy'], 'a line over the cap is emitted without its newline');
});

t.test('parseChildMessage accepts only runtime messages', async (t) => {
  t.same(parseChildMessage('{"op":"response","requestId":"r","body":"1"}'), { op: 'response', requestId: 'r', body: '1' });
  t.throws(() => parseChildMessage('{"op":"invoke"}'));
  t.throws(() => parseChildMessage('{"op":"response","body":1}'));
  t.throws(() => parseChildMessage('{"op":"error","error":{}}'));
  t.throws(() => parseChildMessage('not json'));
});

t.test('FunctionProcess: clean environment, private temp folder, output lines', async (t) => {
  process.env.FNGATE_SECRET = 'must-not-leak';
  t.teardown(() => delete process.env.FNGATE_SECRET);
  const child = await FunctionProcess.spawn({
    command: '/bin/sh',
    args: ['-c', 'echo "secret=${FNGATE_SECRET:-unset} own=$OWN home=$HOME tmp=$TMPDIR"; printf "partial"; echo err >&2'],
    env: { OWN: 'mine' },
    label: 'test',
  });
  const lines: string[] = [];
  child.onOutput((line) => lines.push(line));
  const exit = await child.exited;
  t.same(exit, { code: 0, signal: null });
  t.ok(child.tempDir.startsWith(tmpdir()), 'the temp folder is under the system tmpdir');
  t.ok(lines.includes(`secret=unset own=mine home=${child.tempDir} tmp=${child.tempDir}`), lines.join('|'));
  t.ok(lines.includes('partial'), 'a partial last line is delivered at exit');
  t.ok(lines.includes('err'));
  await access(child.tempDir);
  await child.close();
  await child.close();
  await t.rejects(access(child.tempDir), 'close removes the temp folder');
});

t.test('mergeStderr keeps stdout and stderr in order; prlimit sets the data limit', async (t) => {
  const limit = dataRlimitBytes(128);
  const child = await FunctionProcess.spawn({
    command: PYTHON,
    args: ['-s', '-S', '-u', '-c', 'import resource, sys\nfor i in range(50):\n  print("out", i); print("err", i, file=sys.stderr)\nprint(resource.getrlimit(resource.RLIMIT_DATA)[0])'],
    env: {},
    label: 'test',
    mergeStderr: true,
    dataLimitBytes: limit,
  });
  t.teardown(() => child.close());
  const lines: string[] = [];
  child.onOutput((line) => lines.push(line));
  await child.exited;
  const expected = Array.from({ length: 50 }, (_, i) => [`out ${i}`, `err ${i}`]).flat();
  t.same(lines.slice(0, 100), expected);
  t.equal(lines[100], String(limit));
  t.same(wrappedCommand('x', ['a'], {}), ['x', ['a']]);
});

/** A python process running `script`, which prints the pid of a child it started; ended by the test. */
async function withGrandchild(t: Test, script: string): Promise<{ child: FunctionProcess; grandchild: number }> {
  const child = await FunctionProcess.spawn({ command: PYTHON, args: ['-s', '-S', '-c', script], env: {}, label: 'test' });
  t.teardown(() => child.close());
  let grandchild = 0;
  child.onOutput((line) => (grandchild = Number(line)));
  await waitFor(() => grandchild > 0);
  return { child, grandchild };
}

t.test('readTreeRss counts the descendants of a process', async (t) => {
  const { child, grandchild } = await withGrandchild(
    t,
    'import subprocess, sys, time\np = subprocess.Popen([sys.executable, "-S", "-c", "import time; time.sleep(30)"])\nprint(p.pid, flush=True)\ntime.sleep(30)',
  );
  await waitFor(() => readRss(grandchild) > 0);
  const own = readRss(child.pid);
  t.ok(own > 0);
  // Two processes: each counts its proportional share, so the tree is at least the two shares.
  t.ok(readTreeRss(child.pid) >= (readPss(child.pid) + readPss(grandchild)) * 0.9, 'the tree includes the grandchild');
  await child.close();
  t.ok(await waitFor(() => !isRunning(grandchild)), 'close kills the process group');
  t.equal(readTreeRss(child.pid), 0);
});

t.test('readTreeRss finds a child started by a thread (a multi-threaded process lists children per task)', async (t) => {
  const { child, grandchild } = await withGrandchild(
    t,
    'import subprocess, sys, threading, time\n' +
      'def start():\n    p = subprocess.Popen([sys.executable, "-S", "-c", "b = bytearray(64 * 1024 * 1024)\\nfor i in range(0, len(b), 4096): b[i] = 1\\nprint(1, flush=True)\\nimport time; time.sleep(30)"], stdout=subprocess.PIPE)\n    p.stdout.readline()\n    print(p.pid, flush=True)\n    time.sleep(30)\n' +
      'threading.Thread(target=start, daemon=True).start()\ntime.sleep(30)',
  );
  const [task] = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ').filter(Boolean);
  t.equal(task, undefined, 'the main thread has no child: the thread that started it has');
  const tree = readTreeRss(child.pid);
  t.ok(tree > readRss(grandchild) * 0.9 && tree > 60 * 1024 * 1024, `the tree includes the 64 MB child (${(tree / 1048576).toFixed(0)} MB)`);
});

t.test('readTreeRss counts copy-on-write pages a fork shares once', async (t) => {
  const MB = 1024 * 1024;
  const child = await FunctionProcess.spawn({
    command: PYTHON,
    args: ['-s', '-S', '-c', 'import os, time\nb = bytearray(96 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nos.fork()\nprint("forked", flush=True)\ntime.sleep(30)'],
    env: {},
    label: 'test',
  });
  t.teardown(() => child.close());
  let forked = false;
  child.onOutput(() => (forked = true));
  await waitFor(() => forked);
  const [forkChild] = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ').map(Number);
  const summedRss = readRss(child.pid) + readRss(forkChild!);
  t.ok(summedRss > 190 * MB, `summed RSS counts the block twice (${(summedRss / MB).toFixed(0)} MB)`);
  const tree = readTreeRss(child.pid);
  t.ok(tree > 96 * MB && tree < 150 * MB, `the tree counts it once (${(tree / MB).toFixed(0)} MB)`);
});

/**
 * A runtime without the shim, as the custom runtime's bootstrap would be: it starts with the function's
 * environment, says ready, polls with `next`, and answers on fd 3.
 */
const CUSTOM_RUNTIME = `
import json, os, sys
out = os.fdopen(3, 'w')
def send(m):
    out.write(json.dumps(m) + '\\n'); out.flush()
print('booting', flush=True)
if os.environ.get('MODE') == 'crash':
    sys.exit(7)
send({'op': 'ready'})
send({'op': 'ready'})
for line in os.fdopen(4):
    m = json.loads(line)
    send({'op': 'next'})
    if json.loads(m['payload']).get('garbage'):
        out.write('garbage\\n'); out.flush(); continue
    send({'op': 'response', 'requestId': m['requestId'], 'body': json.dumps({'got': m['payload'], 'ctx': m['context']['request_id']})})
`;

function customInstance(mode: string): SubprocessInstance {
  const spec = makeSpec('/tmp', { initTimeoutMs: 5000, environment: { MODE: mode } });
  return new SubprocessInstance({
    spec,
    launch: async () => ({
      process: await FunctionProcess.spawn({ command: PYTHON, args: ['-s', '-S', '-c', CUSTOM_RUNTIME], env: spec.environment, label: 'custom' }),
      environment: spec.environment,
    }),
  });
}

t.test('SubprocessInstance runs a runtime that speaks the protocol without a shim', async (t) => {
  const instance = customInstance('ok');
  t.teardown(() => instance.close());
  const lines: string[] = [];
  instance.log.attach((line) => lines.push(line.text));
  const timings = await instance.start();
  t.equal(timings.pullCodeMs, 0);
  t.ok(timings.initRuntimeMs > 0);
  const result = await instance.invoke({ requestId: 'r1', payload: '{"a":1}', deadline: Date.now() + 1000, signal: new AbortController().signal });
  t.same(JSON.parse(result), { got: '{"a":1}', ctx: 'r1' });
  t.same(lines, ['booting']);
  const error = await failure(t, instance.invoke({ requestId: 'r2', payload: '{"garbage":true}', deadline: Date.now() + 1000, signal: new AbortController().signal }));
  t.equal(error.code, 'INTERNAL', 'a broken protocol fails the invocation');
  t.equal(instance.alive, false);
});

t.test('a process that exits before ready is 443 with its last output', async (t) => {
  const instance = customInstance('crash');
  t.teardown(() => instance.close());
  const error = await failure(t, instance.start());
  t.equal(error.code, 'USER_CODE_LOAD_ERROR');
  t.match(error.message, /exited with code 7 before it was ready:\nbooting/);
  t.equal(instance.alive, false);
});

t.test('a missing interpreter is a platform error', async (t) => {
  const spec = makeSpec('/tmp');
  const instance = new SubprocessInstance({
    spec,
    launch: async () => ({
      process: await FunctionProcess.spawn({ command: '/nonexistent/fngate-interpreter', args: [], env: {}, label: 'missing' }),
      environment: {},
    }),
  });
  t.teardown(() => instance.close());
  const error = await failure(t, instance.start());
  t.equal(error.code, 'INTERNAL');
  t.match(error.message, /could not be started/);
});
