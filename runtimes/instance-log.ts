/**
 * Routes an instance's output to the invocation in flight. Output printed while no invocation runs
 * (module scope at cold start, timers after a response) waits and is attached to the next invocation,
 * the way SCF shows init output in the first request's log.
 */
export interface LogLine {
  /** Epoch ms the line was printed. */
  time: number;
  text: string;
  /** Set on a note that output was cut before it got here (an isolate over its budget): `text` is empty. */
  dropped?: { bytes: number; lines: number };
}

export type LogTarget = (line: LogLine) => void;

/**
 * Bytes of user output kept per invocation (UTF-8, before framing). SCF keeps the head of a long log and
 * cuts the rest; the console shows 4 KB of it. 1 MiB keeps any useful trace whole while 200 MB of output
 * per call costs neither gateway memory nor disk: the rest is counted and a marker says how much was cut.
 */
export const MAX_LOG_BYTES_PER_INVOCATION = 1024 * 1024;
/** Lines kept while no invocation is attached; older ones are dropped with a note. */
export const MAX_PENDING_LOG_LINES = 1000;
/** Bytes kept while no invocation is attached: more would be cut by the invocation's cap anyway. */
export const MAX_PENDING_LOG_BYTES = MAX_LOG_BYTES_PER_INVOCATION;

export class InstanceLog {
  #target: LogTarget | undefined;
  #pending: LogLine[] = [];
  #pendingBytes = 0;
  #dropped = 0;

  /** One user write; multi-line text is split so each line is framed on its own. */
  write(text: string, time = Date.now()): void {
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    for (const line of lines) this.#emit({ time, text: line });
  }

  /** Output the instance counted but did not send; the invocation's marker adds it to what it cut. */
  dropped(bytes: number, lines: number, time = Date.now()): void {
    this.#emit({ time, text: '', dropped: { bytes, lines } });
  }

  attach(target: LogTarget): void {
    this.#target = target;
    if (this.#dropped > 0) {
      target({ time: Date.now(), text: `[fngate] ${this.#dropped} earlier log lines were dropped` });
      this.#dropped = 0;
    }
    for (const line of this.#pending) target(line);
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  detach(): void {
    this.#target = undefined;
  }

  #emit(line: LogLine): void {
    if (this.#target) {
      this.#target(line);
      return;
    }
    // Length in UTF-16 units bounds the bytes held closely enough, without encoding each line.
    if (this.#pending.length < MAX_PENDING_LOG_LINES && this.#pendingBytes + line.text.length <= MAX_PENDING_LOG_BYTES) {
      this.#pending.push(line);
      this.#pendingBytes += line.text.length;
    } else {
      this.#dropped++;
    }
  }
}
