/**
 * The two hooks SubprocessInstance offers runtimes that do not speak the pipe protocol themselves (Go's
 * net/rpc, the custom runtime's HTTP API): a RuntimeTransport of their own, and a `prepare` step (the
 * Java shim's first compile) that the init timeout does not count.
 */
import t from 'tap';
import { SubprocessInstance, type RuntimeTransport } from '../../runtimes/subprocess/instance.ts';
import { FunctionProcess } from '../../runtimes/subprocess/process.ts';
import type { RuntimeApiSession } from '../../runtimes/subprocess/runtime-api.ts';
import { failure, invoke, isRunning, makeSpec, waitFor } from './subprocess.cases.ts';

/** A transport that answers every invocation with its payload, and records its life. */
class EchoTransport implements RuntimeTransport {
  connected = false;
  closed = 0;

  connect(session: RuntimeApiSession): void {
    this.connected = true;
    session.onInvoke((invocation) => setImmediate(() => session.respond(invocation.payload, invocation.requestId)));
    session.ready({ initFunctionMs: 1 });
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

const sleeper = (): Promise<FunctionProcess> =>
  FunctionProcess.spawn({ command: '/bin/sleep', args: ['30'], env: {}, label: 'transport-test' });

t.test('a transport of its own drives the session; close releases it with the process', async (t) => {
  const transport = new EchoTransport();
  let pid = 0;
  const instance = new SubprocessInstance({
    spec: makeSpec('/tmp'),
    launch: async () => {
      const process = await sleeper();
      pid = process.pid;
      return { process, environment: {}, transport };
    },
  });
  const timings = await instance.start();
  t.equal(timings.initFunctionMs, 1);
  t.ok(transport.connected);
  t.equal(await invoke(instance, { a: 1 }), '{"a":1}');
  await instance.close();
  await instance.close();
  t.equal(transport.closed, 1, 'closed once');
  t.ok(await waitFor(() => !isRunning(pid)), 'the process is gone');
});

t.test('prepare runs before the init timeout starts counting', async (t) => {
  const instance = new SubprocessInstance({
    spec: makeSpec('/tmp', { initTimeoutMs: 200 }),
    prepare: () => new Promise((resolve) => setTimeout(resolve, 400)),
    launch: async () => ({ process: await sleeper(), environment: {}, transport: new EchoTransport() }),
  });
  t.teardown(() => instance.close());
  await instance.start();
  t.equal(instance.alive, true);
});

t.test('a failed prepare fails the start; a close during prepare launches nothing', async (t) => {
  const broken = new SubprocessInstance({
    spec: makeSpec('/tmp'),
    prepare: () => Promise.reject(new Error('javac not found')),
    launch: () => Promise.reject(new Error('never launched')),
  });
  const error = await failure(t, broken.start());
  t.equal(error.code, 'INTERNAL');
  t.equal(error.message, 'javac not found');
  t.equal(broken.alive, false);

  let launched = false;
  const closed = new SubprocessInstance({
    spec: makeSpec('/tmp'),
    prepare: () => new Promise((resolve) => setTimeout(resolve, 100)),
    launch: async () => {
      launched = true;
      return { process: await sleeper(), environment: {} };
    },
  });
  const starting = closed.start();
  await closed.close();
  t.equal((await failure(t, starting)).code, 'CANCELLED');
  t.equal(launched, false);
});

t.test('a transport handed over while the instance was closing is closed too', async (t) => {
  const transport = new EchoTransport();
  const instance: SubprocessInstance = new SubprocessInstance({
    spec: makeSpec('/tmp'),
    launch: async () => {
      const process = await sleeper();
      void instance.close();
      return { process, environment: {}, transport };
    },
  });
  t.equal((await failure(t, instance.start())).code, 'CANCELLED');
  t.equal(transport.closed, 1);
  t.equal(transport.connected, false);
});
