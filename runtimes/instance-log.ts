/**
 * Routes an instance's output to the invocation in flight. Output printed while no invocation runs
 * (module scope at cold start, timers after a response) waits and is attached to the next invocation,
 * the way SCF shows init output in the first request's log.
 */
export interface LogLine {
  /** Epoch ms the line was printed. */
  time: number;
  text: string;
}

export type LogTarget = (line: LogLine) => void;

/** Lines kept while no invocation is attached; older ones are dropped with a note. */
export const MAX_PENDING_LOG_LINES = 1000;

export class InstanceLog {
  #target: LogTarget | undefined;
  #pending: LogLine[] = [];
  #dropped = 0;

  /** One user write; multi-line text is split so each line is framed on its own. */
  write(text: string, time = Date.now()): void {
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    for (const line of lines) this.#emit({ time, text: line });
  }

  attach(target: LogTarget): void {
    this.#target = target;
    if (this.#dropped > 0) {
      target({ time: Date.now(), text: `[fngate] ${this.#dropped} earlier log lines were dropped` });
      this.#dropped = 0;
    }
    for (const line of this.#pending) target(line);
    this.#pending = [];
  }

  detach(): void {
    this.#target = undefined;
  }

  #emit(line: LogLine): void {
    if (this.#target) {
      this.#target(line);
    } else if (this.#pending.length < MAX_PENDING_LOG_LINES) {
      this.#pending.push(line);
    } else {
      this.#dropped++;
    }
  }
}
