// Runs inside the isolate. `console` writes each call as one text to the host's InstanceLog, which frames
// it per request; the print time travels along so lines keep their order and real timestamps.
/* global internal, host */
const counts = new Map();
const timers = new Map();
let groupIndent = '';

function write(text) {
  host.log(groupIndent ? text.replace(/^/gm, groupIndent) : text, Date.now());
}
internal.write = write;

function print(...args) {
  write(internal.format(...args));
}

const console = {
  log: print,
  info: print,
  debug: print,
  warn: print,
  error: print,
  trace(...args) {
    const stack = new Error().stack.split('\n').slice(2).join('\n');
    write(`Trace${args.length ? ': ' + internal.format(...args) : ''}\n${stack}`);
  },
  dir(value, options) {
    write(internal.inspect(value, options));
  },
  assert(condition, ...args) {
    if (!condition) write(`Assertion failed${args.length ? ': ' + internal.format(...args) : ''}`);
  },
  count(label = 'default') {
    const n = (counts.get(label) || 0) + 1;
    counts.set(label, n);
    write(`${label}: ${n}`);
  },
  countReset(label = 'default') {
    counts.delete(label);
  },
  time(label = 'default') {
    timers.set(label, Date.now());
  },
  timeLog(label = 'default', ...args) {
    const start = timers.get(label);
    if (start !== undefined) write(`${label}: ${Date.now() - start}ms${args.length ? ' ' + internal.format(...args) : ''}`);
  },
  timeEnd(label = 'default') {
    console.timeLog(label);
    timers.delete(label);
  },
  group(...args) {
    if (args.length) print(...args);
    groupIndent += '  ';
  },
  groupEnd() {
    groupIndent = groupIndent.slice(2);
  },
  table(data) {
    print(data);
  },
};
console.groupCollapsed = console.group;
Object.defineProperty(globalThis, 'console', { value: console, writable: true, configurable: true, enumerable: false });
internal.console = console;
