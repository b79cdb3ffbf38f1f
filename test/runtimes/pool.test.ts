// The pool's policies, with a minimal in-test runtime whose instances are controlled by the test.
import t from 'tap';
import { FnError } from '../../gateway/errors.ts';
import { Cancellation } from '../../runtimes/cancellation.ts';
import { InstanceLog } from '../../runtimes/instance-log.ts';
import { InstancePool } from '../../runtimes/pool.ts';
import { StartGate } from '../../runtimes/start-gate.ts';
import type { FunctionSpec, InitTimings, Instance, RuntimeAdapter } from '../../runtimes/runtime.ts';

const spec: FunctionSpec = {
  namespace: 'default', name: 'pooled', version: '$LATEST', runtime: 'Test1', type: 'event', handler: 'index.main_handler',
  handlerStyle: 'scf', initializer: undefined, codeDir: '/nonexistent', layerDirs: [], memoryMb: 128, timeoutMs: 1000,
  initTimeoutMs: 1000, environment: {}, platform: { region: 'r', appId: 'a', uin: 'u' },
};

class TestInstance implements Instance {
  static created: TestInstance[] = [];
  readonly id = `i${TestInstance.created.length + 1}`;
  readonly log = new InstanceLog();
  alive = true;
  closedWith: string | undefined;
  constructor(readonly startDelayMs: number, readonly failStart: boolean) {
    TestInstance.created.push(this);
  }
  /** Starts under way now, and the most there were at once (reset by `pool`). */
  static startingNow = 0;
  static mostStartingAtOnce = 0;
  async start(): Promise<InitTimings> {
    TestInstance.startingNow++;
    TestInstance.mostStartingAtOnce = Math.max(TestInstance.mostStartingAtOnce, TestInstance.startingNow);
    await new Promise((resolve) => setTimeout(resolve, this.startDelayMs));
    TestInstance.startingNow--;
    if (this.failStart) throw new FnError('USER_CODE_LOAD_ERROR', 'cannot load');
    return { pullCodeMs: 0, initRuntimeMs: 1, initFunctionMs: 1 };
  }
  async invoke(): Promise<string> {
    return '"ok"';
  }
  memoryUsage(): number {
    return 1024;
  }
  async close(reason?: string): Promise<void> {
    this.alive = false;
    this.closedWith ??= reason ?? 'closed';
  }
}

function adapter(options: { startDelayMs?: number; failStart?: boolean; startGate?: StartGate } = {}): RuntimeAdapter {
  return {
    kind: 'test',
    supports: () => true,
    createInstance: () => new TestInstance(options.startDelayMs ?? 5, options.failStart ?? false),
    startGate: options.startGate,
  };
}

function pool(t: Tap, options: Partial<ConstructorParameters<typeof InstancePool>[0]> = {}): InstancePool {
  TestInstance.created = [];
  TestInstance.mostStartingAtOnce = 0;
  const created = new InstancePool({ spec, adapter: adapter(), maxInstances: 3, perInstanceConcurrency: 1, idleMs: 60_000, ...options });
  t.teardown(() => created.close());
  return created;
}
type Tap = { teardown(fn: () => unknown): void };

t.test('the first acquire is a cold start; a released instance is reused warm', async (t) => {
  const p = pool(t);
  await p.start();
  const first = await p.acquire();
  t.ok(first.coldStart, 'cold start reported');
  t.equal(first.coldStart!.initRuntimeMs, 1);
  first.release();
  const second = await p.acquire();
  t.equal(second.instance, first.instance, 'same instance');
  t.equal(second.coldStart, undefined, 'warm: no cold start');
  second.release();
  t.equal(p.size, 1);
});

t.test('leaseWarm: a warm idle instance at once, nothing when acquire would have to start, wait or refuse', async (t) => {
  const p = pool(t, { maxInstances: 1 });
  await p.start();
  t.equal(p.leaseWarm(), undefined, 'no instance yet: only acquire starts one');
  t.equal(p.size, 0, 'and leaseWarm started none');
  const first = await p.acquire();
  t.equal(p.leaseWarm(), undefined, 'the only instance is busy');
  first.release();
  const warm = p.leaseWarm();
  t.equal(warm?.instance, first.instance, 'the released instance, leased without waiting');
  t.equal(warm?.coldStart, undefined, 'warm: no cold start');
  t.equal(p.info()[0]?.state, 'busy', 'the lease holds the instance');
  warm!.release();
  void p.retire();
  t.equal(p.leaseWarm(), undefined, 'a retired pool leases nothing warm (acquire says why)');
  await t.rejects(p.acquire(), { code: 'CANCELLED' });
});

