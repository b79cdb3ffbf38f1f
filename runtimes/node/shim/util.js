// Runs inside the isolate, on demand; bundled with its libraries (../bundle.ts). The `util` built-in:
// inspect/format are Node's own (inspect.js, loaded on their first call); promisify,
// callbackify, debuglog, types and the legacy is* checks are the `util` package (Node's util for other
// engines); what Node 18/20 added since is filled in here. console.log keeps the shim's small formatter
// (format.js) so a function that only logs never loads this.
/* global internal */
const legacy = require('util/util.js');

// Node's inspect (inspect.js), evaluated on first use: many libraries require `util` only for inherits,
// promisify or deprecate. The functions here forward to it; inspect's option objects are its own.
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

// Checks the `util` package cannot do in JavaScript; false is what they are for anything a function can make.
const types = {
  ...legacy.types,
  isNativeError: (value) => value instanceof Error || Object.prototype.toString.call(value) === '[object Error]',
  isProxy: () => false,
  isExternal: () => false,
  isModuleNamespaceObject: () => false,
  isKeyObject: () => false,
  isCryptoKey: () => false,
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
  _extend: legacy._extend,
  callbackify: legacy.callbackify,
  debug: legacy.debuglog,
  debuglog: legacy.debuglog,
  deprecate,
  format,
  formatWithOptions,
  inherits,
  inspect,
  isArray: Array.isArray,
  isBoolean: legacy.isBoolean,
  isBuffer: (value) => Buffer.isBuffer(value),
  isDate: legacy.isDate,
  // assert's comparison is Node's algorithm; loaded only when isDeepStrictEqual is first called.
  isDeepStrictEqual: (a, b) => internal.need('assert').isDeepStrictEqual(a, b),
  isError: legacy.isError,
  isFunction: legacy.isFunction,
  isNull: legacy.isNull,
  isNullOrUndefined: legacy.isNullOrUndefined,
  isNumber: legacy.isNumber,
  isObject: legacy.isObject,
  isPrimitive: legacy.isPrimitive,
  isRegExp: legacy.isRegExp,
  isString: legacy.isString,
  isSymbol: legacy.isSymbol,
  isUndefined: legacy.isUndefined,
  log: legacy.log,
  promisify: legacy.promisify,
  stripVTControlCharacters,
  toUSVString,
  aborted,
  types,
  TextEncoder: globalThis.TextEncoder,
  TextDecoder: globalThis.TextDecoder,
};

internal.modules.util = util;
internal.modules['util/types'] = types;
