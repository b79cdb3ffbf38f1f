/**
 * What every Store must do, written against the interface only. A backend's test file calls
 * `runStoreCases(t, makeStore)`; `makeStore` opens a fresh, empty store in the given directory.
 */
import type { Store } from '../../store/index.ts';
import type { StoredLogLine } from '../../store/types.ts';
import { endLine, initReportLine, reportLine, startLine } from '../../store/framed-log.ts';
import { framedLines, makeRecord, type Tap } from './helpers.ts';
import { testDir } from '../helpers/testdir.ts';

export function runStoreCases(tap: Tap, makeStore: (dataDir: string) => Promise<Store>): void {
  tap.test('store: records round-trip, with and without cold-start phases', async (t) => {
    const store = await makeStore(testDir(t));
    t.teardown(() => store.close());
    const warm = makeRecord({ durationMs: 3.5, billedDurationMs: 4 });
    const cold = makeRecord({
      mode: 'async',
      statusCode: 430,
      errorMessage: 'TypeError: boom',
      coldStart: { coldStartMs: 120.5, pullCodeMs: 10, initRuntimeMs: 60, initFunctionMs: 50.5 },
    });
    store.recordInvocation(warm, framedLines(warm));
    store.recordInvocation(cold, []);
    await store.flush();
    t.same(store.getRecord(warm.requestId), warm);
    t.same(store.getRecord(cold.requestId), cold);
    t.equal(store.getRecord(warm.requestId)!.coldStart, undefined, 'warm start reads back as undefined');
    t.equal(store.getRecord('no-such-request'), undefined);
  });

  tap.test('store: listRecords is per function, newest first, limited', async (t) => {
    const store = await makeStore(testDir(t));
    t.teardown(() => store.close());
    const base = Date.now();
    const mine = [0, 1, 2, 3].map((i) => makeRecord({ startedAt: base + i }));
    const otherFunction = makeRecord({ functionName: 'other', startedAt: base + 10 });
    const otherNamespace = makeRecord({ namespace: 'ns2', startedAt: base + 11 });
    for (const record of [...mine, otherFunction, otherNamespace]) store.recordInvocation(record, []);
    await store.flush();
    const listed = store.listRecords({ namespace: 'default', functionName: 'hello', limit: 3 });
    t.same(
      listed.map((record) => record.requestId),
      [mine[3]!, mine[2]!, mine[1]!].map((record) => record.requestId),
    );
    t.same(store.listRecords({ namespace: 'default', functionName: 'hello', limit: 0 }), []);
    t.same(store.listRecords({ namespace: 'ns2', functionName: 'hello', limit: 10 }), [otherNamespace]);
  });

  tap.test('store: logs by function keep the newest lines, returned oldest first', async (t) => {
    const store = await makeStore(testDir(t));
    t.teardown(() => store.close());
    const base = Date.now();
    const first = makeRecord({ startedAt: base });
    const second = makeRecord({ startedAt: base + 100 });
    const elsewhere = makeRecord({ functionName: 'other', startedAt: base + 200 });
    const firstLines = framedLines(first, 2);
    const secondLines = framedLines(second, 2);
    store.recordInvocation(first, firstLines);
    store.recordInvocation(second, secondLines);
    store.recordInvocation(elsewhere, framedLines(elsewhere));
    await store.flush();

    const all = store.getLogs({ namespace: 'default', functionName: 'hello', limit: 100 });
    t.same(all, [...firstLines, ...secondLines], 'every line of the function, oldest first');
    const lastThree = store.getLogs({ namespace: 'default', functionName: 'hello', limit: 3 });
    t.same(lastThree, secondLines.slice(-3), 'the limit cuts the oldest lines');
    t.same(store.getLogs({ namespace: 'default', functionName: 'hello', limit: 0 }), []);
  });

  tap.test('store: logs by request ID', async (t) => {
    const store = await makeStore(testDir(t));
    t.teardown(() => store.close());
    const one = makeRecord();
    const two = makeRecord();
    const oneLines = framedLines(one, 3);
    store.recordInvocation(one, oneLines);
    store.recordInvocation(two, framedLines(two, 3));
    await store.flush();
    const query = { namespace: 'default', functionName: 'hello', requestId: one.requestId };
    t.same(store.getLogs({ ...query, limit: 100 }), oneLines);
    t.same(store.getLogs({ ...query, limit: 2 }), oneLines.slice(-2));
    t.same(store.getLogs({ ...query, functionName: 'other', limit: 100 }), [], 'scoped to the function');
  });

  tap.test('store: lines with the same timestamp keep their printed order', async (t) => {
    const store = await makeStore(testDir(t));
    t.teardown(() => store.close());
    const record = makeRecord();
    const lines = ['a', 'b', 'c', 'd'].map((line) => ({ requestId: record.requestId, time: record.startedAt, line }));
    store.recordInvocation(record, lines);
    await store.flush();
    t.same(store.getLogs({ namespace: 'default', functionName: 'hello', limit: 10 }), lines);
    t.same(store.getLogs({ namespace: 'default', functionName: 'hello', limit: 2 }), lines.slice(2));
  });

  tap.test('store: prune removes old records and lines only', async (t) => {
    const store = await makeStore(testDir(t));
    t.teardown(() => store.close());
    const cutoff = Date.now();
    const old = makeRecord({ startedAt: cutoff - 60_000 });
    const fresh = makeRecord({ startedAt: cutoff });
    store.recordInvocation(old, framedLines(old));
    store.recordInvocation(fresh, framedLines(fresh));
    await store.flush();
    const removed = store.prune(cutoff);
    t.equal(removed, 1 + framedLines(old).length);
    t.equal(store.getRecord(old.requestId), undefined);
    t.same(store.getRecord(fresh.requestId), fresh);
    t.same(store.getLogs({ namespace: 'default', functionName: 'hello', limit: 100 }), framedLines(fresh));
    t.equal(store.prune(cutoff), 0, 'nothing left to prune');
  });

  tap.test('store: prune removes the old records and lines of every function of every namespace', async (t) => {
    const store = await makeStore(testDir(t));
    t.teardown(() => store.close());
    const cutoff = Date.now();
    const functions = [['default', 'hello'], ['default', ''], ['', 'a'], ['ns', 'a'], ['ns', 'b'], ['ns2', 'hello']] as const;
    const kept: ReturnType<typeof makeRecord>[] = [];
    let oldRows = 0;
    for (const [namespace, functionName] of functions) {
      for (const age of [120_000, 60_000, 10, 0, -5]) {
        const record = makeRecord({ namespace, functionName, startedAt: cutoff - age });
        store.recordInvocation(record, framedLines(record));
        if (age > 0) oldRows += 1 + framedLines(record).length;
        else kept.push(record);
      }
    }
    await store.flush();
    t.equal(store.prune(cutoff), oldRows);
    for (const [namespace, functionName] of functions) {
      const records = store.listRecords({ namespace, functionName, limit: 100 });
      t.same(records.map((record) => record.startedAt).sort(), [cutoff, cutoff + 5], `${namespace}/${functionName}: the records from the cutoff on`);
      t.equal(store.getLogs({ namespace, functionName, limit: 100 }).length, 2 * framedLines(kept[0]!).length, `${namespace}/${functionName}: their lines`);
    }
    t.equal(store.prune(cutoff), 0, 'nothing left to prune');
  });

  tap.test('store: flush with nothing queued resolves; close is idempotent and keeps what was queued', async (t) => {
    const dataDir = testDir(t);
    const store = await makeStore(dataDir);
    await store.flush();
    const record = makeRecord();
    store.recordInvocation(record, framedLines(record));
    // Closed concurrently and again: no close may drop the queued record or fail on a closed database.
    await Promise.all([store.close(), store.close()]);
    await store.close();
    const reopened = await makeStore(dataDir);
    t.teardown(() => reopened.close());
    t.same(reopened.getRecord(record.requestId), record, 'the record queued before close was written');
    t.same(reopened.getLogs({ namespace: 'default', functionName: record.functionName, limit: 100 }), framedLines(record));
  });
}

