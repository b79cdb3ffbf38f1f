// Runs inside the isolate. The registry of the Node built-in modules the isolate offers: a few made here
// (buffer is feross's `buffer` package, evaluated on first use), the rest provided by shim parts (shim.ts
// `builtins`), evaluated on first require. Any other built-in fails in require() with a message naming it.
/* global internal, host */
const loadBuffer = () => internal.need('buffer').buffer;

// `Buffer` becomes a real global the first time anything touches it, so isolates that never use it
// never pay for evaluating the package.
Object.defineProperty(globalThis, 'Buffer', {
  configurable: true,
  enumerable: false,
  get() {
    const { Buffer } = loadBuffer();
    Object.defineProperty(globalThis, 'Buffer', { value: Buffer, writable: true, configurable: true, enumerable: false });
    return Buffer;
  },
  set(value) {
    Object.defineProperty(globalThis, 'Buffer', { value, writable: true, configurable: true, enumerable: false });
  },
});

const factories = {
  buffer: loadBuffer,
  url: () => internal.need('url').url,
  querystring: () => internal.need('url').querystring,
  path: () => internal.need('path').path,
  'path/posix': () => internal.need('path').path,
  timers: () => {
    const { queueMicrotask, ...timers } = internal.timers;
    return Object.defineProperty(timers, 'promises', { enumerable: true, get: () => internal.builtin('timers/promises') });
  },
  process: () => internal.process,
  // Node's old alias of util.
  sys: () => internal.builtin('util'),
};
const made = new Map();
const builtinParts = internal.builtinParts;

// The exports of a built-in the isolate provides, or undefined when it does not provide that name.
internal.builtin = (request) => {
  const name = request.startsWith('node:') ? request.slice(5) : request;
  let exports = made.get(name);
  if (exports === undefined) {
    if (Object.hasOwn(factories, name)) exports = factories[name]();
    else if (builtinParts[name] !== undefined) exports = internal.need(builtinParts[name]).modules[name];
    if (exports !== undefined) made.set(name, exports);
  }
  return exports;
};
internal.builtinNames = () => [...Object.keys(factories), ...Object.keys(builtinParts)];

// `require` inside bundled parts (../bundle.ts): Node built-in names, as libraries write them (`node:x`,
// `x`, `x/` for the npm twin), are the isolate's own built-ins.
const BUNDLE_GLOBALS = {
  'abort-controller': () => ({ AbortController: globalThis.AbortController, AbortSignal: globalThis.AbortSignal }),
};
internal.bundleRequire = (request) => {
  const name = (request.startsWith('node:') ? request.slice(5) : request).replace(/\/$/, '');
  const exports = Object.hasOwn(BUNDLE_GLOBALS, name) ? BUNDLE_GLOBALS[name]() : internal.builtin(name);
  if (exports !== undefined) return exports;
  // The host's refusal, worded as for the user's own require of the name.
  const record = host.resolve(name, '/', true);
  const error = new Error(record.message);
  error.code = record.code;
  throw error;
};