t.test('one request per event instance; beyond maxInstances acquire waits for a release', async (t) => {
  const p = pool(t, { maxInstances: 2 });
  await p.start();
  const a = await p.acquire();
  const b = await p.acquire();
  t.not(a.instance, b.instance);
  let third: Awaited<ReturnType<InstancePool['acquire']>> | undefined;
  const waiting = p.acquire().then((lease) => (third = lease));
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(third, undefined, 'still waiting');
  b.release();
  await waiting;
  t.equal(third!.instance, b.instance, 'got the released instance');
  a.release();
  third!.release();
});

t.test('a dead instance is dropped on release and never handed out again', async (t) => {
  const p = pool(t);
  await p.start();
  const lease = await p.acquire();
  (lease.instance as TestInstance).alive = false;
  lease.release();
  t.equal(p.size, 0);
  const next = await p.acquire();
  t.not(next.instance, lease.instance);
  t.ok(next.coldStart);
  next.release();
});

t.test('a failed start rejects the acquire and leaves no slot behind', async (t) => {
  TestInstance.created = [];
  const p = new InstancePool({ spec, adapter: adapter({ failStart: true }), maxInstances: 1, perInstanceConcurrency: 1, idleMs: 60_000 });
  t.teardown(() => p.close());
  await p.start();
  await t.rejects(p.acquire(), { code: 'USER_CODE_LOAD_ERROR' });
  t.equal(p.size, 0);
  t.equal(TestInstance.created[0]!.closedWith, 'broken');
});

t.test('instances idle past idleMs are recycled, provisioned ones kept warm', async (t) => {
  const p = pool(t, { idleMs: 100 });
  await p.start(1);
  t.equal(p.size, 1, 'provisioned instance started at load');
  t.equal(p.info()[0]!.provisioned, true);
  const leases = await Promise.all([p.acquire(), p.acquire()]);
  for (const lease of leases) lease.release();
  t.equal(p.size, 2);
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.equal(p.size, 1, 'the extra instance was recycled, the provisioned count kept');
  t.ok(TestInstance.created.some((instance) => instance.closedWith === 'idle'));
});

t.test('with several requests per instance, concurrent first requests share one starting instance', async (t) => {
  TestInstance.created = [];
  const p = new InstancePool({ spec, adapter: adapter({ startDelayMs: 50 }), maxInstances: 5, perInstanceConcurrency: 4, idleMs: 60_000 });
  t.teardown(() => p.close());
  await p.start();
  const leases = await Promise.all(Array.from({ length: 6 }, () => p.acquire()));
  t.equal(TestInstance.created.length, 2, 'two instances for six requests at four per instance');
  t.equal(leases.filter((lease) => lease.coldStart).length, 2, 'each instance reports its cold start once');
  t.same(p.info().map((info) => info.inFlight).sort(), [2, 4]);
  for (const lease of leases) lease.release();
});

t.test('info reports state, invocations and memory', async (t) => {
  const p = pool(t);
  await p.start();
  const lease = await p.acquire();
  t.match(p.info(), [{ state: 'busy', invocations: 1, inFlight: 1, memoryBytes: 1024 }]);
  lease.release();
  t.match(p.info(), [{ state: 'idle', inFlight: 0 }]);
});

