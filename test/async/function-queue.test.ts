/** A function's FIFO of runnable events: what the expiry sweep finds, and that it skips young queues without a walk. */
import t from 'tap';
import { FunctionQueue, newState, type EventRef } from '../../gateway/async/function-queue.ts';

function refOf(queue: FunctionQueue, requestId: string, queuedAt: number): EventRef {
  return { state: newState(requestId, queuedAt), queue, where: 'gone', controller: undefined, terminating: false, shuttingDown: false, settled: undefined, payload: undefined };
}

t.test('readyQueuedBy finds the ready events queued by the cutoff, also one pushed older than the rest', async (t) => {
  const queue = new FunctionQueue('default', 'fn', '$LATEST');
  const a = refOf(queue, 'a', 100);
  const b = refOf(queue, 'b', 200);
  queue.pushReady(a);
  queue.pushReady(b);
  t.same(queue.readyQueuedBy(99), [], 'none that old');
  t.same(queue.readyQueuedBy(100), [a]);
  a.where = 'gone'; // expired by the caller
  t.same(queue.readyQueuedBy(150), [], 'a left; b is younger');
  // A retry comes back with the time it was first queued: older than b.
  const c = refOf(queue, 'c', 120);
  queue.pushReady(c);
  t.same(queue.readyQueuedBy(150), [c], 'an older event pushed after a walk is still found');
  t.same(queue.readyQueuedBy(250), [b, c], 'in FIFO order');
  queue.take(); // b runs
  b.where = 'running';
  t.same(queue.readyQueuedBy(250), [c], 'a running event is not swept');
});

t.test('a walk happens only when an event may be old enough', async (t) => {
  const queue = new FunctionQueue('default', 'fn', '$LATEST');
  const refs = Array.from({ length: 5 }, (_, i) => refOf(queue, `r${i}`, 1_000 + i));
  for (const ref of refs) queue.pushReady(ref);
  let reads = 0;
  // Count the reads of `where` made by a sweep.
  for (const ref of refs) {
    let where = ref.where;
    Object.defineProperty(ref, 'where', { get: () => (reads++, where), set: (value) => (where = value) });
  }
  t.same(queue.readyQueuedBy(999), []);
  t.equal(reads, 0, 'younger than the cutoff: the FIFO is not walked');
  t.same(queue.readyQueuedBy(1_001), [refs[0], refs[1]]);
  t.ok(reads >= 5, 'a cutoff past the oldest walks it');
});
