// Retention by size: once the database holds more than logRetentionBytes, the oldest log lines go
// (a share per check) until it is under the cap again; the newest stay and the file stops growing.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DB_FILE_NAME, openStore } from '../../store/index.ts';
import { makeRecord } from './helpers.ts';

const CAP_BYTES = 2 * 1024 * 1024;
const LINE = 'y'.repeat(1000);

t.test('the oldest logs are pruned once the database is over its size cap', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fngate-size-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const store = await openStore({ dataDir, logRetentionBytes: CAP_BYTES, sizeCheckIntervalMs: 20, retentionMs: Number.POSITIVE_INFINITY });
  t.teardown(() => store.close());
  const records = [];
  let peakFile = 0;
  // 40 invocations of 200 KB each: 8 MB written, four times the cap.
  for (let i = 0; i < 40; i++) {
    const record = makeRecord();
    records.push(record);
    store.recordInvocation(record, Array.from({ length: 200 }, (_, n) => ({ requestId: record.requestId, time: record.startedAt + n, line: LINE })));
    await store.flush();
    await new Promise((resolve) => setTimeout(resolve, 30));
    peakFile = Math.max(peakFile, statSync(join(dataDir, DB_FILE_NAME)).size);
  }
  const deadline = Date.now() + 5000;
  while (store.usedBytes() > CAP_BYTES && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.ok(store.usedBytes() <= CAP_BYTES, `in use ${store.usedBytes()} bytes, cap ${CAP_BYTES}`);
  const newest = records.at(-1)!;
  const oldest = records[0]!;
  const logsOf = (requestId: string): number => store.getLogs({ namespace: 'default', functionName: 'hello', requestId, limit: 1000 }).length;
  t.equal(logsOf(newest.requestId), 200, 'the newest invocation keeps its whole log');
  t.equal(logsOf(oldest.requestId), 0, 'the oldest invocation lost its log');
  t.ok(store.getRecord(oldest.requestId), 'records stay: only log lines are pruned by size');
  t.ok(peakFile < 8 * 1024 * 1024 * 0.75, `the file stayed at ${peakFile} bytes, under what was written`);
});
