// Runs inside the isolate. CommonJS: the host resolves a request and reads the file (only inside the code
// folder and the layers); the module is compiled here with Node's wrapper and a `sourceURL`, so stack
// traces show the user's own paths and line numbers. Module scope runs once; require.cache is per instance.
// Functions here are written as parenthesised expressions on purpose: V8 compiles those eagerly, so their
// bytecode is part of the shim's code cache instead of being compiled again on every cold start.
/* global internal, host */
// Captured before user code runs, which may replace the globals.
const globalEval = globalThis.eval;
const { parse } = JSON;
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAPPER_TAIL = '\n})';
const cache = Object.create(null);
// `${directory}\0${request}` → filename, so repeated requires never leave the isolate.
const resolvedPaths = new Map();

const dirname = (function dirname(filename) {
  const at = filename.lastIndexOf('/');
  return at <= 0 ? '/' : filename.slice(0, at);
});

class Module {
  constructor(filename, parent) {
    this.id = filename;
    this.filename = filename;
    this.path = dirname(filename);
    this.exports = {};
    this.parent = parent;
    this.loaded = false;
    this.children = [];
    this.paths = [];
  }
  require(request) {
    return requireFrom(request, this);
  }
}

const moduleError = (function moduleError(record, request, parent) {
  const error = new Error(record.message);
  error.code = record.code;
  if (record.code === 'MODULE_NOT_FOUND') {
    const stack = [];
    for (let m = parent; m; m = m.parent) stack.push(m.filename);
    if (stack.length > 0) error.message += `\nRequire stack:\n- ${stack.join('\n- ')}`;
    error.requireStack = stack;
  }
  return error;
});

const checkRequest = (function checkRequest(request) {
  if (typeof request !== 'string') throw new TypeError(`The "id" argument must be of type string. Received ${internal.inspect(request)}`);
  if (request === '') throw new TypeError("The argument 'id' must be a non-empty string. Received ''");
});

const requireFrom = (function requireFrom(request, parent) {
  checkRequest(request);
  const builtin = internal.builtin(request);
  if (builtin !== undefined) return builtin;
  const key = `${parent.path}\0${request}`;
  const known = resolvedPaths.get(key);
  if (known !== undefined && cache[known] !== undefined) return cache[known].exports;
  const record = host.resolve(request, parent.path, false);
  if (record.code !== undefined) throw moduleError(record, request, parent);
  resolvedPaths.set(key, record.filename);
  const cached = cache[record.filename];
  return cached !== undefined ? cached.exports : load(record, parent).exports;
});

const load = (function load(record, parent) {
  const module = new Module(record.filename, parent);
  if (internal.mainModule === undefined) internal.mainModule = module;
  cache[record.filename] = module;
  if (parent) parent.children.push(module);
  let loaded = false;
  try {
    if (record.json) module.exports = parseJson(record);
    else compile(module, record.source)(module.exports, makeRequire(module), module, module.filename, module.path);
    loaded = true;
  } finally {
    if (!loaded) delete cache[record.filename];
  }
  module.loaded = true;
  return module;
});

const parseJson = (function parseJson(record) {
  try {
    return parse(record.source);
  } catch (error) {
    error.message = `${record.filename}: ${error.message}`;
    throw error;
  }
});

const compile = (function compile(module, source) {
  try {
    return globalEval(`${WRAPPER_HEAD}${source}${WRAPPER_TAIL}\n//# sourceURL=${module.filename}`);
  } catch (error) {
    // eval's SyntaxError has no position; the host re-parses the file to say where, like Node does.
    if (error instanceof SyntaxError) {
      const where = host.syntaxLocation(module.filename);
      if (where) {
        error.message = `${error.message} (${where.location})`;
        error.stack = `${where.location}\n${where.excerpt}\n\n${error.name}: ${error.message}`;
      }
    }
    throw error;
  }
});

const makeRequire = (function makeRequire(module) {
  const require = (request) => requireFrom(request, module);
  require.resolve = (request) => {
    checkRequest(request);
    if (internal.builtin(request) !== undefined) return request;
    const record = host.resolve(request, module.path, true);
    if (record.code !== undefined) throw moduleError(record, request, module);
    return record.filename;
  };
  require.resolve.paths = (request) => (internal.builtin(request) !== undefined ? null : []);
  require.cache = cache;
  Object.defineProperty(require, 'main', { get: () => internal.mainModule, enumerable: true });
  return require;
});

// Loads the file a handler names (`index` of `index.main_handler`), already resolved and read by the host.
internal.loadEntry = (record) => {
  const cached = cache[record.filename];
  return cached !== undefined ? cached : load(record, undefined);
};
