// Runs inside the isolate, on demand. The `fs` and `fs/promises` built-ins over the host's fs service
// (host.ts): every operation is one host op; the sync form blocks this isolate until the host answers
// (applySyncPromise), the callback and promise forms hold the event loop (loopRef) until it does. Paths are
// the function's own (/var/user, /opt, /tmp); the host resolves and checks them.
/* global internal */
const {
  callbacks: { sync },
  callAsync,
} = internal.operationService('fs', (data) => makeError(data));
const COPY = { arguments: { copy: true } };
const { Buffer } = internal.need('buffer').buffer;

const constants = {
  UV_FS_SYMLINK_DIR: 1, UV_FS_SYMLINK_JUNCTION: 2, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2,
  UV_DIRENT_UNKNOWN: 0, UV_DIRENT_FILE: 1, UV_DIRENT_DIR: 2, UV_DIRENT_LINK: 3, UV_DIRENT_FIFO: 4,
  UV_DIRENT_SOCKET: 5, UV_DIRENT_CHAR: 6, UV_DIRENT_BLOCK: 7,
  S_IFMT: 61440, S_IFREG: 32768, S_IFDIR: 16384, S_IFCHR: 8192, S_IFBLK: 24576, S_IFIFO: 4096, S_IFLNK: 40960,
  S_IFSOCK: 49152, O_CREAT: 64, O_EXCL: 128, UV_FS_O_FILEMAP: 0, O_NOCTTY: 256, O_TRUNC: 512, O_APPEND: 1024,
  O_DIRECTORY: 65536, O_NOATIME: 262144, O_NOFOLLOW: 131072, O_SYNC: 1052672, O_DSYNC: 4096, O_DIRECT: 16384,
  O_NONBLOCK: 2048, S_IRWXU: 448, S_IRUSR: 256, S_IWUSR: 128, S_IXUSR: 64, S_IRWXG: 56, S_IRGRP: 32, S_IWGRP: 16,
  S_IXGRP: 8, S_IRWXO: 7, S_IROTH: 4, S_IWOTH: 2, S_IXOTH: 1, F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  UV_FS_COPYFILE_EXCL: 1, COPYFILE_EXCL: 1, UV_FS_COPYFILE_FICLONE: 2, COPYFILE_FICLONE: 2,
  UV_FS_COPYFILE_FICLONE_FORCE: 4, COPYFILE_FICLONE_FORCE: 4,
};
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC } = constants;
const FLAGS = {
  r: O_RDONLY, rs: O_RDONLY | O_SYNC, sr: O_RDONLY | O_SYNC, 'r+': O_RDWR, 'rs+': O_RDWR | O_SYNC, 'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY, wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL, xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR, 'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL, 'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY, ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL, xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC, sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR, 'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL, 'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC, 'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
};

// ---- errors and arguments, as Node reports them ----

function makeError(data) {
  const error = data.code === 'ERR_FS_FILE_TOO_LARGE' ? new RangeError(data.message) : new Error(data.message);
  for (const key of ['errno', 'code', 'syscall', 'path', 'dest']) if (data[key] !== undefined) error[key] = data[key];
  if (data.code === 'ERR_FS_EISDIR') error.name = 'SystemError';
  return error;
}

