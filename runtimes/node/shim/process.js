// Runs inside the isolate. A minimal `process`: env, version, timing, nextTick, stdout/stderr that write to
// the log, and process events (uncaughtException listeners see errors thrown in timers).
/* global internal, host, config */
// Set when the isolate is given its function (internal.configureProcess), not when the spare was made.
let startedAt = Date.now();
const NS_PER_SEC = 1000000000n;

// The host's monotonic clock (process.hrtime.bigint), in nanoseconds: real resolution, which V8 alone
// does not offer an isolate. Read through a sync call, so a reading may lag by the gateway's loop latency.
const nowNs = () => BigInt(host.hrtime());

function hrtime(previous) {
  const now = nowNs();
  let seconds = Number(now / NS_PER_SEC);
  let nanos = Number(now % NS_PER_SEC);
  if (previous) {
    if (!Array.isArray(previous)) {
      const error = new TypeError(`The "time" argument must be an instance of Array. Received ${internal.inspect(previous)}`);
      error.code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
    seconds -= previous[0];
    nanos -= previous[1];
    if (nanos < 0) {
      seconds--;
      nanos += 1e9;
    }
  }
  return [seconds, nanos];
}
hrtime.bigint = nowNs;

// Facts about the host's Node (versions, release, features), asked once, when first read.
let facts;
const hostFacts = () => (facts ??= host.processFacts());

// stdout/stderr write into the function's log. A line written in pieces within one synchronous run is
// logged as one line; a piece left without a newline is flushed when that run ends.
const stream = (fd) => {
  let partial = '';
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (partial !== '') internal.write(partial);
    partial = '';
  };
  const out = {
    fd,
    isTTY: false,
    writable: true,
    columns: undefined,
    write(chunk, encoding, callback) {
      const text = typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      const all = partial + text;
      const end = all.lastIndexOf('\n');
      if (end >= 0) internal.write(all.slice(0, end + 1));
      partial = all.slice(end + 1);
      if (partial !== '' && !flushQueued) {
        flushQueued = true;
        queueMicrotask(flush);
      }
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(done);
      return true;
    },
    end(chunk, encoding, callback) {
      if (chunk !== undefined && typeof chunk !== 'function') out.write(chunk, encoding);
      flush();
      const done = [chunk, encoding, callback].find((arg) => typeof arg === 'function');
      if (done) queueMicrotask(done);
      return out;
    },
    on: () => out,
    once: () => out,
    off: () => out,
    removeListener: () => out,
    emit: () => false,
    cork() {},
    uncork() {},
    hasColors: () => false,
    getColorDepth: () => 1,
  };
  return out;
};

