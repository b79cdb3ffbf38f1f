// Runs inside the isolate, on demand. `readline` and `readline/promises` over streams, as Node runs them
// when the output is no terminal (a function's never is): lines split on \n, \r\n and a lone \r (a \r at
// a chunk's end and a \n starting the next within crlfDelay are one ending), the unfinished last line
// emitted at the input's end, question() writing its query to the output, and async iteration of lines.
/* global internal */
const EventEmitter = internal.builtin('events');
const { StringDecoder } = internal.builtin('string_decoder');

const LINE_ENDING = /\r?\n|\r(?!\n)/g;
const DEFAULT_CRLF_DELAY_MS = 100;

function useAfterClose() {
  const error = new Error('readline was closed');
  error.code = 'ERR_USE_AFTER_CLOSE';
  return error;
}

class Interface extends EventEmitter {
  #decoder = new StringDecoder('utf8');
  #lineBuffer = null;
  #sawReturnAt = 0;
  #questionCallback = null;
  #oldPrompt = '';
  #prompt = '> ';
  #lines;
  #detach;

  constructor(input, output, completer, terminal) {
    super();
    const options = input !== null && typeof input === 'object' && typeof input.on !== 'function' ? input : { input, output, completer, terminal };
    this.input = options.input;
    this.output = options.output;
    this.terminal = false;
    this.line = '';
    this.cursor = 0;
    this.history = [];
    this.closed = false;
    this.paused = false;
    this.crlfDelay = Math.max(DEFAULT_CRLF_DELAY_MS, Number(options.crlfDelay) || 0);
    if (options.prompt !== undefined) this.#prompt = String(options.prompt);
    if (options.signal !== undefined) {
      if (options.signal.aborted) queueMicrotask(() => this.close());
      else options.signal.addEventListener('abort', () => this.close(), { once: true });
    }
    const input_ = this.input;
    if (input_ === undefined || input_ === null) return;
    const ondata = (data) => this.#normalWrite(data);
    const onend = () => {
      if (typeof this.#lineBuffer === 'string' && this.#lineBuffer.length > 0) this.emit('line', this.#lineBuffer);
      this.close();
    };
    input_.on('data', ondata);
    input_.on('end', onend);
    this.#detach = () => {
      input_.removeListener('data', ondata);
      input_.removeListener('end', onend);
    };
    input_.resume();
  }