function describeReceived(value) {
  if (value === null || value === undefined) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${value.name}`;
  if (typeof value === 'object') return value.constructor?.name ? ` Received an instance of ${value.constructor.name}` : ` Received ${internal.inspect(value, { depth: -1 })}`;
  let shown = internal.inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

function typeError(name, expected, value) {
  const error = new TypeError(`The "${name}" argument must be ${expected}.${describeReceived(value)}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

function toPath(path, name = 'path') {
  if (typeof path === 'string') {
    if (path.includes('\u0000')) {
      const error = new TypeError(`The argument '${name}' must be a string, Uint8Array, or URL without null bytes. Received ${internal.inspect(path)}`);
      error.code = 'ERR_INVALID_ARG_VALUE';
      throw error;
    }
    return path;
  }
  if (path instanceof Uint8Array) return toPath(Buffer.from(path.buffer, path.byteOffset, path.byteLength).toString(), name);
  if (path !== null && typeof path === 'object' && typeof path.href === 'string' && path.protocol !== undefined) {
    if (path.protocol !== 'file:') {
      const error = new TypeError('The URL must be of scheme file');
      error.code = 'ERR_INVALID_URL_SCHEME';
      throw error;
    }
    return toPath(decodeURIComponent(path.pathname), name);
  }
  throw typeError(name, 'of type string or an instance of Buffer or URL', path);
}

function toFd(fd) {
  if (!Number.isInteger(fd)) throw typeError('fd', 'of type number', fd);
  return fd;
}

const pathOrFd = (value) => (typeof value === 'number' ? toFd(value) : toPath(value));

function toFlags(flag, fallback) {
  if (flag === undefined || flag === null) return fallback;
  if (typeof flag === 'number') return flag;
  const flags = FLAGS[flag];
  if (flags === undefined) {
    const error = new TypeError(`The value "${flag}" is invalid for option "flags"`);
    error.code = 'ERR_INVALID_ARG_VALUE';
    throw error;
  }
  return flags;
}

const toMode = (mode, fallback) => (mode === undefined || mode === null ? fallback : typeof mode === 'string' ? parseInt(mode, 8) : mode);

function options(value, defaults) {
  if (value === undefined || value === null || typeof value === 'function') return { ...defaults };
  if (typeof value === 'string') return { ...defaults, encoding: value };
  if (typeof value !== 'object') throw typeError('options', 'one of type string or an instance of Object', value);
  return { ...defaults, ...value };
}

// Bytes to hand the host: a copy of just the view's bytes (a view's whole buffer would be copied otherwise).
function toBytes(data, encoding, name = 'data') {
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data, encoding || 'utf8'));
  if (ArrayBuffer.isView(data)) {
    const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? view : view.slice();
  }
  throw typeError(name, 'of type string or an instance of Buffer, TypedArray, or DataView', data);
}

const toBuffer = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const decode = (bytes, encoding) => (encoding && encoding !== 'buffer' ? toBuffer(bytes).toString(encoding) : toBuffer(bytes));

function callback(value) {
  if (typeof value !== 'function') throw typeError('cb', 'of type function', value);
  return value;
}

// ---- the three calling forms ----

function callSync(op, args) {
  const answer = sync.applySyncPromise(undefined, [op, args], COPY);
  if (answer[0] !== null) {
    const error = makeError(answer[0]);
    Error.captureStackTrace?.(error, callSync);
    throw error;
  }
  return answer[1];
}

const callPromise = (op, args, map = (x) => x) =>
  new Promise((resolve, reject) => callAsync(op, args, (error, result) => (error === null ? resolve(map(result)) : reject(error))));

const fs = { constants, F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 };
const promises = { constants };

// Defines fs.nameSync, fs.name (callback) and promises.name from `prepare(...userArgs) → [op, args, map]`.
function define(name, prepare, { promise = true } = {}) {
  fs[`${name}Sync`] = function (...userArgs) {
    const [op, args, map] = prepare(...userArgs);
    const result = callSync(op, args);
    return map === undefined ? result : map(result);
  };
  fs[name] = function (...userArgs) {
    const done = callback(userArgs.pop());
    const [op, args, map] = prepare(...userArgs);
    callAsync(op, args, (error, result) => (error === null ? done(null, map === undefined ? result : map(result)) : done(error)));
  };
  if (promise) {
    promises[name] = async (...userArgs) => {
      const [op, args, map] = prepare(...userArgs);
      return callPromise(op, args, map);
    };
  }
}

// ---- Stats and Dirent ----

const { S_IFMT, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFLNK, S_IFSOCK } = constants;
const STAT_FIELDS = ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks', 'atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs'];

class StatsBase {
  isFile() { return this._type(S_IFREG); }
  isDirectory() { return this._type(S_IFDIR); }
  isSymbolicLink() { return this._type(S_IFLNK); }
  isCharacterDevice() { return this._type(S_IFCHR); }
  isBlockDevice() { return this._type(S_IFBLK); }
  isFIFO() { return this._type(S_IFIFO); }
  isSocket() { return this._type(S_IFSOCK); }
  _type(type) { return (Number(this.mode) & S_IFMT) === type; }
}
Object.defineProperty(StatsBase.prototype, '_type', { enumerable: false });

