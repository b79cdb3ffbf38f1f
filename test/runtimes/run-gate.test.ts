// The bound on event invocations running at once (runtimes/run-gate.ts): the gate itself, the invoke
// pipeline's lease through it with an in-test runtime, and I/O-bound handlers in the real gateway.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { FnError } from '../../gateway/errors.ts';
import { newInvocation } from '../../gateway/invoke/invocation.ts';
import { compose } from '../../gateway/invoke/pipeline.ts';
import { execution, instanceLease } from '../../gateway/invoke/wrappers.ts';
import type { DeployedFunction } from '../../gateway/registry.ts';
import { Cancellation } from '../../runtimes/cancellation.ts';
import { InstanceLog } from '../../runtimes/instance-log.ts';
import { InstancePool } from '../../runtimes/pool.ts';
import { MAX_RUNNING_PROCESS_CALLS, PROCESS_CALLS, RunGate } from '../../runtimes/run-gate.ts';
import type { FunctionSpec, InitTimings, Instance, RuntimeAdapter } from '../../runtimes/runtime.ts';
import { startTestGateway } from '../helpers/gateway.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('the gate: places up to its limit, then first come first served; leave is idempotent', async (t) => {
  const gate = new RunGate(2, 60_000);
  const first = gate.tryEnter();
  const second = gate.tryEnter();
  t.ok(first && second, 'two places at once');
  t.equal(gate.tryEnter(), undefined, 'no third');
  const order: string[] = [];
  const a = gate.enter().then((place) => (order.push('a'), place));
  const b = gate.enter().then((place) => (order.push('b'), place));
  await sleep(5);
  t.same(order, [], 'waiters wait');
  gate.leave(first!);
  gate.leave(first!);
  await sleep(0);
  t.same(order, ['a'], 'one leave admits one waiter, the first');
  t.equal(gate.running, 2);
  gate.leave(second!);
  gate.leave(await a);
  gate.leave(await b);
  t.same(order, ['a', 'b']);
  t.equal(gate.running, 0, 'every place given back');
});

t.test('the gate: a waiter whose signal aborts leaves the line with the reason', async (t) => {
  const gate = new RunGate(1, 60_000);
  const held = gate.tryEnter()!;
  const cancellation = new Cancellation();
  const waiting = gate.enter(cancellation);
  const after = gate.enter();
  cancellation.abort(new FnError('CANCELLED', 'gone'));
  await t.rejects(waiting, { code: 'CANCELLED' });
  gate.leave(held);
  const place = await after;
  t.equal(gate.running, 1, 'the next waiter got the place, not the aborted one');
  gate.leave(place);
  t.equal(gate.running, 0);
  const aborted = new Cancellation();
  aborted.abort(new FnError('CANCELLED', 'before'));
  gate.leave(gate.tryEnter()!);
  const blocker = gate.tryEnter()!;
  await t.rejects(gate.enter(aborted), { code: 'CANCELLED' }, 'an already aborted signal is refused at once');
  gate.leave(blocker);
});

t.test('the gate: a place held past holdMs while others wait lets the next one in', async (t) => {
  const gate = new RunGate(1, 30);
  const held = gate.tryEnter()!;
  const startedAt = performance.now();
  const next = await gate.enter();
  const waited = performance.now() - startedAt;
  t.ok(waited >= 25, `waited for the hold (${waited.toFixed(0)} ms)`);
  t.notOk(held.held, 'the long holder gave its place up');
  gate.leave(held);
  t.equal(gate.running, 1, 'a late leave of a given-up place changes nothing');
  gate.leave(next);
  t.equal(gate.running, 0);
});

// The pipeline's lease through the gate, with instances the test controls.
const spec: FunctionSpec = {
  namespace: 'default', name: 'gated', version: '$LATEST', runtime: 'Test1', type: 'event', handler: 'index.main_handler',
  handlerStyle: 'scf', initializer: undefined, codeDir: '/nonexistent', layerDirs: [], memoryMb: 128, timeoutMs: 5000,
  initTimeoutMs: 1000, environment: {}, platform: { region: 'r', appId: 'a', uin: 'u' },
};

class TimedInstance implements Instance {
  static running = 0;
  static mostRunning = 0;
  readonly id: string;
  readonly log = new InstanceLog();
  alive = true;
  constructor(readonly invokeMs: number, readonly created: TimedInstance[]) {
    this.id = `i${created.length + 1}`;
    created.push(this);
  }
  async start(): Promise<InitTimings> {
    return { pullCodeMs: 0, initRuntimeMs: 1, initFunctionMs: 1 };
  }
  async invoke(request: { payload: string }): Promise<string> {
    TimedInstance.running++;
    TimedInstance.mostRunning = Math.max(TimedInstance.mostRunning, TimedInstance.running);
    await sleep(this.invokeMs);
    TimedInstance.running--;
    return JSON.stringify({ event: JSON.parse(request.payload), instance: this.id });
  }
  memoryUsage(): number {
    return 1024;
  }
  async close(): Promise<void> {
    this.alive = false;
  }
}

