/**
 * CPU of the recording path alone, by thread, for A/B runs of two checkouts: the checkout's own SqliteStore
 * in this process, `recordInvocation` of N records shaped like the warm hello's (time-ordered request IDs,
 * a frame, no cold start), `batch` of them then a flush, as the 20 ms batch window gathers them under load
 * (≈120 at 6,000 req/s). Prints the main thread's and the other threads' (the writer thread first) CPU
 * per record, from /proc, and the time spent inside `recordInvocation` itself. No HTTP and no isolates:
 * load disturbs it far less than the server's figures.
 * Alternate the checkouts, take medians.
 *
 *   node --import tsx bench/profile/record-cpu.ts <checkout> [records=60000] [batch=120] [log lines per record=0]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [checkout, recordsText = '60000', batchText = '120', linesText = '0'] = process.argv.slice(2);
if (!checkout) throw new Error('usage: record-cpu.ts <checkout> [records] [batch] [log lines per record]');
const RECORDS = Number(recordsText);
const BATCH = Number(batchText);
const LINES = Number(linesText);
const WARM_UP = 5000;
const US_PER_TICK = 1e6 / 100;

const { openStore } = (await import(join(checkout, 'store/sqlite-store.ts'))) as typeof import('../../store/sqlite-store.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'record-cpu-'));
const store = await openStore({ dataDir, logger: { warn: console.warn, error: console.error } });
store.warm();

/** CPU ticks of each thread of this process. */
function ticks(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, Number(fields[11]) + Number(fields[12]));
  }
  return out;
}

let sequence = 0;
/** Time-ordered like gateway/request-id.ts (48 bits of time first), unique within the run. */
function requestId(): string {
  const time = (Date.now() * 1000 + (sequence++ % 1000)).toString(16).padStart(12, '0').slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

let insideRecord = 0;
async function record(count: number): Promise<void> {
  for (let done = 0; done < count; done += BATCH) {
    const now = Date.now();
    const records = Array.from({ length: BATCH }, () => ({
      requestId: requestId(), namespace: 'default', functionName: 'hello', version: '$LATEST', mode: 'sync' as const,
      startedAt: now, durationMs: 0.5 + Math.random(), billedDurationMs: 1, memoryMb: 128, memUsageBytes: 9_437_184 + sequence,
      statusCode: 200, errorMessage: undefined, coldStart: undefined, frame: { startedAt: now, endedAt: now + 1 },
    }));
    const lines = records.map((one) => Array.from({ length: LINES }, (_, n) => ({ requestId: one.requestId, time: now, line: `${new Date(now).toISOString()} ${one.requestId} log line ${n}` })));
    const started = performance.now();
    for (const [i, one] of records.entries()) store.recordInvocation(one, lines[i]!);
    insideRecord += performance.now() - started;
    // A turn of the event loop, then the batch goes, as the flush interval would send it.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await store.flush();
  }
}

await record(WARM_UP);
insideRecord = 0;
const before = ticks();
await record(RECORDS);
const after = ticks();
const perRecord = (tid: string): number => (((after.get(tid) ?? 0) - (before.get(tid) ?? 0)) * US_PER_TICK) / RECORDS;
const main = String(process.pid);
const others = [...after.keys()].filter((tid) => tid !== main).map(perRecord).filter((us) => us > 0).sort((a, b) => b - a);
console.log(
  `${checkout}: ${RECORDS} records (${LINES} log lines each), batches of ${BATCH}; CPU µs per record: main thread ${perRecord(main).toFixed(2)} ` +
    `(inside recordInvocation ${((insideRecord * 1000) / RECORDS).toFixed(2)}), other threads ${others.map((us) => us.toFixed(2)).join(' ')}; ` +
    `load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
await store.close();
rmSync(dataDir, { recursive: true, force: true });