class Stats extends StatsBase {
  constructor(values) {
    super();
    STAT_FIELDS.forEach((field, i) => { this[field] = values[i]; });
    this.atime = new Date(this.atimeMs);
    this.mtime = new Date(this.mtimeMs);
    this.ctime = new Date(this.ctimeMs);
    this.birthtime = new Date(this.birthtimeMs);
  }
}

class BigIntStats extends StatsBase {
  constructor(values) {
    super();
    STAT_FIELDS.forEach((field, i) => { this[field] = BigInt(Math.trunc(values[i])); });
    for (const time of ['atime', 'mtime', 'ctime', 'birthtime']) {
      const ms = values[STAT_FIELDS.indexOf(`${time}Ms`)];
      this[`${time}Ns`] = BigInt(Math.trunc(ms)) * 1000000n + BigInt(Math.round((ms % 1) * 1e6));
      this[time] = new Date(ms);
    }
  }
}

const makeStats = (bigint) => (values) => (bigint ? new BigIntStats(values) : new Stats(values));

class Dirent {
  constructor(name, type, path) {
    this.name = name;
    this.parentPath = path;
    this.path = path;
    Object.defineProperty(this, '_kind', { value: type, enumerable: false });
  }
  isFile() { return this._kind === 1; }
  isDirectory() { return this._kind === 2; }
  isSymbolicLink() { return this._kind === 3; }
  isFIFO() { return this._kind === 4; }
  isSocket() { return this._kind === 5; }
  isCharacterDevice() { return this._kind === 6; }
  isBlockDevice() { return this._kind === 7; }
}

// ---- operations ----

const statPrepare = (op) => (path, opts) => [op, [toPath(path)], makeStats(options(opts, { bigint: false }).bigint)];
define('stat', statPrepare('stat'));
define('lstat', statPrepare('lstat'));
define('fstat', (fd, opts) => ['fstat', [toFd(fd)], makeStats(options(opts, { bigint: false }).bigint)], { promise: false });