function gatedFunction(t: { teardown(fn: () => unknown): void }, gate: RunGate, invokeMs: number) {
  TimedInstance.running = 0;
  TimedInstance.mostRunning = 0;
  const created: TimedInstance[] = [];
  const adapter: RuntimeAdapter = { kind: 'test', supports: () => true, createInstance: () => new TimedInstance(invokeMs, created) };
  const pool = new InstancePool({ spec, adapter, maxInstances: 100, perInstanceConcurrency: 1, idleMs: 60_000 });
  t.teardown(() => pool.close());
  const fn = { pool, runGate: gate, config: { name: spec.name, timeoutMs: spec.timeoutMs } } as unknown as DeployedFunction;
  const run = compose([instanceLease], execution);
  const invoke = (n: number, signal?: Cancellation) =>
    run(newInvocation({ requestId: `r${n}`, fn, payload: JSON.stringify({ n }), mode: signal ? 'async' : 'sync', signal })).then((text) => JSON.parse(text) as { event: { n: number }; instance: string });
  return { created, invoke };
}

t.test('invocations beyond the gate wait for a busy instance instead of each taking its own', async (t) => {
  const gate = new RunGate(2, 60_000);
  const { created, invoke } = gatedFunction(t, gate, 15);
  const answers = await Promise.all(Array.from({ length: 12 }, (_, n) => invoke(n)));
  t.same(
    answers.map((answer) => answer.event.n),
    Array.from({ length: 12 }, (_, n) => n),
    'every invocation answered with its own event',
  );
  t.equal(created.length, 2, '12 concurrent invocations served by 2 instances');
  t.equal(TimedInstance.mostRunning, 2, 'never more than the gate\'s limit running');
  t.equal(gate.running, 0, 'every place given back');
});

t.test('calls held past holdMs let the waiting ones start beside them (I/O-bound handlers)', async (t) => {
  const gate = new RunGate(1, 20);
  const { created, invoke } = gatedFunction(t, gate, 400);
  const startedAt = performance.now();
  const answers = await Promise.all(Array.from({ length: 6 }, (_, n) => invoke(n)));
  const elapsed = performance.now() - startedAt;
  t.equal(answers.length, 6);
  t.ok(elapsed < 1200, `6 calls of 400 ms with a limit of 1 took ${elapsed.toFixed(0)} ms, not 2400`);
  t.ok(TimedInstance.mostRunning >= 4, `they ran side by side (${TimedInstance.mostRunning} at most)`);
  t.equal(created.length, TimedInstance.mostRunning, 'one instance per call running at once');
  t.equal(gate.running, 0);
});

t.test('an async invocation cancelled while it waits for a place never takes an instance', async (t) => {
  const gate = new RunGate(1, 60_000);
  const { created, invoke } = gatedFunction(t, gate, 100);
  const running = invoke(0);
  const cancellation = new Cancellation();
  const waiting = invoke(1, cancellation);
  await sleep(10);
  cancellation.abort(new FnError('CANCELLED', 'the invocation was cancelled'));
  await t.rejects(waiting, { code: 'CANCELLED' });
  t.equal((await running).event.n, 0);
  t.equal(created.length, 1, 'only the running call had an instance');
  t.equal(gate.running, 0);
});

t.test('in the real gateway, Node.js handlers waiting on I/O run side by side past the gate', async (t) => {
  // Each handler fetches from this server, which answers none until all of them are waiting on it: with
  // calls held to the gate's limit, it would never see them all, and every call would time out.
  const calls = 12;
  const waiting: ServerResponse[] = [];
  const server = createServer((_request, response) => {
    waiting.push(response);
    if (waiting.length === calls) for (const held of waiting) held.end('open');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const gateUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const gateway = await startTestGateway(t, {
    functions: { gate: { src: fileURLToPath(new URL('../fixtures/node/gate', import.meta.url)), handler: 'index.main_handler', runtime: 'Nodejs18.15', timeout: 20 } },
  });
  const answers = await Promise.all(Array.from({ length: calls }, () => gateway.invoke('gate', { gate: gateUrl })));
  t.same(
    answers.map((answer) => [answer.status, answer.json?.gate]),
    Array(calls).fill([200, 'open']),
    'all answered once all were waiting at once',
  );
});

t.test('in the real gateway, Python handlers that sleep run side by side past the gate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fngate-run-gate-'));
  chmodSync(dir, 0o755); // the sandbox reads it as an unprivileged user
  writeFileSync(join(dir, 'index.py'), 'import time, uuid\n\nINSTANCE = str(uuid.uuid4())\n\ndef main_handler(event, context):\n    time.sleep(1.0)\n    return {"n": event["n"], "instance": INSTANCE}\n');
  const calls = MAX_RUNNING_PROCESS_CALLS * 3;
  const gateway = await startTestGateway(t, {
    functions: { sleepy: { src: dir, handler: 'index.main_handler', runtime: 'Python3.9', timeout: 30, provisionedConcurrency: calls, reservedConcurrency: calls } },
  });
  const pool = gateway.services.registry.lookup('default', 'sleepy').pool;
  for (let waited = 0; pool.info().filter((instance) => instance.state === 'idle').length < calls; waited += 50) {
    if (waited > 120_000) throw new Error('the provisioned instances did not start');
    await sleep(50);
  }
  const startedAt = performance.now();
  const answers = await Promise.all(Array.from({ length: calls }, (_, n) => gateway.invoke('sleepy', { n })));
  const elapsed = performance.now() - startedAt;
  t.same(
    answers.map((answer) => [answer.status, answer.json?.n]),
    Array.from({ length: calls }, (_, n) => [200, n]),
    'every call answered with its own event',
  );
  t.equal(new Set(answers.map((answer) => answer.json?.instance)).size, calls, 'each by an instance of its own');
  // In turns of the gate's limit they would take 3 s.
  t.ok(elapsed < 2500, `${calls} sleeps of 1 s took ${elapsed.toFixed(0)} ms`);
  t.equal(PROCESS_CALLS.running, 0, 'every place given back');
});
