import type { t as tapRoot } from 'tap';
import type { InvocationRecord, StoredLogLine, StoreLogger } from '../../store/index.ts';

/** The root tap object, as shared suites receive it. */
export type Tap = typeof tapRoot;
/** A subtest's `t` (with the fixture plugin's `testdir`). */
export type TestContext = Parameters<Parameters<Tap['test']>[0]>[0];

let sequence = 0;

/** A finished invocation; every call gets a fresh request ID unless one is given. */
export function makeRecord(overrides: Partial<InvocationRecord> = {}): InvocationRecord {
  sequence++;
  return {
    requestId: `req-${process.pid}-${sequence}`,
    namespace: 'default',
    functionName: 'hello',
    version: '$LATEST',
    mode: 'sync',
    startedAt: Date.now(),
    durationMs: 1.25,
    billedDurationMs: 2,
    memoryMb: 128,
    memUsageBytes: 12_345_678,
    statusCode: 200,
    errorMessage: undefined,
    coldStart: undefined,
    ...overrides,
  };
}

/** SPEC §6 framing around `userLines` printed lines, one ms apart from the start of the invocation. */
export function framedLines(record: InvocationRecord, userLines = 1): StoredLogLine[] {
  const id = record.requestId;
  const texts = [`START RequestId: ${id}`];
  for (let i = 0; i < userLines; i++) texts.push(`${new Date(record.startedAt).toISOString()} ${id} line ${i}`);
  texts.push(`END RequestId: ${id}`);
  texts.push(`Report RequestId: ${id} Duration:${record.durationMs}ms Memory:${record.memoryMb}MB MemUsage:1MB`);
  return texts.map((line, i) => ({ requestId: id, time: record.startedAt + i, line }));
}

/** A logger that keeps what it was told, for asserting on warnings. */
export class RecordingLogger implements StoreLogger {
  warnings: Array<{ obj: object; msg: string | undefined }> = [];
  errors: Array<{ obj: object; msg: string | undefined }> = [];

  warn(obj: object, msg?: string): void {
    this.warnings.push({ obj, msg });
  }

  error(obj: object, msg?: string): void {
    this.errors.push({ obj, msg });
  }
}