define('access', (path, mode) => ['access', [toPath(path), mode ?? 0]]);
define('readFile', (path, opts) => {
  const o = options(opts, { encoding: null, flag: 'r' });
  return ['readFile', [pathOrFd(path), toFlags(o.flag, O_RDONLY)], (bytes) => decode(bytes, o.encoding)];
});
const writePrepare = (defaultFlag) => (path, data, opts) => {
  const o = options(opts, { encoding: 'utf8', mode: 0o666, flag: defaultFlag });
  return ['writeFile', [pathOrFd(path), toBytes(data, o.encoding), toFlags(o.flag, FLAGS[defaultFlag]), toMode(o.mode, 0o666)], () => undefined];
};
define('writeFile', writePrepare('w'));
define('appendFile', writePrepare('a'));
define('open', (path, flags, mode) => ['open', [toPath(path), toFlags(typeof flags === 'function' ? undefined : flags, O_RDONLY), toMode(typeof mode === 'function' ? undefined : mode, 0o666)]], { promise: false });
define('close', (fd) => ['close', [toFd(fd)], () => undefined], { promise: false });
define('readdir', (path, opts) => {
  const o = options(opts, { encoding: 'utf8', withFileTypes: false });
  const dir = toPath(path);
  return ['readdir', [dir, !!o.withFileTypes], (entries) =>
    o.withFileTypes
      ? entries.map(([name, type]) => new Dirent(name, type, dir))
      : entries.map((name) => (o.encoding === 'buffer' ? Buffer.from(name) : name))];
});
define('mkdir', (path, opts) => {
  const o = typeof opts === 'number' || typeof opts === 'string' ? { mode: opts } : options(opts, {});
  return ['mkdir', [toPath(path), !!o.recursive, toMode(o.mode, 0o777)], (first) => (o.recursive ? first ?? undefined : undefined)];
});
define('rm', (path, opts) => {
  const o = options(opts, { recursive: false, force: false });
  return ['rm', [toPath(path), !!o.recursive, !!o.force], () => undefined];
});
define('rmdir', (path, opts) => ['rmdir', [toPath(path), !!options(opts, {}).recursive], () => undefined]);
define('unlink', (path) => ['unlink', [toPath(path)], () => undefined]);
define('rename', (from, to) => ['rename', [toPath(from, 'oldPath'), toPath(to, 'newPath')], () => undefined]);
define('copyFile', (from, to, mode) => ['copyFile', [toPath(from, 'src'), toPath(to, 'dest'), typeof mode === 'number' ? mode : 0], () => undefined]);
define('link', (from, to) => ['link', [toPath(from, 'existingPath'), toPath(to, 'newPath')], () => undefined]);
define('symlink', (target, path) => ['symlink', [toPath(target, 'target'), toPath(path)], () => undefined]);
define('readlink', (path, opts) => ['readlink', [toPath(path)], (text) => (options(opts, {}).encoding === 'buffer' ? Buffer.from(text) : text)]);
define('realpath', (path, opts) => ['realpath', [toPath(path)], (text) => (options(opts, {}).encoding === 'buffer' ? Buffer.from(text) : text)]);
fs.realpathSync.native = fs.realpathSync;
fs.realpath.native = fs.realpath;
define('truncate', (path, length) => ['truncate', [toPath(path), typeof length === 'number' ? length : 0], () => undefined]);
define('ftruncate', (fd, length) => ['ftruncate', [toFd(fd), typeof length === 'number' ? length : 0], () => undefined], { promise: false });
const toTime = (time) => (time instanceof Date ? time.getTime() / 1000 : typeof time === 'string' ? Number(time) : time);
define('utimes', (path, atime, mtime) => ['utimes', [toPath(path), toTime(atime), toTime(mtime), true], () => undefined]);
define('lutimes', (path, atime, mtime) => ['utimes', [toPath(path), toTime(atime), toTime(mtime), false], () => undefined]);
define('futimes', (fd, atime, mtime) => ['futimes', [toFd(fd), toTime(atime), toTime(mtime)], () => undefined], { promise: false });
define('chmod', (path, mode) => ['chmod', [toPath(path), toMode(mode, 0)], () => undefined]);
define('fchmod', (fd, mode) => ['fchmod', [toFd(fd), toMode(mode, 0)], () => undefined], { promise: false });
define('chown', (path) => ['chown', [toPath(path)], () => undefined]);
define('lchown', (path) => ['chown', [toPath(path)], () => undefined]);
define('fchown', (fd) => ['fstat', [toFd(fd)], () => undefined], { promise: false });
define('fsync', (fd) => ['fsync', [toFd(fd)], () => undefined], { promise: false });
define('fdatasync', (fd) => ['fsync', [toFd(fd)], () => undefined], { promise: false });
define('mkdtemp', (prefix, opts) => ['mkdtemp', [toPath(prefix, 'prefix')], (path) => (options(opts, {}).encoding === 'buffer' ? Buffer.from(path) : path)]);

fs.existsSync = (path) => {
  try {
    callSync('access', [toPath(path), 0]);
    return true;
  } catch {
    return false;
  }
};
// Node's own deprecated form: the callback gets one boolean, never an error.
fs.exists = (path, done) => {
  let checked;
  try {
    checked = toPath(path);
  } catch {
    queueMicrotask(() => done(false));
    return;
  }
  callAsync('access', [checked, 0], (error) => done(error === null));
};
Object.defineProperty(fs.exists, Symbol.for('nodejs.util.promisify.custom'), {
  value: (path) => new Promise((resolve) => fs.exists(path, resolve)),
});

// read/write: the buffer, offset, length and position forms; descriptors 1 and 2 write to the log as in Node.
function readArgs(fd, buffer, offset, length, position) {
  toFd(fd);
  if (buffer !== null && typeof buffer === 'object' && !ArrayBuffer.isView(buffer)) ({ buffer, offset, length, position } = buffer);
  else if (offset !== null && typeof offset === 'object') ({ offset, length, position } = offset);
  buffer ??= Buffer.alloc(16384);
  if (!ArrayBuffer.isView(buffer)) throw typeError('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
  offset = offset ?? 0;
  length = length ?? buffer.byteLength - offset;
  if (offset < 0 || length < 0 || offset + length > buffer.byteLength) {
    const error = new RangeError(`The value of "length" is out of range. It must be <= ${buffer.byteLength - offset}. Received ${length}`);
    error.code = 'ERR_OUT_OF_RANGE';
    throw error;
  }
  const at = position === undefined || position === null || position === -1 ? null : Number(position);
  return { buffer, offset, length, position: at };
}

function fillRead(target, offset, bytes) {
  new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes, offset);
  return bytes.byteLength;
}

