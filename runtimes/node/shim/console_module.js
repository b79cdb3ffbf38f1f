// Runs inside the isolate, on demand. The `console` built-in: as in Node, the global console object, with
// `Console`, a class whose instances format as the global one does but write each line to the streams given.
/* global internal */
function makeConsole(stdout, stderr, inspectOptions) {
  const counts = new Map();
  const timers = new Map();
  let indent = '';
  const line = (stream, text) => stream.write(`${indent ? text.replace(/^/gm, indent) : text}\n`);
  const format = (args) => (inspectOptions === undefined ? internal.format(...args) : internal.builtin('util').formatWithOptions(inspectOptions, ...args));
  const out = (...args) => line(stdout, format(args));
  const err = (...args) => line(stderr, format(args));
  return {
    log: out,
    info: out,
    debug: out,
    dirxml: out,
    warn: err,
    error: err,
    trace(...args) {
      const stack = new Error().stack.split('\n').slice(2).join('\n');
      line(stderr, `Trace${args.length ? ': ' + format(args) : ''}\n${stack}`);
    },
    dir(value, options) {
      line(stdout, internal.builtin('util').inspect(value, { customInspect: false, ...inspectOptions, ...options }));
    },
    assert(condition, ...args) {
      if (!condition) err(`Assertion failed${args.length ? ': ' + format(args) : ''}`);
    },
    count(label = 'default') {
      const n = (counts.get(`${label}`) || 0) + 1;
      counts.set(`${label}`, n);
      out(`${label}: ${n}`);
    },
    countReset(label = 'default') {
      counts.delete(`${label}`);
    },
    time(label = 'default') {
      timers.set(`${label}`, Date.now());
    },
    timeLog(label = 'default', ...args) {
      const start = timers.get(`${label}`);
      if (start !== undefined) out(`${label}: ${Date.now() - start}ms${args.length ? ' ' + format(args) : ''}`);
    },
    timeEnd(label = 'default') {
      const start = timers.get(`${label}`);
      if (start !== undefined) out(`${label}: ${Date.now() - start}ms`);
      timers.delete(`${label}`);
    },
    group(...args) {
      if (args.length) out(...args);
      indent += '  ';
    },
    groupCollapsed(...args) {
      if (args.length) out(...args);
      indent += '  ';
    },
    groupEnd() {
      indent = indent.slice(2);
    },
    table(data) {
      out(data);
    },
  };
}

function isWritable(stream) {
  return stream !== null && typeof stream === 'object' && typeof stream.write === 'function';
}

// `new Console(stdout[, stderr][, ignoreErrors])` or `new Console({ stdout, stderr, inspectOptions })`;
// callable without `new`, as Node's is.
function Console(options, stderr) {
  if (!new.target) return new Console(...arguments);
  const opts = isWritable(options) ? { stdout: options, stderr } : { ...options };
  if (!isWritable(opts.stdout)) {
    const error = new TypeError('The "stdout" argument must be an instance of Stream.');
    error.code = 'ERR_CONSOLE_WRITABLE_STREAM';
    throw error;
  }
  const methods = makeConsole(opts.stdout, isWritable(opts.stderr) ? opts.stderr : opts.stdout, opts.inspectOptions);
  for (const [name, method] of Object.entries(methods)) this[name] = method;
}

globalThis.console.Console = Console;
internal.modules.console = globalThis.console;
