// Runs inside the isolate, on demand; bundled with its library (../bundle.ts). The `util` built-in.
// inspect/format/formatWithOptions/stripVTControlCharacters are Node's own (node-inspect-extracted, part
// inspect.js, evaluated on their first call: ~10 ms that a function only using inherits or promisify never
// pays). The rest is written here after Node 20's lib/util.js. Not the `util` npm package: its `types`
// reach V8's internal slots through get-intrinsic and friends, ~10 ms of evaluation per isolate, where V8
// itself has an exact one-line brand check for each (below). console.log keeps the shim's small formatter
// (format.js), so a function that only logs never loads any of this.
/* global internal */

// Node's inspect, evaluated on first use. The functions here forward to it; its option objects are its own.
const nodeInspect = () => internal.need('inspect').nodeInspect;
function inspect(value, options) {
  return nodeInspect().inspect(...arguments);
}
for (const key of ['defaultOptions', 'colors', 'styles']) {
  Object.defineProperty(inspect, key, {
    enumerable: true,
    get: () => nodeInspect().inspect[key],
    set: (value) => {
      nodeInspect().inspect[key] = value;
    },
  });
}
inspect.custom = Symbol.for('nodejs.util.inspect.custom');
function format(format) {
  return nodeInspect().format(...arguments);
}
function formatWithOptions(inspectOptions, format) {
  return nodeInspect().formatWithOptions(...arguments);
}
function stripVTControlCharacters(string) {
  return nodeInspect().stripVTControlCharacters(string);
}

const kDeprecations = new Set();

