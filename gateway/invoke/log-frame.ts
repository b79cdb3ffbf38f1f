/**
 * SPEC §6 framing of one invocation's log: START, user lines `<ISO time> <requestId> <text>`, END,
 * Report, and `Init Report` on cold starts. User output is capped as it streams in: the head is kept,
 * the rest only counted, and a marker before END says how much was dropped.
 *
 * An invocation keeps only its user lines and the frame's times: the store renders START/END/Report
 * from its record when the log is read (store/framed-log.ts), so a call that prints nothing writes one
 * row. Async retries share a request ID and replace the record: the store then writes the replaced
 * attempt's frame as lines (migration `frames of replaced async attempts`), so every attempt's frame
 * stays in the log.
 */
import { MAX_LOG_BYTES_PER_INVOCATION, type LogLine } from '../../runtimes/instance-log.ts';
import { initReportLine } from '../../store/framed-log.ts';
import type { ColdStartPhases, InvocationFrame, StoredLogLine } from '../../store/types.ts';

export { initReportLine };

/** Lines kept per invocation: each is a row, so many tiny lines are capped as well as many bytes. */
export const MAX_LOG_LINES_PER_INVOCATION = 10_000;
/** Longest user line kept; longer ones are cut with a marker. */
export const MAX_LOG_LINE_CHARS = 16_384;

export class InvocationLogFrame {
  readonly lines: StoredLogLine[] = [];
  readonly #requestId: string;
  #startedAt: number | undefined;
  #endedAt: number | undefined;
  #userLines = 0;
  #keptBytes = 0;
  #droppedLines = 0;
  #droppedBytes = 0;

  constructor(requestId: string) {
    this.#requestId = requestId;
  }

  start(): void {
    this.#startedAt = Date.now();
  }

  /** When START and END were framed, for the store to render them; undefined when the frame never ended. */
  get frame(): InvocationFrame | undefined {
    if (this.#startedAt === undefined || this.#endedAt === undefined) return undefined;
    return { startedAt: this.#startedAt, endedAt: this.#endedAt };
  }

  /** Bound to the instance's log while the invocation runs. */
  readonly user = (line: LogLine): void => {
    if (line.dropped) {
      this.#droppedLines += line.dropped.lines;
      this.#droppedBytes += line.dropped.bytes;
      return;
    }
    const text = line.text.length > MAX_LOG_LINE_CHARS ? `${line.text.slice(0, MAX_LOG_LINE_CHARS)}…[truncated]` : line.text;
    const bytes = Buffer.byteLength(text) + 1;
    // Once one line is dropped every later one is too: the stored log is a head, never a head with holes.
    if (this.#droppedLines > 0 || this.#userLines >= MAX_LOG_LINES_PER_INVOCATION || this.#keptBytes + bytes > MAX_LOG_BYTES_PER_INVOCATION) {
      this.#droppedLines++;
      this.#droppedBytes += text === line.text ? bytes : Buffer.byteLength(line.text) + 1;
      return;
    }
    this.#userLines++;
    this.#keptBytes += bytes;
    this.#push(line.time, `${new Date(line.time).toISOString()} ${this.#requestId} ${text}`);
  };

  /** User output bytes (lines and their newlines) dropped by the cap so far. */
  get droppedBytes(): number {
    return this.#droppedBytes;
  }

  /** Ends the frame. END and Report are rendered from the record, which carries these same figures. */
  end(_report?: { durationMs: number; memoryMb: number; memUsageBytes: number; coldStart?: ColdStartPhases }): void {
    const now = Date.now();
    if (this.#droppedLines > 0) {
      this.#push(
        now,
        `${new Date(now).toISOString()} ${this.#requestId} [fngate] log truncated: ${this.#droppedBytes} bytes (${this.#droppedLines} lines) dropped over the per-invocation cap of ${MAX_LOG_BYTES_PER_INVOCATION} bytes / ${MAX_LOG_LINES_PER_INVOCATION} lines`,
      );
    }
    this.#endedAt = now;
  }

  #push(time: number, line: string): void {
    this.lines.push({ requestId: this.#requestId, time, line });
  }
}