/**
 * A sync invocation's frame is rendered from its record at read time (store/framed-log.ts); the log a
 * reader gets must be the one the same invocation framed as lines would have stored.
 */
export function runFramedLogCases(tap: Tap, makeStore: (dataDir: string) => Promise<Store>): void {
  tap.test('store: frames rendered from records read back as the framed lines, interleaved in time order', async (t) => {
    const { InvocationLogFrame } = await import('../../gateway/invoke/log-frame.ts');
    const store = await makeStore(testDir(t));
    t.teardown(() => store.close());
    const base = Date.now();
    const asLines: Array<ReturnType<typeof store.getLogs>> = [];
    const cold = { coldStartMs: 12.5, pullCodeMs: 0, initRuntimeMs: 2.25, initFunctionMs: 10.25 };
    for (const [i, coldStart] of [undefined, cold, undefined].entries()) {
      const record = makeRecord({ startedAt: base + i * 10, coldStart, durationMs: 1.5 + i });
      const report = { durationMs: record.durationMs, memoryMb: record.memoryMb, memUsageBytes: record.memUsageBytes, coldStart };
      const rendered = new InvocationLogFrame(record.requestId);
      rendered.start();
      const said = Date.now();
      rendered.user({ time: said, text: `hello ${i}` });
      rendered.user({ time: said, text: `bye ${i}` });
      rendered.end(report);
      // What the frame prints (SPEC §6), from framed-log.ts's line makers.
      const { startedAt, endedAt } = rendered.frame!;
      const line = (time: number, text: string): StoredLogLine => ({ requestId: record.requestId, time, line: text });
      const stored = {
        lines: [
          line(startedAt, startLine(record.requestId)),
          ...rendered.lines,
          line(endedAt, endLine(record.requestId)),
          line(endedAt, reportLine(record.requestId, report)),
          ...(coldStart ? [line(endedAt, initReportLine('Init Report', record.requestId, coldStart))] : []),
        ],
      };
      t.ok(rendered.frame, 'a sync frame has its times');
      t.equal(rendered.lines.length, 2, 'only the user lines are rows');
      store.recordInvocation({ ...record, frame: rendered.frame }, rendered.lines);
      asLines.push(stored.lines);
      // One invocation of another function in between must not show up.
      store.recordInvocation({ ...makeRecord({ functionName: 'other' }), frame: rendered.frame }, []);
    }
    await store.flush();
    // The two frames were made a moment apart: compare the lines; times only for their order.
    const texts = (lines: ReturnType<typeof store.getLogs>): string[] => lines.map(({ line }) => line);
    const all = asLines.flat();
    const whole = store.getLogs({ namespace: 'default', functionName: 'hello', limit: 100 });
    t.same(texts(whole), texts(all), 'the whole log, in order');
    t.ok(whole.every((line, i) => i === 0 || line.time >= whole[i - 1]!.time), 'times never go back');
    t.same(texts(store.getLogs({ namespace: 'default', functionName: 'hello', limit: 5 })), texts(all.slice(-5)), 'the last lines');
    const second = asLines[1]!;
    t.same(texts(store.getLogs({ namespace: 'default', functionName: 'hello', requestId: second[0]!.requestId, limit: 100 })), texts(second), 'one request, Init Report included');
    t.match(second.at(-1)!.line, /^Init Report RequestId: /);
  });

  tap.test('store: an async retry replaces the record and keeps the replaced attempt\'s frame as its lines', async (t) => {
    const store = await makeStore(testDir(t));
    t.teardown(() => store.close());
    const requestId = makeRecord().requestId;
    const base = Date.now();
    // Durations and sizes whose two decimals sit on a rounding edge: the trigger's printf must print what toFixed does.
    const attempts = [
      { durationMs: 1.005, memUsageBytes: 1_053_818, coldStart: { coldStartMs: 2.675, pullCodeMs: 0.125, initRuntimeMs: 1.115, initFunctionMs: 8.345 } },
      { durationMs: 12.345, memUsageBytes: 123_456_789, coldStart: undefined },
      { durationMs: 0.5, memUsageBytes: 7_340_032, coldStart: undefined },
    ];
    const expected: StoredLogLine[] = [];
    for (const [i, attempt] of attempts.entries()) {
      // Each attempt's lines share one millisecond (a warm call), as START and the user's first line do.
      const at = base + i * 1000;
      const record = makeRecord({ requestId, mode: 'async', startedAt: at, statusCode: i < 2 ? 500 : 200, ...attempt, frame: { startedAt: at, endedAt: at } });
      const user: StoredLogLine = { requestId, time: at, line: `${new Date(at).toISOString()} ${requestId} attempt ${i + 1}` };
      store.recordInvocation(record, [user]);
      await store.flush();
      const line = (text: string): StoredLogLine => ({ requestId, time: at, line: text });
      expected.push(line(startLine(requestId)), user, line(endLine(requestId)), line(reportLine(requestId, record)));
      if (record.coldStart) expected.push(line(initReportLine('Init Report', requestId, record.coldStart)));
    }
    t.same(store.getLogs({ namespace: 'default', functionName: 'hello', requestId, limit: 100 }), expected, 'every attempt framed, in order');
    t.same(store.getLogs({ namespace: 'default', functionName: 'hello', limit: 100 }), expected, 'the function\'s log too');
    t.match(store.getRecord(requestId), { statusCode: 200, durationMs: 0.5 }, 'the record is the last attempt');
    // The same attempts queued together (one batch): each attempt's frame is kept before the next replaces it.
    const together = makeRecord().requestId;
    for (const [i, attempt] of attempts.entries()) {
      const at = base + i * 1000;
      const record = makeRecord({ requestId: together, mode: 'async', startedAt: at, statusCode: i < 2 ? 500 : 200, ...attempt, frame: { startedAt: at, endedAt: at } });
      store.recordInvocation(record, [{ requestId: together, time: at, line: `${new Date(at).toISOString()} ${together} attempt ${i + 1}` }]);
    }
    await store.flush();
    const rename = (lines: StoredLogLine[]): StoredLogLine[] => lines.map((line) => ({ ...line, requestId: together, line: line.line.replaceAll(requestId, together) }));
    t.same(store.getLogs({ namespace: 'default', functionName: 'hello', requestId: together, limit: 100 }), rename(expected), 'queued together: the same log');
    // A sync record is never replaced and stores no frame lines.
    const sync = makeRecord({ frame: { startedAt: base, endedAt: base } });
    store.recordInvocation(sync, []);
    await store.flush();
    t.equal(store.getLogs({ namespace: 'default', functionName: 'hello', requestId: sync.requestId, limit: 100 }).length, 3, 'START, END, Report rendered');
  });
}
