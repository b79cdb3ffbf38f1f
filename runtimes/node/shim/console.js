// Runs inside the isolate. `console` writes each call as one text to the host's InstanceLog, which frames
// it per request; the print time travels along so lines keep their order and real timestamps.
/* global internal, host, config */
const counts = new Map();
const timers = new Map();
let groupIndent = '';

// Output past `config.logBudget` characters in one invocation is only counted here: the host keeps the
// head of a log anyway, and writes sent across would queue on the host's loop faster than it drains them.
let budget = config.logBudget;
let droppedBytes = 0;
let droppedLines = 0;
const NON_ASCII = /[^\x00-\x7f]/;

const utf8Length = (function utf8Length(text) {
  if (!NON_ASCII.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
});

function write(text) {
  const indented = groupIndent ? text.replace(/^/gm, groupIndent) : text;
  if (budget > 0) {
    budget -= indented.length;
    host.log(indented, Date.now());
    return;
  }
  droppedBytes += utf8Length(indented) + 1;
  for (let at = indented.indexOf('\n'); at >= 0; at = indented.indexOf('\n', at + 1)) droppedLines++;
  droppedLines++;
}
internal.write = write;
// At each invocation's start and end: report what was only counted, and open a new budget.
internal.resetLogBudget = () => {
  if (droppedLines > 0) host.log('', Date.now(), droppedBytes, droppedLines);
  droppedBytes = 0;
  droppedLines = 0;
  budget = config.logBudget;
};

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