t.test('retire: idle instances end at once, busy ones when released; it resolves when none is left', async (t) => {
  const p = pool(t);
  await p.start();
  const [busy, idle] = await Promise.all([p.acquire(), p.acquire()]);
  idle.release();
  let retired = false;
  const retiring = p.retire().then(() => (retired = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  t.equal((idle.instance as TestInstance).closedWith, 'closed', 'the idle instance ended');
  t.equal((busy.instance as TestInstance).closedWith, undefined, 'the busy one still serves');
  t.equal(retired, false, 'not done while a request runs');
  busy.release();
  await retiring;
  t.equal((busy.instance as TestInstance).closedWith, 'closed', 'the busy one ended once released');
  t.equal(p.size, 0);
});

t.test('retire: requests waiting for room, and requests arriving later, go to the successor', async (t) => {
  const p = pool(t, { maxInstances: 1 });
  await p.start();
  const next = new InstancePool({ spec: { ...spec, version: '2' }, adapter: adapter(), maxInstances: 1, perInstanceConcurrency: 1, idleMs: 60_000 });
  t.teardown(() => next.close());
  await next.start();
  const busy = await p.acquire();
  const waiting = p.acquire();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const retiring = p.retire(next);
  const waited = await waiting;
  t.ok(waited.coldStart, 'the waiting request got an instance of the successor');
  t.not(waited.instance, busy.instance);
  waited.release();
  const late = await p.acquire();
  t.equal(late.instance, waited.instance, 'a later request reuses the successor’s warm instance');
  late.release();
  busy.release();
  await retiring;
  t.equal(p.size, 0);
  t.equal(next.size, 1);
});

t.test('retire without a successor: new requests fail with CANCELLED; close ends a retiring pool', async (t) => {
  const p = pool(t);
  await p.start();
  const busy = await p.acquire();
  const retiring = p.retire();
  await t.rejects(p.acquire(), { code: 'CANCELLED' });
  await p.close();
  await retiring;
  t.equal((busy.instance as TestInstance).closedWith, 'closed');
  busy.release();
});

t.test('retire: a provisioned instance still starting ends once started', async (t) => {
  TestInstance.created = [];
  const p = new InstancePool({ spec, adapter: adapter({ startDelayMs: 30 }), maxInstances: 2, perInstanceConcurrency: 1, idleMs: 60_000 });
  t.teardown(() => p.close());
  const starting = p.start(1);
  await p.retire();
  await starting;
  t.equal(p.size, 0);
  t.equal(TestInstance.created[0]!.closedWith, 'closed');
});

t.test('start gate: a burst starts at most its limit at once, and waiting requests take instances that free up', async (t) => {
  const gate = new StartGate(2);
  const p = pool(t, { adapter: adapter({ startDelayMs: 60, startGate: gate }), maxInstances: 10 });
  await p.start();
  // Six requests at once, each holding its instance for 2 ms.
  const leases = await Promise.all(
    Array.from({ length: 6 }, () =>
      p.acquire().then(async (lease) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        lease.release();
        return lease;
      }),
    ),
  );
  t.equal(TestInstance.mostStartingAtOnce, 2, 'never more than the gate\'s 2 starts at once');
  t.ok(TestInstance.created.length < 6, `${TestInstance.created.length} instances served 6 requests: waiters took instances freed meanwhile`);
  t.equal(leases.filter((lease) => lease.coldStart).length, TestInstance.created.length, 'one cold start per instance started');
  t.equal(gate.running, 0, 'every place given back');
  t.equal(p.size, TestInstance.created.length);
});

t.test('start gate: shared by pools; a failed start gives its place back; a cancelled waiter leaves', async (t) => {
  const gate = new StartGate(1);
  const failing = new InstancePool({ spec, adapter: adapter({ failStart: true, startDelayMs: 30, startGate: gate }), maxInstances: 1, perInstanceConcurrency: 1, idleMs: 60_000 });
  t.teardown(() => failing.close());
  const p = pool(t, { adapter: adapter({ startDelayMs: 5, startGate: gate }) });
  await Promise.all([failing.start(), p.start()]);
  const failed = failing.acquire();
  // The other pool's request waits for the one place, then starts once the failed start has given it back.
  let startedAt = 0;
  const served = p.acquire().then((lease) => {
    startedAt = Date.now();
    return lease;
  });
  await t.rejects(failed, { code: 'USER_CODE_LOAD_ERROR' });
  const failedAt = Date.now();
  const lease = await served;
  t.ok(startedAt >= failedAt, 'the second start waited for the first one\'s place');
  t.equal(TestInstance.mostStartingAtOnce, 1);
  // A request waiting for the place is cancelled: it fails, and the place goes to the next one.
  const hold = p.acquire(); // a second instance of p: takes the place while it starts (5 ms)
  const cancellation = new Cancellation();
  const third = pool(t, { adapter: adapter({ startGate: gate }) });
  await third.start();
  const cancelled = third.acquire(cancellation);
  cancellation.abort(new FnError('CANCELLED', 'gone'));
  await t.rejects(cancelled, { code: 'CANCELLED' });
  (await hold).release();
  lease.release();
  const after = await third.acquire();
  t.ok(after.coldStart, 'the next request still starts an instance');
  after.release();
  t.equal(gate.running, 0);
});

t.test('start gate: provisioned instances start in turns too', async (t) => {
  const gate = new StartGate(2);
  const p = pool(t, { adapter: adapter({ startDelayMs: 20, startGate: gate }), maxInstances: 5 });
  await p.start(5);
  t.equal(p.size, 5);
  t.ok(p.info().every((instance) => instance.state === 'idle'), 'all five up');
  t.equal(TestInstance.mostStartingAtOnce, 2);
  t.equal(gate.running, 0);
});

t.test('start gate: a start still going after the hold time gives its place up, so a slow start holds no one back', async (t) => {
  const gate = new StartGate(1, 40);
  const p = pool(t, { adapter: adapter({ startDelayMs: 300, startGate: gate }), maxInstances: 2 });
  await p.start();
  const sentAt = Date.now();
  const servedAfter: number[] = [];
  const leases = await Promise.all(
    [p.acquire(), p.acquire()].map((acquired) =>
      acquired.then((lease) => {
        servedAfter.push(Date.now() - sentAt);
        return lease;
      }),
    ),
  );
  t.equal(TestInstance.mostStartingAtOnce, 2, 'the second start began while the first was still going');
  t.ok(servedAfter[1]! < 500, `both served by ${servedAfter[1]} ms (one after the other: 600)`);
  t.equal(gate.running, 0, 'no place left held');
  for (const lease of leases) lease.release();
});
