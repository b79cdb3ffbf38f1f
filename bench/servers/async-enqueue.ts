/**
 * Row g of the `async` benchmark: the durable accept path without HTTP. `concurrency` callers each
 * loop `AsyncDispatcher.enqueue` of one event (committed before it resolves, group commit) into a function that never runs,
 * for `durationS` seconds; the figures go to `outFile` as JSON.
 *
 *   node --import tsx bench/servers/async-enqueue.ts <outFile> <dataDir> <durationS> <concurrency>
 */
import { writeFileSync } from 'node:fs';
import { AsyncDispatcher, type AsyncExecutor } from '../../gateway/async/dispatcher.ts';
import { openStore } from '../../store/index.ts';

const [outFile, dataDir, durationText, concurrencyText] = process.argv.slice(2);
if (!outFile || !dataDir) throw new Error('usage: async-enqueue.ts <outFile> <dataDir> <durationS> <concurrency>');
const durationMs = Number(durationText ?? 5) * 1000;
const concurrency = Number(concurrencyText ?? 200);

// A function with no capacity: events are accepted and stay queued, as with reservedConcurrency 0.
const executor: AsyncExecutor = {
  resolve: () => ({ retryNum: 2, maxEventAgeMs: 21_600_000, maxPendingEvents: Number.MAX_SAFE_INTEGER, leaseMs: 16_000, hasCapacity: () => false }),
  globalAvailable: () => 0,
  run: () => Promise.reject(new Error('never runs')),
};

const store = await openStore({ dataDir, retentionMs: Number.POSITIVE_INFINITY });
const dispatcher = new AsyncDispatcher({ store: store.queue, executor });
dispatcher.start();
const payload = JSON.stringify({ name: 'bench' });
const latencies: number[] = [];
let sequence = 0;
const started = performance.now();
const end = started + durationMs;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const requestId = `bench-${sequence++}`;
      const t0 = performance.now();
      await dispatcher.enqueue([{ requestId, namespace: 'default', functionName: 'sink', qualifier: '$LATEST', source: 'invoke', payload }]);
      latencies.push(performance.now() - t0);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
await dispatcher.close();
await store.close();
latencies.sort((a, b) => a - b);
const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? Number.NaN;
writeFileSync(outFile, JSON.stringify({ accepted: latencies.length, seconds, perS: latencies.length / seconds, p50Ms: at(50), p99Ms: at(99) }));
