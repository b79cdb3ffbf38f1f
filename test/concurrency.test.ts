import t from 'tap';
import { ConcurrencyLimiter } from '../gateway/concurrency.ts';

t.test('tryAcquire takes slots up to the limit, then refuses', async (t) => {
  const limiter = new ConcurrencyLimiter(2);
  t.equal(limiter.tryAcquire(), true);
  t.equal(limiter.tryAcquire(), true);
  t.equal(limiter.tryAcquire(), false);
  limiter.release();
  t.equal(limiter.tryAcquire(), true);
  t.equal(limiter.inFlight, 2);
});

t.test('acquire waits first-in first-out and honours abort', async (t) => {
  const limiter = new ConcurrencyLimiter(1);
  await limiter.acquire();
  const order: number[] = [];
  const first = limiter.acquire().then(() => order.push(1));
  const controller = new AbortController();
  const aborted = limiter.acquire(controller.signal);
  const third = limiter.acquire().then(() => order.push(3));
  controller.abort(new Error('gone'));
  await t.rejects(aborted, { message: 'gone' });
  limiter.release();
  await first;
  limiter.release();
  await third;
  t.same(order, [1, 3]);
  t.equal(limiter.tryAcquire(), false, 'no slot left while the third holds it');
});
