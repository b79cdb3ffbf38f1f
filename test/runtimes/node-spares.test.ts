import t from 'tap';
import { IsolateSpares } from '../../runtimes/node/spares.ts';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

t.test('spares are made ahead per memory limit, refilled after a take, disposed on close', async (t) => {
  const spares = new IsolateSpares(2);
  t.teardown(() => spares.close());
  const first = spares.take(64);
  t.equal(first.isolate.isDisposed, false, 'made on demand when no spare is ready');
  first.isolate.dispose();
  t.equal(spares.ready(64), 0);
  await nextTurn();
  await nextTurn();
  await nextTurn();
  t.equal(spares.ready(64), 2, 'refilled to two, one per turn of the event loop');
  t.equal(spares.ready(128), 0, 'no spares for a limit nobody asked for');
  const second = spares.take(64);
  const third = spares.take(64);
  t.not(second.isolate, third.isolate);
  // A spare is ready to configure: its shim's setup function is there.
  t.equal(typeof second.setup.typeof, 'string');
  t.equal(second.setup.typeof, 'function');
  second.isolate.dispose();
  third.isolate.dispose();
  await nextTurn();
  const kept = spares.take(128);
  kept.isolate.dispose();
  await nextTurn();
  await nextTurn();
  spares.close();
  t.equal(spares.ready(64), 0, 'close disposes the spares');
  const afterClose = spares.take(64);
  t.equal(afterClose.isolate.isDisposed, false, 'a take after close makes a fresh one');
  afterClose.isolate.dispose();
});
