// Runs inside the isolate. A minimal `process`: env, version, timing, nextTick, stdout/stderr that write to
// the log, and process events (uncaughtException listeners see errors thrown in timers).
/* global internal, host, config */
const startedAt = Date.now();

function hrtime(previous) {
  const now = Date.now() - startedAt;
  let seconds = Math.floor(now / 1000);
  let nanos = (now % 1000) * 1e6;
  if (previous) {
    seconds -= previous[0];
    nanos -= previous[1];
    if (nanos < 0) {
      seconds--;
      nanos += 1e9;
    }
  }
  return [seconds, nanos];
}
hrtime.bigint = () => BigInt(Date.now() - startedAt) * 1000000n;

const stream = (fd) => ({
  fd,
  isTTY: false,
  write(chunk, encoding, callback) {
    internal.write(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(done);
    return true;
  },
});

const process = {
  title: 'node',
  version: config.nodeVersion,
  versions: { node: config.nodeVersion.slice(1) },
  release: { name: 'node' },
  platform: 'linux',
  arch: config.arch,
  pid: 1,
  ppid: 0,
  argv: ['node', config.codeDir],
  execArgv: [],
  env: config.env,
  exitCode: undefined,
  stdout: stream(1),
  stderr: stream(2),
  hrtime,
  cwd: () => config.codeDir,
  chdir() {
    throw new Error('process.chdir() is not supported in the isolate');
  },
  umask: () => 0o22,
  uptime: () => (Date.now() - startedAt) / 1000,
  memoryUsage() {
    const [used, total, external] = host.memory();
    return { rss: total + external, heapTotal: total, heapUsed: used, external, arrayBuffers: external };
  },
  cpuUsage: () => ({ user: 0, system: 0 }),
  nextTick(callback, ...args) {
    queueMicrotask(() => callback(...args));
  },
  emitWarning(warning) {
    internal.write(`(node) Warning: ${warning instanceof Error ? warning.message : warning}`);
  },
  // Like a Node process ending: the host drops the isolate and the invocation fails with 439.
  exit(code) {
    host.exit(code === undefined ? (process.exitCode ?? 0) : Number(code));
    throw new Error('process.exit() called');
  },
  abort() {
    process.exit(134);
  },
  binding() {
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

// performance (perf_hooks.js, on first use) counts from here.
internal.timeOrigin = Date.now();

Object.defineProperties(globalThis, {
  process: { value: process, writable: true, configurable: true },
  global: { value: globalThis, writable: true, configurable: true },
});