  #normalWrite(chunk) {
    if (chunk === undefined) return;
    let string = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    if (this.#sawReturnAt && Date.now() - this.#sawReturnAt <= this.crlfDelay) {
      if (string.codePointAt(0) === 10) string = string.slice(1);
      this.#sawReturnAt = 0;
    }
    LINE_ENDING.lastIndex = 0;
    if (!LINE_ENDING.test(string)) {
      if (string) this.#lineBuffer = this.#lineBuffer ? this.#lineBuffer + string : string;
      return;
    }
    if (this.#lineBuffer) {
      string = this.#lineBuffer + string;
      this.#lineBuffer = null;
    }
    this.#sawReturnAt = string.endsWith('\r') ? Date.now() : 0;
    LINE_ENDING.lastIndex = 0;
    let start = 0;
    const lines = [];
    for (let match = LINE_ENDING.exec(string); match !== null; match = LINE_ENDING.exec(string)) {
      lines.push(string.slice(start, match.index));
      start = LINE_ENDING.lastIndex;
    }
    this.#lineBuffer = string.slice(start);
    for (const line of lines) this.#onLine(line);
  }

  #onLine(line) {
    if (this.#questionCallback !== null) {
      const callback = this.#questionCallback;
      this.#questionCallback = null;
      this.setPrompt(this.#oldPrompt);
      callback(line);
    } else {
      this.emit('line', line);
    }
  }

  #writeToOutput(text) {
    if (this.output !== null && this.output !== undefined) this.output.write(text);
  }

  setPrompt(prompt) {
    this.#prompt = prompt;
  }

  getPrompt() {
    return this.#prompt;
  }

  prompt() {
    if (this.paused) this.resume();
    this.#writeToOutput(this.#prompt);
  }

  question(query, options, callback) {
    if (typeof options === 'function') callback = options;
    if (this.closed) throw useAfterClose();
    if (this.#questionCallback !== null) {
      this.prompt();
      return;
    }
    this.#oldPrompt = this.#prompt;
    this.setPrompt(query);
    this.#questionCallback = callback;
    this.prompt();
  }

  // For readline/promises: the pending question's callback, cleared on abort (the line ends, as in Node).
  _cancelQuestion(callback) {
    if (this.#questionCallback === callback) {
      this.#questionCallback = null;
      this.setPrompt(this.#oldPrompt);
      this.#writeToOutput('\r\n');
      this.line = '';
      this.cursor = 0;
    }
  }

  write(data) {
    if (this.closed) throw useAfterClose();
    if (this.paused) this.resume();
    this.#normalWrite(data);
  }

  pause() {
    if (this.paused) return this;
    this.input?.pause();
    this.paused = true;
    this.emit('pause');
    return this;
  }

  resume() {
    if (!this.paused) return this;
    this.input?.resume();
    this.paused = false;
    this.emit('resume');
    return this;
  }

  close() {
    if (this.closed) return;
    this.pause();
    this.#detach?.();
    this.closed = true;
    this.emit('close');
  }

  getCursorPos() {
    return { rows: 0, cols: this.cursor };
  }

  // Lines are queued from the first call on (earlier lines went to 'line' listeners only, as in Node).
  [Symbol.asyncIterator]() {
    if (this.#lines === undefined) {
      const queue = [];
      const waiting = [];
      let done = false;
      const settle = () => {
        while (waiting.length > 0 && (queue.length > 0 || done)) {
          waiting.shift()(queue.length > 0 ? { value: queue.shift(), done: false } : { value: undefined, done: true });
        }
      };
      this.on('line', (line) => {
        queue.push(line);
        settle();
      });
      this.once('close', () => {
        done = true;
        settle();
      });
      if (this.closed) done = true;
      this.#lines = {
        next: () => new Promise((resolve) => {
          waiting.push(resolve);
          settle();
        }),
        return: () => {
          done = true;
          queue.length = 0;
          this.close();
          settle();
          return Promise.resolve({ value: undefined, done: true });
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    }
    return this.#lines;
  }
}

// Node's cursor helpers: ANSI sequences written to `stream`; true when there is no stream to write to.
function writeTo(stream, data, callback) {
  if (stream === null || stream === undefined) {
    if (typeof callback === 'function') queueMicrotask(() => callback(null));
    return true;
  }
  return stream.write(data, callback);
}

function clearLine(stream, dir, callback) {
  return writeTo(stream, dir < 0 ? '\x1b[1K' : dir > 0 ? '\x1b[0K' : '\x1b[2K', callback);
}

function clearScreenDown(stream, callback) {
  return writeTo(stream, '\x1b[0J', callback);
}

function cursorTo(stream, x, y, callback) {
  if (typeof y === 'function') {
    callback = y;
    y = undefined;
  }
  if (Number.isNaN(x) || Number.isNaN(y)) return writeTo(undefined, '', callback);
  return writeTo(stream, typeof y !== 'number' ? `\x1b[${x + 1}G` : `\x1b[${y + 1};${x + 1}H`, callback);
}

function moveCursor(stream, dx, dy, callback) {
  let data = '';
  if (dx < 0) data += `\x1b[${-dx}D`;
  else if (dx > 0) data += `\x1b[${dx}C`;
  if (dy < 0) data += `\x1b[${-dy}A`;
  else if (dy > 0) data += `\x1b[${dy}B`;
  return writeTo(data === '' ? undefined : stream, data, callback);
}

// readline/promises: question() returns a promise (rejected with an AbortError when its signal aborts).
class PromisesInterface extends Interface {
  question(query, options = {}) {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(abortError(signal.reason));
        return;
      }
      const callback = (answer) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(answer);
      };
      const onAbort = () => {
        this._cancelQuestion(callback);
        reject(abortError(signal.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      super.question(query, callback);
    });
  }
}

function abortError(cause) {
  const error = new Error('The operation was aborted', cause === undefined ? undefined : { cause });
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  return error;
}

const promises = {
  Interface: PromisesInterface,
  createInterface: (input, output, completer, terminal) => new PromisesInterface(input, output, completer, terminal),
};

internal.modules.readline = {
  Interface,
  createInterface: (input, output, completer, terminal) => new Interface(input, output, completer, terminal),
  clearLine,
  clearScreenDown,
  cursorTo,
  moveCursor,
  emitKeypressEvents() {},
  promises,
};
internal.modules['readline/promises'] = promises;
