/**
 * Splits a stream of text chunks into lines. A pipe delivers writes in arbitrary pieces, so a line may
 * arrive in several chunks; it waits here until its newline (or until it is too long to keep waiting).
 */
export class LineSplitter {
  #parts: string[] = [];
  #length = 0;
  #maxLength: number;

  /** @param maxLength a partial line this long is emitted without waiting for its newline. */
  constructor(maxLength = Number.POSITIVE_INFINITY) {
    this.#maxLength = maxLength;
  }

  push(chunk: string, emit: (line: string) => void): void {
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline >= 0; newline = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, newline);
      start = newline + 1;
      if (this.#parts.length === 0) {
        emit(piece);
        continue;
      }
      // Joining once per line keeps a long line built from many chunks linear, not quadratic.
      this.#parts.push(piece);
      const line = this.#parts.join('');
      this.#parts = [];
      this.#length = 0;
      emit(line);
    }
    if (start >= chunk.length) return;
    const rest = start === 0 ? chunk : chunk.slice(start);
    this.#parts.push(rest);
    this.#length += rest.length;
    if (this.#length >= this.#maxLength) emit(this.flush()!);
  }

  /** The partial line waiting for its newline, if any; the splitter is empty afterwards. */
  flush(): string | undefined {
    if (this.#parts.length === 0) return undefined;
    const line = this.#parts.join('');
    this.#parts = [];
    this.#length = 0;
    return line;
  }

  get pendingLength(): number {
    return this.#length;
  }
}