let mask = 0o22;
// Node prints how to trace warnings once, after the first one.
let traceHintShown = false;
const process = {
  title: 'node',
  version: config.nodeVersion,
  get versions() {
    return hostFacts().versions;
  },
  get release() {
    return hostFacts().release;
  },
  get features() {
    return hostFacts().features;
  },
  config: { target_defaults: {}, variables: {} },
  execPath: `/var/lang/node${config.nodeVersion.slice(1).split('.')[0]}/bin/node`,
  platform: 'linux',
  arch: config.arch,
  pid: 1,
  ppid: 0,
  get argv0() {
    return 'node';
  },
  // The entry file and env are the function's: filled in by internal.configureProcess.
  argv: [`/var/lang/node${config.nodeVersion.slice(1).split('.')[0]}/bin/node`],
  execArgv: [],
  env: {},
  exitCode: undefined,
  stdout: stream(1),
  stderr: stream(2),
  hrtime,
  cwd: () => config.codeDir,
  chdir() {
    throw new Error('process.chdir() is not supported in the isolate');
  },
  umask(value) {
    const old = mask;
    if (value !== undefined) mask = (typeof value === 'string' ? parseInt(value, 8) : Number(value)) & 0o777;
    return old;
  },
  // SCF runs functions as the user qcloud (os.userInfo).
  getuid: () => 10000,
  geteuid: () => 10000,
  getgid: () => 10000,
  getegid: () => 10000,
  getgroups: () => [10000],
  kill() {
    const error = new Error('kill EPERM');
    error.code = 'EPERM';
    error.errno = -1;
    error.syscall = 'kill';
    throw error;
  },
  resourceUsage: () => ({ userCPUTime: 0, systemCPUTime: 0, maxRSS: Math.round(process.memoryUsage().rss / 1024) }),
  uptime: () => (Date.now() - startedAt) / 1000,
  memoryUsage() {
    const [used, total, external] = host.memory();
    return { rss: total + external, heapTotal: total, heapUsed: used, external, arrayBuffers: external };
  },
  cpuUsage: () => ({ user: 0, system: 0 }),
  nextTick(callback, ...args) {
    queueMicrotask(() => callback(...args));
  },
  // As Node prints a warning on stderr: `(node:PID) Type: message`, plus the `warning` event.
  emitWarning(warning, type, code) {
    let options = type !== null && typeof type === 'object' ? type : { type, code };
    if (typeof type === 'function') options = {};
    let error = warning;
    if (typeof warning === 'string') {
      error = new Error(warning);
      error.name = options.type || 'Warning';
      if (options.code !== undefined) error.code = options.code;
      if (options.detail !== undefined) error.detail = options.detail;
    } else if (!(warning instanceof Error)) {
      const failure = new TypeError(`The "warning" argument must be of type string or an instance of Error. Received ${internal.inspect(warning)}`);
      failure.code = 'ERR_INVALID_ARG_TYPE';
      throw failure;
    }
    if (error.name === 'DeprecationWarning' && process.noDeprecation) return;
    const prefix = error.code !== undefined ? `[${error.code}] ` : '';
    internal.write(`(node:${process.pid}) ${prefix}${error.name}: ${error.message}${error.detail !== undefined ? `\n${error.detail}` : ''}`);
    if (!traceHintShown) {
      traceHintShown = true;
      const flag = error.name === 'DeprecationWarning' ? '--trace-deprecation' : '--trace-warnings';
      internal.write(`(Use \`node ${flag} ...\` to show where the warning was created)`);
    }
    if (process._events !== undefined) queueMicrotask(() => process.emit('warning', error));
  },
  // Like a Node process ending: the host drops the isolate and the invocation fails with 439.
  exit(code) {
    host.exit(code === undefined ? (process.exitCode ?? 0) : Number(code));
    throw new Error('process.exit() called');
  },
  abort() {
    process.exit(134);
  },
  // Deprecated, but SDKs still read the buffer limits from it (cos-nodejs-sdk-v5: kMaxLength); those are
  // the isolate's Buffer's own. Any other binding is native code the isolate does not have.
  binding(name) {
    if (name === 'buffer') {
      const { kMaxLength, kStringMaxLength } = internal.builtin('buffer');
      return { kMaxLength, kStringMaxLength };
    }
    throw new Error('process.binding is not supported in the isolate');
  },
};

// process is an EventEmitter; the `events` part is lazy, so the first listener call upgrades it.
const EMITTER_METHODS = ['on', 'once', 'off', 'addListener', 'prependListener', 'prependOnceListener', 'removeListener', 'removeAllListeners', 'emit', 'listeners', 'rawListeners', 'listenerCount', 'eventNames', 'setMaxListeners', 'getMaxListeners'];
for (const method of EMITTER_METHODS) {
  process[method] = function (...args) {
    for (const name of EMITTER_METHODS) delete process[name];
    Object.setPrototypeOf(process, internal.need('events').EventEmitter.prototype);
    return process[method](...args);
  };
}
process.memoryUsage.rss = () => process.memoryUsage().rss;
// Object.prototype.toString(process) is '[object process]' in Node; libraries test it to detect Node (axios
// picks its http adapter by it).
Object.defineProperty(process, Symbol.toStringTag, { value: 'process', configurable: true });
internal.process = process;

// performance (perf_hooks.js, on first use) counts from the function's start (set again below).
internal.timeOrigin = Date.now();

// The function's part of `process`, once it is known (shim/invoke.js's load; the shim is set up before).
internal.configureProcess = (function configureProcess(functionConfig) {
  process.argv[1] = `${config.codeDir}/${functionConfig.handler.file}.js`;
  process.env = functionConfig.env;
  startedAt = Date.now();
  internal.timeOrigin = startedAt;
});

Object.defineProperties(globalThis, {
  process: { value: process, writable: true, configurable: true },
  global: { value: globalThis, writable: true, configurable: true },
});
