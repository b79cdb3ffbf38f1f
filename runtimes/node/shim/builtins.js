// Runs inside the isolate. The Node built-in modules the isolate offers without the host: buffer (feross's
// `buffer` package, evaluated on first use), events, util (subset), url, querystring, path, crypto (subset),
// timers, timers/promises, process. Any other built-in fails in require() with a message naming it.
/* global internal */
const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');

function promisify(original) {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  if (original[kCustomPromisify]) return original[kCustomPromisify];
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      original.call(this, ...args, (error, value) => (error ? reject(error) : resolve(value)));
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = kCustomPromisify;

function isDeepStrictEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof Map || a instanceof Set) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a.entries()) if (!b.has(k) || (a instanceof Map && !isDeepStrictEqual(v, b.get(k)))) return false;
    return true;
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && isDeepStrictEqual(a[k], b[k]));
}

const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const AsyncFunction = (async () => {}).constructor;
const types = {
  isPromise: (v) => v instanceof Promise,
  isDate: (v) => v instanceof Date,
  isRegExp: (v) => v instanceof RegExp,
  isMap: (v) => v instanceof Map,
  isSet: (v) => v instanceof Set,
  isNativeError: (v) => v instanceof Error,
  isTypedArray: (v) => v instanceof typedArrayProto.constructor,
  isUint8Array: (v) => v instanceof Uint8Array,
  isArrayBuffer: (v) => v instanceof ArrayBuffer,
  isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || v instanceof SharedArrayBuffer,
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isAsyncFunction: (v) => v instanceof AsyncFunction,
  isGeneratorFunction: (v) => typeof v === 'function' && /^(async\s+)?function\s*\*/.test(Function.prototype.toString.call(v)),
};

const deprecated = new Set();
const makeUtil = () => ({
  format: internal.format,
  formatWithOptions: internal.formatWithOptions,
  inspect: internal.inspect,
  promisify,
  callbackify(original) {
    return function (...args) {
      const callback = args.pop();
      original.apply(this, args).then(
        (value) => queueMicrotask(() => callback(null, value)),
        (error) => queueMicrotask(() => callback(error || new Error('Promise was rejected with a falsy value'))),
      );
    };
  },
  inherits(ctor, superCtor) {
    Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
    Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
  },
  deprecate(fn, message) {
    return function (...args) {
      if (!deprecated.has(message)) {
        deprecated.add(message);
        process.emitWarning(message);
      }
      return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
    };
  },
  debuglog: () => Object.assign(() => {}, { enabled: false }),
  isDeepStrictEqual,
  types,
  TextEncoder,
  TextDecoder,
  isArray: Array.isArray,
  isBoolean: (v) => typeof v === 'boolean',
  isNull: (v) => v === null,
  isNullOrUndefined: (v) => v === null || v === undefined,
  isNumber: (v) => typeof v === 'number',
  isString: (v) => typeof v === 'string',
  isSymbol: (v) => typeof v === 'symbol',
  isUndefined: (v) => v === undefined,
  isObject: (v) => v !== null && typeof v === 'object',
  isFunction: (v) => typeof v === 'function',
  isPrimitive: (v) => v === null || (typeof v !== 'object' && typeof v !== 'function'),
  isError: (v) => v instanceof Error,
  isDate: (v) => v instanceof Date,
  isRegExp: (v) => v instanceof RegExp,
  debug: () => Object.assign(() => {}, { enabled: false }),
});

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
  events: () => internal.need('events').EventEmitter,
  util: makeUtil,
  'util/types': () => types,
  url: () => internal.need('url').url,
  querystring: () => internal.need('url').querystring,
  path: () => internal.need('path').path,
  'path/posix': () => internal.need('path').path,
  timers: () => internal.timers,
  'timers/promises': () => internal.timersPromises,
  process: () => internal.process,
};
const made = new Map();
// Built-ins provided by shim parts (shim.ts `builtins`): the part, evaluated on first require, puts each
// one's exports on internal.modules under its name.
const builtinParts = Object.create(null);
internal.modules = Object.create(null);
internal.builtinPart = (part, names) => {
  for (const name of names) builtinParts[name] = part;
};

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