fs.readSync = (fd, buffer, offset, length, position) => {
  const a = readArgs(fd, buffer, offset, length, position);
  return fillRead(a.buffer, a.offset, callSync('read', [fd, a.length, a.position]));
};
fs.read = (fd, ...rest) => {
  const done = callback(rest.pop());
  const a = readArgs(fd, ...rest);
  callAsync('read', [fd, a.length, a.position], (error, bytes) => (error === null ? done(null, fillRead(a.buffer, a.offset, bytes), a.buffer) : done(error, 0, a.buffer)));
};

function writeArgs(fd, data, offsetOrPosition, lengthOrEncoding, position) {
  toFd(fd);
  if (typeof data === 'string') {
    const encoding = typeof lengthOrEncoding === 'string' ? lengthOrEncoding : 'utf8';
    return { bytes: toBytes(data, encoding), position: typeof offsetOrPosition === 'number' ? offsetOrPosition : null, source: data };
  }
  if (!ArrayBuffer.isView(data)) throw typeError('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  let offset = offsetOrPosition;
  let length = lengthOrEncoding;
  if (offset !== null && typeof offset === 'object') ({ offset, length, position } = offset);
  offset = offset ?? 0;
  length = typeof length === 'number' ? length : data.byteLength - offset;
  const view = new Uint8Array(data.buffer, data.byteOffset + offset, length);
  return { bytes: view.slice(), position: typeof position === 'number' ? position : null, source: data };
}

function writeStdio(fd, bytes) {
  if (fd !== 1 && fd !== 2) return false;
  internal.write(toBuffer(bytes).toString('utf8').replace(/\n$/, ''));
  return true;
}

fs.writeSync = (fd, data, a, b, c) => {
  const w = writeArgs(fd, data, a, b, c);
  if (writeStdio(fd, w.bytes)) return w.bytes.byteLength;
  return callSync('write', [fd, w.bytes, w.position]);
};
fs.write = (fd, data, ...rest) => {
  const done = callback(rest.pop());
  const w = writeArgs(fd, data, ...rest);
  if (writeStdio(fd, w.bytes)) {
    queueMicrotask(() => done(null, w.bytes.byteLength, w.source));
    return;
  }
  callAsync('write', [fd, w.bytes, w.position], (error, written) => (error === null ? done(null, written, w.source) : done(error, 0, w.source)));
};
fs.writev = (fd, buffers, position, done) => {
  if (typeof position === 'function') [done, position] = [position, null];
  const joined = Buffer.concat(buffers.map((b) => toBuffer(toBytes(b))));
  fs.write(fd, joined, 0, joined.length, position, (error, written) => done(error, written, buffers));
};
fs.writevSync = (fd, buffers, position) => fs.writeSync(fd, Buffer.concat(buffers.map((b) => toBuffer(toBytes(b)))), 0, undefined, position);

// ---- what the isolate cannot offer ----

function unavailable(name, why) {
  return () => {
    const error = new Error(`fs.${name} is not available in fngate's isolates: ${why}`);
    error.code = 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM';
    throw error;
  };
}
const NO_WATCH = "a function's files change only through the function itself, so there is nothing to watch";
fs.watch = unavailable('watch', NO_WATCH);
fs.watchFile = unavailable('watchFile', NO_WATCH);
fs.unwatchFile = () => {};
promises.watch = unavailable('promises.watch', NO_WATCH);

// ---- directories as objects (opendir) ----

class Dir {
  #entries;
  #at = 0;
  constructor(path, entries) {
    this.path = path;
    this.#entries = entries;
  }
  readSync() {
    return this.#at < this.#entries.length ? this.#entries[this.#at++] : null;
  }
  read(done) {
    const entry = this.readSync();
    if (typeof done === 'function') return queueMicrotask(() => done(null, entry));
    return Promise.resolve(entry);
  }
  closeSync() {}
  close(done) {
    if (typeof done === 'function') return queueMicrotask(() => done(null));
    return Promise.resolve();
  }
  async *entries() {
    for (let entry = this.readSync(); entry !== null; entry = this.readSync()) yield entry;
  }
  [Symbol.asyncIterator]() {
    return this.entries();
  }
}
fs.opendirSync = (path) => new Dir(toPath(path), fs.readdirSync(path, { withFileTypes: true }));
fs.opendir = (path, opts, done) => {
  done = callback(typeof opts === 'function' ? opts : done);
  fs.readdir(path, { withFileTypes: true }, (error, entries) => (error ? done(error) : done(null, new Dir(toPath(path), entries))));
};
promises.opendir = async (path) => new Dir(toPath(path), await promises.readdir(path, { withFileTypes: true }));

// ---- fs/promises FileHandle ----

class FileHandle {
  #fd;
  constructor(fd) {
    this.#fd = fd;
  }
  get fd() {
    return this.#fd;
  }
  async read(buffer, offset, length, position) {
    const a = readArgs(this.#fd, buffer, offset, length, position);
    const bytes = await callPromise('read', [this.#fd, a.length, a.position]);
    return { bytesRead: fillRead(a.buffer, a.offset, bytes), buffer: a.buffer };
  }
  async write(data, a, b, c) {
    const w = writeArgs(this.#fd, data, a, b, c);
    return { bytesWritten: await callPromise('write', [this.#fd, w.bytes, w.position]), buffer: w.source };
  }
  readFile(opts) {
    return promises.readFile(this.#fd, opts);
  }
  writeFile(data, opts) {
    return promises.writeFile(this.#fd, data, opts);
  }
  appendFile(data, opts) {
    return promises.appendFile(this.#fd, data, opts);
  }
  stat(opts) {
    return callPromise('fstat', [this.#fd], makeStats(options(opts, { bigint: false }).bigint));
  }
  truncate(length = 0) {
    return callPromise('ftruncate', [this.#fd, length], () => undefined);
  }
  sync() {
    return callPromise('fsync', [this.#fd], () => undefined);
  }
  datasync() {
    return this.sync();
  }
  chmod(mode) {
    return callPromise('fchmod', [this.#fd, toMode(mode, 0)], () => undefined);
  }
  utimes(atime, mtime) {
    return callPromise('futimes', [this.#fd, toTime(atime), toTime(mtime)], () => undefined);
  }
  async close() {
    if (this.#fd === -1) return;
    const fd = this.#fd;
    this.#fd = -1;
    await callPromise('close', [fd]);
  }
  async *readLines() {
    const text = await this.readFile('utf8');
    const lines = text.split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    yield* lines;
  }
  createReadStream(opts) {
    return fs.createReadStream(null, { ...opts, fd: this.#fd });
  }
  createWriteStream(opts) {
    return fs.createWriteStream(null, { ...opts, fd: this.#fd });
  }
}
promises.open = async (path, flags, mode) => new FileHandle(await callPromise('open', [toPath(path), toFlags(flags, O_RDONLY), toMode(mode, 0o666)]));
for (const name of ['readFile', 'writeFile', 'appendFile']) {
  const plain = promises[name];
  promises[name] = (path, ...rest) => plain(path instanceof FileHandle ? path.fd : path, ...rest);
}

// ---- streams (on `stream`, loaded only when a stream is made) ----

const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
let streamClasses;

function makeStreamClasses() {
  const { Readable, Writable } = internal.builtin('stream');

  class ReadStream extends Readable {
    constructor(path, opts) {
      const o = options(opts, { flags: 'r', encoding: null, mode: 0o666, autoClose: true, emitClose: true, highWaterMark: DEFAULT_HIGH_WATER_MARK });
      super({ highWaterMark: o.highWaterMark, encoding: o.encoding, emitClose: o.emitClose, autoDestroy: o.autoClose });
      this.path = o.fd === undefined ? toPath(path) : undefined;
      this.fd = o.fd === undefined ? null : typeof o.fd === 'object' ? o.fd.fd : o.fd;
      this.flags = o.flags;
      this.mode = o.mode;
      this.start = o.start;
      this.end = o.end ?? Infinity;
      this.pos = o.start;
      this.bytesRead = 0;
      this.autoClose = o.autoClose;
      if (this.start !== undefined && this.start > this.end) {
        const error = new RangeError(`The value of "start" is out of range. It must be <= "end" (here: ${this.end}). Received ${this.start}`);
        error.code = 'ERR_OUT_OF_RANGE';
        throw error;
      }
    }
    get pending() {
      return this.fd === null;
    }
    _construct(callback) {
      if (this.fd !== null) return callback();
      fs.open(this.path, this.flags, this.mode, (error, fd) => {
        if (error) return callback(error);
        this.fd = fd;
        callback();
        this.emit('open', fd);
        this.emit('ready');
      });
    }
    _read(size) {
      const left = this.end === Infinity ? size : Math.min(size, this.end - (this.pos ?? this.bytesRead) + 1);
      if (left <= 0) return this.push(null);
      callAsync('read', [this.fd, left, this.pos ?? null], (error, bytes) => {
        if (error) return this.destroy(error);
        if (this.pos !== undefined) this.pos += bytes.byteLength;
        this.bytesRead += bytes.byteLength;
        this.push(bytes.byteLength > 0 ? toBuffer(bytes) : null);
      });
    }
    _destroy(error, callback) {
      if (this.fd === null || !this.autoClose) return callback(error);
      const fd = this.fd;
      this.fd = null;
      callAsync('close', [fd], (closeError) => callback(error || closeError));
    }
    close(callback) {
      if (typeof callback === 'function') this.once('close', callback);
      this.destroy();
    }
  }

  class WriteStream extends Writable {
    constructor(path, opts) {
      const o = options(opts, { flags: 'w', encoding: 'utf8', mode: 0o666, autoClose: true, emitClose: true, highWaterMark: 16 * 1024 });
      super({ highWaterMark: o.highWaterMark, decodeStrings: true, defaultEncoding: o.encoding, emitClose: o.emitClose, autoDestroy: o.autoClose });
      this.path = o.fd === undefined ? toPath(path) : undefined;
      this.fd = o.fd === undefined ? null : typeof o.fd === 'object' ? o.fd.fd : o.fd;
      this.flags = o.flags;
      this.mode = o.mode;
      this.start = o.start;
      this.pos = o.start;
      this.bytesWritten = 0;
      this.autoClose = o.autoClose;
    }
    get pending() {
      return this.fd === null;
    }
    _construct(callback) {
      if (this.fd !== null) return callback();
      fs.open(this.path, this.flags, this.mode, (error, fd) => {
        if (error) return callback(error);
        this.fd = fd;
        callback();
        this.emit('open', fd);
        this.emit('ready');
      });
    }
    _write(chunk, encoding, callback) {
      const bytes = toBytes(chunk, encoding);
      callAsync('write', [this.fd, bytes, this.pos ?? null], (error, written) => {
        if (error) return callback(error);
        if (this.pos !== undefined) this.pos += written;
        this.bytesWritten += written;
        callback();
      });
    }
    _destroy(error, callback) {
      if (this.fd === null || !this.autoClose) return callback(error);
      const fd = this.fd;
      this.fd = null;
      callAsync('close', [fd], (closeError) => callback(error || closeError));
    }
    close(callback) {
      if (typeof callback === 'function') {
        if (this.closed) return queueMicrotask(callback);
        this.once('close', callback);
      }
      if (!this.writableEnded) this.end();
      else this.destroy();
    }
    destroySoon() {
      this.end();
    }
  }
  return { ReadStream, WriteStream };
}

const streamClass = (name) => (streamClasses ??= makeStreamClasses())[name];
fs.createReadStream = (path, opts) => new (streamClass('ReadStream'))(path, opts);
fs.createWriteStream = (path, opts) => new (streamClass('WriteStream'))(path, opts);
for (const name of ['ReadStream', 'WriteStream']) {
  Object.defineProperty(fs, name, { enumerable: true, configurable: true, get: () => streamClass(name) });
}

fs.promises = promises;
fs.Stats = Stats;
fs.BigIntStats = BigIntStats;
fs.Dirent = Dirent;
fs.Dir = Dir;
internal.fs = { fs, promises, toPath, toFlags, toMode, callAsync, callSync, makeError };
internal.modules.fs = fs;
internal.modules['fs/promises'] = promises;
