import t from 'tap';
import { REFILL_DELAY_MS, IsolateSpares } from '../../runtimes/node/spares.ts';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits (generously: a loaded machine) until `ready()` reaches `count`. */
async function readyCount(spares: IsolateSpares, limit: number, count: number): Promise<number> {
  const until = Date.now() + 20_000;
  while (spares.ready(limit) < count && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, REFILL_DELAY_MS));
  return spares.ready(limit);
}

t.test('spares are made ahead per memory limit, refilled after a take, disposed on close', async (t) => {
  const spares = new IsolateSpares(2);
  t.teardown(() => spares.close());
  const first = spares.take(64);
  t.equal(first.isolate.isDisposed, false, 'made on demand when no spare is ready');
  first.isolate.dispose();
  await nextTurn();
  t.equal(spares.ready(64), 0, 'no refill right after a take: the cold start that took one runs alone');
  t.equal(await readyCount(spares, 64, 2), 2, 'refilled to two, off the take');
  t.equal(spares.ready(128), 0, 'no spares for a limit nobody asked for');
  const second = spares.take(64);
  const third = spares.take(64);
  t.not(second.isolate, third.isolate);
  t.not(second.link, third.link, 'each spare has its own host link');
  // A spare is set up: the shim's API is there, waiting for its function's configuration.
  t.equal(second.load.typeof, 'function');
  t.equal(second.invoke.typeof, 'function');
  second.isolate.dispose();
  third.isolate.dispose();
  const kept = spares.take(128);
  kept.isolate.dispose();
  t.equal(await readyCount(spares, 128, 1) >= 1, true, 'a second limit gets spares too');
  spares.close();
  t.equal(spares.ready(64), 0, 'close disposes the spares');
  const afterClose = spares.take(64);
  t.equal(afterClose.isolate.isDisposed, false, 'a take after close makes a fresh one');
  afterClose.isolate.dispose();
});
