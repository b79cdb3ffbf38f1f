/**
 * The async dispatcher's own cost per executed event, without a runtime: a real store (its writer thread)
 * and a dispatcher whose executor succeeds at once, draining events another process left queued (the
 * restart case). Prints CPU µs per event of the main thread and of the other threads (the writer), from
 * /proc/self/task/<tid>/stat, over the drain (the start's load of the queue is reported apart, as
 * startMainUs). For A/B runs of two checkouts: alternate them, take medians (bench/results/async-exec2.md).
 *
 *   cd <checkout> && node --import tsx <this file> <checkout> [events=60000]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [repo, eventsText = '60000'] = process.argv.slice(2);
const N = Number(eventsText);
const { openStore } = await import(join(repo!, 'store/index.ts'));
const { AsyncDispatcher } = await import(join(repo!, 'gateway/async/dispatcher.ts'));

const dataDir = mkdtempSync(join(tmpdir(), 'async-dispatch-'));
{
  const store = await openStore({ dataDir });
  const now = Date.now();
  await store.queue.insert(Array.from({ length: N }, (_, i) => ({
    requestId: `0190${String(i).padStart(8, '0')}-0000-7000-8000-000000000000`, namespace: 'default', functionName: 'noop',
    qualifier: '$LATEST', source: 'invoke', payload: '{"name":"bench"}', enqueuedAt: now,
  })));
  await store.close();
}

function ticks(): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const t = Number(fields[11]) + Number(fields[12]);
    if (tid === String(process.pid)) main += t;
    else other += t;
  }
  return { main, other };
}

const store = await openStore({ dataDir });
const LIMIT = 64;
let inFlight = 0;
let done = 0;
const target = { retryNum: 2, maxEventAgeMs: 6 * 3600_000, maxPendingEvents: 1e9, leaseMs: 30_000, hasCapacity: () => inFlight < LIMIT };
const executor = {
  resolve: () => target,
  globalAvailable: () => 1000 - inFlight,
  run: () => {
    inFlight++;
    // Settles on a later turn, as an isolate's answer does.
    return new Promise((resolve) => setImmediate(() => {
      inFlight--;
      done++;
      resolve({ statusCode: 200, result: '{"ok":true}', durationMs: 0.5 });
    }));
  },
};
const dispatcher = new AsyncDispatcher({ store: store.queue, executor });
const loading = ticks();
dispatcher.start();
// The window starts once the queue is loaded (a start's one-off cost, reported apart).
const before = ticks();
const started = performance.now();
while (done < N) await new Promise((resolve) => setTimeout(resolve, 20));
await store.queue.flush();
const after = ticks();
const wall = performance.now() - started;
await dispatcher.close();
await store.close();
rmSync(dataDir, { recursive: true, force: true });
const per = (t: number): number => +((t * 1e4) / N).toFixed(2);
console.log(JSON.stringify({ events: N, perSecond: Math.round(N / (wall / 1000)), mainUs: per(after.main - before.main), otherUs: per(after.other - before.other), startMainUs: per(before.main - loading.main) }));