// util.types: each check is a brand check V8 does exactly (a method that throws on the wrong receiver, or
// an internal-slot getter), so a look-alike object or a changed Symbol.toStringTag cannot fool it.
const brand = (method) => (value) => {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    method.call(value);
    return true;
  } catch {
    return false;
  }
};
const TypedArray = Object.getPrototypeOf(Uint8Array);
const typedArrayTag = Object.getOwnPropertyDescriptor(TypedArray.prototype, Symbol.toStringTag).get;
const isTypedArrayOf = (name) => (value) => ArrayBuffer.isView(value) && typedArrayTag.call(value) === name;
const functionSource = Function.prototype.toString;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor;
const ownConstructorOf = (value) => Object.getPrototypeOf(value)?.constructor;
const isFunctionOf = (...constructors) => (value) => {
  if (typeof value !== 'function') return false;
  try {
    functionSource.call(value);
  } catch {
    return false;
  }
  return constructors.includes(ownConstructorOf(value));
};
const iteratorOf = (make) => {
  const prototype = Object.getPrototypeOf(make());
  return (value) => value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === prototype;
};
const isBooleanObject = brand(Boolean.prototype.valueOf);
const isNumberObject = (value) => typeof value === 'object' && brand(Number.prototype.valueOf)(value);
const isStringObject = (value) => typeof value === 'object' && brand(String.prototype.valueOf)(value);
const isSymbolObject = (value) => typeof value === 'object' && brand(Symbol.prototype.valueOf)(value);
const isBigIntObject = (value) => typeof value === 'object' && brand(BigInt.prototype.valueOf)(value);
const isArrayBuffer = brand(Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get);
const isSharedArrayBuffer = typeof SharedArrayBuffer === 'function' ? brand(Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength').get) : () => false;
// Only real errors have the internal slot Object.prototype.toString reports as [object Error]; an own
// Symbol.toStringTag hides it, and then the prototype chain is the best evidence left.
const isNativeError = (value) => {
  if (value === null || typeof value !== 'object') return false;
  if (!(Symbol.toStringTag in value)) return Object.prototype.toString.call(value) === '[object Error]';
  return value instanceof Error;
};
const types = {
  isAnyArrayBuffer: (value) => isArrayBuffer(value) || isSharedArrayBuffer(value),
  isArgumentsObject: (value) => value !== null && typeof value === 'object' && !Array.isArray(value) && Object.prototype.toString.call(value) === '[object Arguments]',
  isArrayBuffer,
  isArrayBufferView: (value) => ArrayBuffer.isView(value),
  isAsyncFunction: isFunctionOf(AsyncFunction, AsyncGeneratorFunction),
  isBigInt64Array: isTypedArrayOf('BigInt64Array'),
  isBigIntObject,
  isBigUint64Array: isTypedArrayOf('BigUint64Array'),
  isBooleanObject,
  isBoxedPrimitive: (value) => isNumberObject(value) || isStringObject(value) || isBooleanObject(value) || isBigIntObject(value) || isSymbolObject(value),
  isCryptoKey: () => false,
  isDataView: brand(Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength').get),
  isDate: brand(Date.prototype.getTime),
  isExternal: () => false,
  isFloat32Array: isTypedArrayOf('Float32Array'),
  isFloat64Array: isTypedArrayOf('Float64Array'),
  isGeneratorFunction: isFunctionOf(GeneratorFunction, AsyncGeneratorFunction),
  isGeneratorObject: (value) => value !== null && typeof value === 'object' && Object.prototype.toString.call(value) === '[object Generator]',
  isInt8Array: isTypedArrayOf('Int8Array'),
  isInt16Array: isTypedArrayOf('Int16Array'),
  isInt32Array: isTypedArrayOf('Int32Array'),
  isKeyObject: () => false,
  isMap: brand(Object.getOwnPropertyDescriptor(Map.prototype, 'size').get),
  isMapIterator: iteratorOf(() => new Map().entries()),
  // Module namespaces and proxies are invisible from JavaScript; false for both, never a throw.
  isModuleNamespaceObject: (value) => value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === null && value[Symbol.toStringTag] === 'Module' && Object.isSealed(value),
  isNativeError,
  isNumberObject,
  // No side-effect-free brand check exists for promises (then() would attach a reaction).
  isPromise: (value) => value instanceof Promise,
  isProxy: () => false,
  isRegExp: brand(Object.getOwnPropertyDescriptor(RegExp.prototype, 'source').get),
  isSet: brand(Object.getOwnPropertyDescriptor(Set.prototype, 'size').get),
  isSetIterator: iteratorOf(() => new Set().values()),
  isSharedArrayBuffer,
  isStringObject,
  isSymbolObject,
  isTypedArray: (value) => ArrayBuffer.isView(value) && typedArrayTag.call(value) !== undefined,
  isUint8Array: isTypedArrayOf('Uint8Array'),
  isUint8ClampedArray: isTypedArrayOf('Uint8ClampedArray'),
  isUint16Array: isTypedArrayOf('Uint16Array'),
  isUint32Array: isTypedArrayOf('Uint32Array'),
  isWeakMap: brand(WeakMap.prototype.has),
  isWeakSet: brand(WeakSet.prototype.has),
};

// Node 20's inherits: keeps methods already on ctor.prototype (the `inherits` package's browser form does not).
function inherits(ctor, superCtor) {
  if (ctor === undefined || ctor === null) throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "ctor" argument must be of type function');
  if (superCtor === undefined || superCtor === null) throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "superCtor" argument must be of type function');
  if (superCtor.prototype === undefined) throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "superCtor.prototype" property must be of type object');
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

// Node 20's deprecate: a DeprecationWarning through process.emitWarning, once per code (or per function).
function deprecate(fn, msg, code) {
  if (process.noDeprecation === true) return fn;
  let warned = false;
  function deprecated(...args) {
    if (!warned && !(code !== undefined && kDeprecations.has(code))) {
      warned = true;
      if (code !== undefined) kDeprecations.add(code);
      process.emitWarning(msg, 'DeprecationWarning', code);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
  }
  Object.setPrototypeOf(deprecated, fn);
  if (fn.prototype) deprecated.prototype = fn.prototype;
  return deprecated;
}

// Node's promisify: honours util.promisify.custom (a registered symbol, which the `util` package's is not).
const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');
function promisify(original) {
  if (typeof original !== 'function') throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "original" argument must be of type function');
  // util.promisify(setTimeout) is timers/promises' setTimeout, as in Node (looked up here rather than set
  // on the timers at every cold start).
  const timers = internal.timers;
  const custom = original === timers.setTimeout || original === timers.setImmediate
    ? internal.builtin('timers/promises')[original === timers.setTimeout ? 'setTimeout' : 'setImmediate']
    : original[kCustomPromisify];
  if (custom !== undefined) {
    if (typeof custom !== 'function') throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "util.promisify.custom" argument must be of type function');
    return Object.defineProperty(custom, kCustomPromisify, { value: custom, enumerable: false, writable: false, configurable: true });
  }
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      Reflect.apply(original, this, [...args, (error, value) => (error ? reject(error) : resolve(value))]);
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
  Object.defineProperty(promisified, kCustomPromisify, { value: promisified, enumerable: false, writable: false, configurable: true });
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = kCustomPromisify;

// Node's callbackify: the callback runs on a later tick; a falsy rejection becomes ERR_FALSY_VALUE_REJECTION.
function callbackify(original) {
  if (typeof original !== 'function') throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "original" argument must be of type function');
  function callbackified(...args) {
    const callback = args.pop();
    if (typeof callback !== 'function') throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The last argument must be of type function');
    Reflect.apply(original, this, args).then(
      (value) => process.nextTick(callback, null, value),
      (reason) => {
        if (!reason) {
          const error = new Error('Promise was rejected with falsy value');
          error.code = 'ERR_FALSY_VALUE_REJECTION';
          error.reason = reason;
          reason = error;
        }
        process.nextTick(callback, reason);
      },
    );
  }
  Object.setPrototypeOf(callbackified, Object.getPrototypeOf(original));
  Object.defineProperties(callbackified, Object.getOwnPropertyDescriptors(original));
  return callbackified;
}

// NODE_DEBUG=name[,name…] (with * wildcards) turns on util.debuglog(name)'s output on stderr.
const debugs = new Map();
function debuglog(section, callback) {
  const name = String(section).toUpperCase();
  let logger = debugs.get(name);
  if (logger === undefined) {
    const wanted = (process.env.NODE_DEBUG ?? '').split(/[\s,]+/).filter(Boolean)
      .map((pattern) => new RegExp(`^${pattern.replace(/[|\\{}()[\]^$+?.]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i'));
    const enabled = wanted.some((pattern) => pattern.test(name));
    logger = enabled ? (...args) => console.error('%s %d: %s', name, process.pid, format(...args)) : () => {};
    Object.defineProperty(logger, 'enabled', { value: enabled, enumerable: true });
    debugs.set(name, logger);
  }
  if (typeof callback === 'function') callback(logger);
  return logger;
}

function codeError(Type, code, message) {
  const error = new Type(message);
  error.code = code;
  return error;
}

function toUSVString(string) {
  return String(string).toWellFormed();
}

function aborted(signal, resource) {
  if (signal === undefined || signal === null || typeof signal !== 'object' || !('aborted' in signal)) {
    throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "signal" argument must be an instance of AbortSignal');
  }
  if (resource === undefined || resource === null) throw codeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "resource" argument must be of type object');
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

const util = {
  _extend(target, source) {
    if (source === null || typeof source !== 'object') return target;
    for (const key of Object.keys(source)) target[key] = source[key];
    return target;
  },
  callbackify,
  debug: debuglog,
  debuglog,
  deprecate,
  format,
  formatWithOptions,
  inherits,
  inspect,
  isArray: Array.isArray,
  isBoolean: (value) => typeof value === 'boolean',
  isBuffer: (value) => Buffer.isBuffer(value),
  isDate: types.isDate,
  // assert's comparison is Node's algorithm; loaded only when isDeepStrictEqual is first called.
  isDeepStrictEqual: (a, b) => internal.need('assert').isDeepStrictEqual(a, b),
  isError: (value) => Object.prototype.toString.call(value) === '[object Error]' || value instanceof Error,
  isFunction: (value) => typeof value === 'function',
  isNull: (value) => value === null,
  isNullOrUndefined: (value) => value === null || value === undefined,
  isNumber: (value) => typeof value === 'number',
  isObject: (value) => value !== null && typeof value === 'object',
  isPrimitive: (value) => value === null || (typeof value !== 'object' && typeof value !== 'function'),
  isRegExp: types.isRegExp,
  isString: (value) => typeof value === 'string',
  isSymbol: (value) => typeof value === 'symbol',
  isUndefined: (value) => value === undefined,
  log(...args) {
    const now = new Date();
    const time = [now.getHours(), now.getMinutes(), now.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][now.getMonth()];
    console.log('%s - %s', `${now.getDate()} ${month} ${time}`, format(...args));
  },
  promisify,
  stripVTControlCharacters,
  toUSVString,
  aborted,
  types,
  TextEncoder: globalThis.TextEncoder,
  TextDecoder: globalThis.TextDecoder,
};

internal.modules.util = util;
internal.modules['util/types'] = types;
