// Runs inside the isolate, on demand. The `zlib` built-in over the host's zlib (host.ts): the one-shot
// forms (gzip, deflate, brotli … sync, callback, promisified) are one host op each; the streams
// (createGzip …) are Transforms whose chunks the host (de)compresses.
/* global internal */
const { Buffer } = internal.need('buffer').buffer;
const COPY = { arguments: { copy: true } };
const { callbacks: service, callAsync } = internal.operationService('zlib', (data) => rebuild(data));
const constants = Object.freeze(service.constants());

function rebuild(data) {
  const error = data.name === 'RangeError' ? new RangeError(data.message) : data.name === 'TypeError' ? new TypeError(data.message) : new Error(data.message);
  if (data.errno !== undefined) error.errno = data.errno;
  if (data.code !== undefined) error.code = data.code;
  return error;
}

function callSync(op, args) {
  const answer = service.sync.applySyncPromise(undefined, [op, args], COPY);
  if (answer[0] !== null) throw rebuild(answer[0]);
  return answer[1];
}

const asBuffer = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function toBytes(data) {
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data));
  if (ArrayBuffer.isView(data)) {
    // The host gets a copy anyway; copy here only to cut the view out of a larger buffer.
    const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? view : view.slice();
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data).slice();
  const error = new TypeError(`The "buffer" argument must be of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer. Received ${data === null || data === undefined ? data : internal.inspect(data)}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  throw error;
}

// Options as the host takes them: plain numbers and bytes (a dictionary), nothing else.
function plainOptions(options) {
  if (options === undefined || options === null) return undefined;
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'dictionary' && value !== undefined) out.dictionary = toBytes(value);
    else if (key === 'params' && value !== null && typeof value === 'object') out.params = { ...value };
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  }
  return out;
}

const zlib = { constants, codes: {} };
for (const [name, value] of Object.entries(constants)) {
  // Node's legacy top-level constants (Z_SYNC_FLUSH …), read by many libraries.
  if (name.startsWith('Z_')) zlib[name] = value;
}
for (const [name, value] of Object.entries(constants)) if (name.startsWith('Z_') && value <= 2 && value >= -6) zlib.codes[name] = value;

for (const kind of ['gzip', 'gunzip', 'deflate', 'inflate', 'deflateRaw', 'inflateRaw', 'unzip', 'brotliCompress', 'brotliDecompress']) {
  zlib[`${kind}Sync`] = (buffer, options) => asBuffer(callSync('oneShot', [kind, toBytes(buffer), plainOptions(options)]));
  zlib[kind] = (buffer, options, done) => {
    if (typeof options === 'function') [done, options] = [options, undefined];
    if (typeof done !== 'function') {
      const error = new TypeError(`The "callback" argument must be of type function. Received ${done === undefined ? 'undefined' : internal.inspect(done)}`);
      error.code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
    callAsync('oneShot', [kind, toBytes(buffer), plainOptions(options)], (error, bytes) => (error ? done(error) : done(null, asBuffer(bytes))));
  };
}

const kFlushKind = Symbol('flush kind');

// The stream classes need `stream`, evaluated only when a function makes a zlib stream.
function makeStreamClasses() {
  const { Transform } = internal.builtin('stream');

  class ZlibBase extends Transform {
    #id;
    #closed = false;
    constructor(kind, options) {
      super({ ...options, readableObjectMode: false, writableObjectMode: false });
      this.#id = callSync('streamCreate', [kind, plainOptions(options)]);
      this.bytesWritten = 0;
      this._finishFlushFlag = options?.finishFlush;
    }
    _transform(chunk, encoding, callback) {
      const flush = chunk[kFlushKind];
      const args = flush !== undefined ? ['streamFlush', [this.#id, flush]] : ['streamWrite', [this.#id, toBytes(chunk)]];
      if (flush === undefined) this.bytesWritten += chunk.length;
      callAsync(args[0], args[1], (error, bytes) => {
        if (error) return callback(error);
        if (bytes.byteLength > 0) this.push(asBuffer(bytes));
        callback();
      });
    }
    _flush(callback) {
      callAsync('streamEnd', [this.#id], (error, bytes) => {
        this.#closed = true;
        if (error) return callback(error);
        if (bytes.byteLength > 0) this.push(asBuffer(bytes));
        callback();
      });
    }
    _destroy(error, callback) {
      if (!this.#closed) {
        this.#closed = true;
        callAsync('streamClose', [this.#id], () => {});
      }
      callback(error);
    }
    flush(kind, callback) {
      if (typeof kind === 'function' || kind === undefined) [callback, kind] = [kind, constants.Z_FULL_FLUSH];
      const marker = Buffer.alloc(0);
      marker[kFlushKind] = kind;
      // An empty chunk keeps its place behind earlier writes; _transform sees the marker and flushes.
      this.write(marker, callback);
    }
    params(level, strategy, callback) {
      callAsync('streamParams', [this.#id, level, strategy], (error) => callback?.(error ?? null));
    }
    reset() {}
    close(callback) {
      if (callback) this.once('close', callback);
      this.destroy();
    }
  }

  const classes = {};
  for (const kind of STREAM_KINDS) {
    classes[kind] = {
      [kind]: class extends ZlibBase {
        constructor(options) {
          super(kind, options);
        }
      },
    }[kind];
  }
  return classes;
}

const STREAM_KINDS = ['Gzip', 'Gunzip', 'Deflate', 'Inflate', 'DeflateRaw', 'InflateRaw', 'Unzip', 'BrotliCompress', 'BrotliDecompress'];
let streamClasses;
const streamClass = (kind) => (streamClasses ??= makeStreamClasses())[kind];
for (const kind of STREAM_KINDS) {
  Object.defineProperty(zlib, kind, { enumerable: true, configurable: true, get: () => streamClass(kind) });
  zlib[`create${kind}`] = (options) => new (streamClass(kind))(options);
}

internal.modules.zlib = zlib;
