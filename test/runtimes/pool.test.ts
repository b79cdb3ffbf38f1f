// The pool's policies, with a minimal in-test runtime whose instances are controlled by the test.
import t from 'tap';
import { FnError } from '../../gateway/errors.ts';
import { InstanceLog } from '../../runtimes/instance-log.ts';
import { InstancePool } from '../../runtimes/pool.ts';
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
  async start(): Promise<InitTimings> {
    await new Promise((resolve) => setTimeout(resolve, this.startDelayMs));
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

function adapter(options: { startDelayMs?: number; failStart?: boolean } = {}): RuntimeAdapter {
  return {
    kind: 'test',
    supports: () => true,
    createInstance: () => new TestInstance(options.startDelayMs ?? 5, options.failStart ?? false),
  };
}

function pool(t: Tap, options: Partial<ConstructorParameters<typeof InstancePool>[0]> = {}): InstancePool {
  TestInstance.created = [];
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
