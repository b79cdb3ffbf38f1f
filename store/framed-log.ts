/**
 * SPEC §6 frame lines of an invocation's log (START, END, Report, Init Report), and the log as a reader
 * sees it. A sync invocation's frame is not stored as lines: its record holds everything they say (the
 * frame's times, duration, memory, cold-start phases), so the lines are rendered from it when the log is
 * read. That makes recording a warm call one row instead of four or more (each row is a table insert plus
 * two or three index inserts on the writer thread, which shares the server's CPU with the invocations).
 */
import type { ColdStartPhases, InvocationRecord, StoredLogLine } from './types.ts';

const ms = (value: number): string => value.toFixed(2);
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2);

export const startLine = (requestId: string): string => `START RequestId: ${requestId}`;
export const endLine = (requestId: string): string => `END RequestId: ${requestId}`;

export function reportLine(requestId: string, report: { durationMs: number; memoryMb: number; memUsageBytes: number }): string {
  return `Report RequestId: ${requestId} Duration:${ms(report.durationMs)}ms Memory:${report.memoryMb}MB MemUsage:${mb(report.memUsageBytes)}MB`;
}

/** `Init Report` (cold start of a request) and `Provisioned Report` (a provisioned instance) share this shape. */
export function initReportLine(kind: 'Init Report' | 'Provisioned Report', requestId: string, phases: ColdStartPhases): string {
  return `${kind} RequestId: ${requestId} Coldstart:${ms(phases.coldStartMs)}ms PullCode:${ms(phases.pullCodeMs)}ms InitRuntime:${ms(phases.initRuntimeMs)}ms InitFunction:${ms(phases.initFunctionMs)}ms`;
}

/** Where a line sorts among lines of the same millisecond: START before the user's lines, END after. */
const enum Rank {
  Start = 0,
  User = 1,
  End = 2,
  Report = 3,
  InitReport = 4,
}

interface Placed {
  line: StoredLogLine;
  /** The invocation the line belongs to, when its frame is rendered: [started, ended, recorded]. */
  group: readonly [number, number, number] | undefined;
  rank: Rank;
  seq: number;
}

/**
 * Printed order: by time; within one millisecond (a warm call takes less), the invocation that started
 * (then ended, then was recorded) first goes first, and inside an invocation START, its lines, END,
 * Report, Init Report. Lines of no rendered frame keep the order they were stored in.
 */
function printedOrder(a: Placed, b: Placed): number {
  if (a.line.time !== b.line.time) return a.line.time - b.line.time;
  if (a.group !== undefined && b.group !== undefined && a.group !== b.group) {
    return a.group[0] - b.group[0] || a.group[1] - b.group[1] || a.group[2] - b.group[2];
  }
  return a.rank - b.rank || a.seq - b.seq;
}

/**
 * The last `limit` lines of a log: the stored lines (oldest first, as stored) merged with the frame lines
 * rendered from the records that have a frame (in the order they were recorded), as they were printed.
 */
export function mergeFramedLog(stored: StoredLogLine[], records: InvocationRecord[], limit: number): StoredLogLine[] {
  if (records.length === 0) return stored.slice(-limit);
  const groups = new Map<string, readonly [number, number, number]>();
  for (const [recorded, { requestId, frame }] of records.entries()) {
    if (frame !== undefined) groups.set(requestId, [frame.startedAt, frame.endedAt, recorded]);
  }
  // A stored START (an async attempt replaced by a retry, or an older row) goes before the lines of its millisecond.
  const placed: Placed[] = stored.map((line, seq) => ({
    line,
    group: groups.get(line.requestId),
    rank: line.line === startLine(line.requestId) ? Rank.Start : Rank.User,
    seq,
  }));
  let seq = placed.length;
  for (const record of records) {
    const frame = record.frame;
    if (frame === undefined) continue;
    const { requestId } = record;
    const group = groups.get(requestId);
    const at = (time: number, rank: Rank, line: string): void => {
      placed.push({ line: { requestId, time, line }, group, rank, seq: seq++ });
    };
    at(frame.startedAt, Rank.Start, startLine(requestId));
    at(frame.endedAt, Rank.End, endLine(requestId));
    at(frame.endedAt, Rank.Report, reportLine(requestId, record));
    if (record.coldStart) at(frame.endedAt, Rank.InitReport, initReportLine('Init Report', requestId, record.coldStart));
  }
  placed.sort(printedOrder);
  return placed.slice(-limit).map((entry) => entry.line);
}
