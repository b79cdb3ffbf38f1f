// Runs inside the isolate. The handler contract (SPEC §2): load the handler (and a FunctionGraph
// initializer), then per invocation call it with (event, context, callback) and settle on the first of
// return value / promise / callback / context.done|succeed|fail. With callbackWaitsForEmptyEventLoop the
// invocation ends once no timer or fetch is pending; all of this bookkeeping stays inside the isolate so the
// warm path is one host → isolate call (`applyIgnored`: no promise, no stack capture) and one call back with
// the outcome (`host.done`, an ignored callback). `watch` hands the host a promise that only the isolate's
// death settles (isolated-vm rejects it as abandoned), so a death in the middle of a call is still noticed.
// Functions are parenthesised expressions for the same reason as in loader.js: eager compilation puts
// them in the code cache, and all of them run on a cold start or a first invocation.
/* global internal, host, config */
const RESULT = '0';
const ERROR = '1';
const LOAD_OK = '';
const LOAD_HANDLER_MISSING = 'H';
const LOAD_FAILED = 'L';
const LOAD_INITIALIZER_FAILED = 'I';
// Host dispatch kinds; must match DispatchKind in ../bridge.ts.
const DISPATCH_TIMER = 0;
const DISPATCH_FETCH_DONE = 1;
const DISPATCH_FETCH_FAILED = 2;
const DISPATCH_SERVICE = 3;
// User code may replace these globals; the runtime keeps its own.
const { parse, stringify } = JSON;
const ShimPromise = Promise;

let handler = null;
let current = null;
let checkQueued = false;

// Frames of this shim say nothing to the user; drop them (and the Promise constructor they call the
// handler from) from stacks the user sees.
const userStack = (function userStack(stack) {
  const lines = stack.split('\n');
  const isShim = (line) => line !== undefined && line.includes(config.shimFilename);
  return lines.filter((line, i) => !isShim(line) && !(line.trim() === 'at new Promise (<anonymous>)' && isShim(lines[i + 1]))).join('\n');
});

const describe = (function describe(error) {
  try {
    if (error instanceof Error || (error !== null && typeof error === 'object' && typeof error.message === 'string')) {
      const name = String(error.name || 'Error');
      return stringify({ name, message: String(error.message), stack: typeof error.stack === 'string' ? userStack(error.stack) : '' });
    }
    if (typeof error === 'string') return stringify({ message: error, stack: '' });
    let message;
    try {
      message = typeof error === 'object' && error !== null ? stringify(error) : String(error);
    } catch {
      message = String(error);
    }
    return stringify({ message, stack: '' });
  } catch {
    return stringify({ message: 'the handler failed with an error that cannot be described', stack: '' });
  }
});

class Invocation {
  constructor(requestId, deadline, resolve) {
    this.requestId = requestId;
    this.deadline = deadline;
    this.resolve = resolve;
    this.startedAt = Date.now();
    this.outcome = undefined;
    this.returned = false;
    this.awaitingPromise = false;
    this.context = null;
  }
}

const settleValue = (function settleValue(invocation, value) {
  if (invocation.outcome !== undefined) return;
  let json;
  try {
    json = stringify(value);
  } catch (error) {
    settleError(invocation, error);
    return;
  }
  invocation.outcome = RESULT + (json === undefined ? 'null' : json);
  scheduleCheck();
});

const settleError = (function settleError(invocation, error) {
  if (invocation.outcome !== undefined) return;
  invocation.outcome = ERROR + describe(error === undefined || error === null ? new Error(`the handler failed with ${error}`) : error);
  scheduleCheck();
});

const scheduleCheck = (function scheduleCheck() {
  if (checkQueued) return;
  checkQueued = true;
  ShimPromise.resolve().then(check);
});

// Runs after the microtasks already queued, so work chained right after a result is still counted.
const check = (function check() {
  checkQueued = false;
  const invocation = current;
  if (invocation === null) return;
  if (invocation.outcome === undefined) {
    // A handler that neither returned a value nor called back ends with null when nothing is left to do.
    if (!invocation.returned || invocation.awaitingPromise || internal.pending > 0) return;
    invocation.outcome = RESULT + 'null';
  }
  if (internal.pending === 0 || invocation.context.callbackWaitsForEmptyEventLoop === false || invocation.crashed === true) {
    current = null;
    internal.resetLogBudget();
    invocation.resolve(invocation.outcome);
  }
});
internal.loopMaybeEmpty = () => {
  if (current !== null) scheduleCheck();
};

internal.uncaught = (error) => {
  const process = internal.process;
  if (process._events !== undefined && process._events.uncaughtException !== undefined) {
    process.emit('uncaughtException', error, 'uncaughtException');
  } else if (current !== null && current.outcome === undefined) {
    // Node would exit here: the invocation fails now, not when its open sockets and timers end.
    current.crashed = true;
    settleError(current, error);
  } else {
    internal.write(`Uncaught ${internal.inspect(error)}`);
  }
};

// The function's context and env: set by load (configure), the shim being set up before the function is known.
let base = null;
let env = null;

const logAt = (function logAt(level) {
  return (...args) => internal.write(`${level} ${internal.format(...args)}`);
});
const logger = { debug: logAt('DEBUG'), info: logAt('INFO'), warn: logAt('WARN'), error: logAt('ERROR') };

const makeContext = (function makeContext(invocation) {
  const context = {
    request_id: invocation.requestId,
    function_name: base.function_name,
    function_version: base.function_version,
    namespace: base.namespace,
    memory_limit_in_mb: base.memory_limit_in_mb,
    time_limit_in_ms: base.time_limit_in_ms,
    environ: base.environ,
    environment: base.environment,
    tencentcloud_region: base.tencentcloud_region,
    tencentcloud_appid: base.tencentcloud_appid,
    tencentcloud_uin: base.tencentcloud_uin,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - Date.now()),
    done: (error, value) => (error !== undefined && error !== null ? settleError(invocation, error) : settleValue(invocation, value)),
    succeed: (value) => settleValue(invocation, value),
    fail: (error) => settleError(invocation, error),
  };
  if (config.style === 'functiongraph') addFunctionGraphGetters(context, invocation);
  return context;
});

const addFunctionGraphGetters = (function addFunctionGraphGetters(context, invocation) {
  Object.assign(context, {
    getRequestID: () => invocation.requestId,
    getRemainingTimeInMilliSeconds: () => Math.max(0, invocation.deadline - Date.now()),
    getFunctionName: () => base.function_name,
    getVersion: () => base.function_version,
    getMemorySize: () => base.memory_limit_in_mb,
    getRunningTimeInSeconds: () => Math.ceil(base.time_limit_in_ms / 1000),
    getUserData: (key) => env[key],
    getLogger: () => logger,
    getPackage: () => base.namespace,
    getProjectID: () => '',
    getAccessKey: () => '',
    getSecretKey: () => '',
    getToken: () => '',
  });
});

const isThenable = (function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
});

// The outcome goes back through host.done (an ignored callback: the isolate never waits for the host).
const done = host.done;

const invoke = (function invoke(requestId, payload, deadline) {
  const invocation = new Invocation(requestId, deadline, done);
  current = invocation;
  internal.resetLogBudget();
  const context = makeContext(invocation);
  invocation.context = context;
  let returned;
  try {
    const callback = (error, value) => (error !== undefined && error !== null ? settleError(invocation, error) : settleValue(invocation, value));
    returned = handler(parse(payload), context, callback);
  } catch (error) {
    invocation.returned = true;
    settleError(invocation, error);
    return;
  }
  invocation.returned = true;
  if (isThenable(returned)) {
    invocation.awaitingPromise = true;
    returned.then(
      (value) => settleValue(invocation, value),
      (error) => settleError(invocation, error),
    );
  } else if (returned !== undefined && handler.length < 3) {
    // A plain return counts for (event, context) handlers; callback-style handlers answer through it.
    settleValue(invocation, returned);
  } else {
    scheduleCheck();
  }
});

// Never settled by the shim: kept here so that only the isolate's end (its heap torn down) abandons it.
let deathWatch = null;
const watch = (function watch() {
  deathWatch ??= new ShimPromise(() => {});
  return deathWatch;
});

const findExport = (function findExport(module, name) {
  const exports = module.exports;
  return exports !== null && exports !== undefined ? exports[name] : undefined;
});

const runInitializer = (function runInitializer(initializer) {
  const invocation = new Invocation('', Date.now() + config.initTimeoutMs, null);
  const context = makeContext(invocation);
  return new ShimPromise((resolve, reject) => {
    const returned = initializer(context, (error, value) => (error !== undefined && error !== null ? reject(error) : resolve(value)));
    if (isThenable(returned)) returned.then(resolve, reject);
    else if (initializer.length < 2) resolve(returned);
  });
});

// The isolate was made and its shim set up ahead of need, with the platform's facts only (a spare,
// ../spares.ts); the function's own configuration arrives with its load. Copied in: it is this isolate's.
const configure = (function configure(functionConfig) {
  Object.assign(config, functionConfig);
  base = config.context;
  env = config.env;
  internal.configureProcess(config);
});

// `entry` and `initializerEntry` are the handler's and the initializer's files as the host read them;
// `functionConfig` the function's configuration (../instance.ts).
const load = (async function load(entry, initializerEntry, functionConfig) {
  configure(functionConfig);
  const names = config.handler;
  let module;
  try {
    module = internal.loadEntry(entry);
  } catch (error) {
    return LOAD_FAILED + describe(error);
  }
  handler = findExport(module, names.name);
  if (typeof handler !== 'function') return `${LOAD_HANDLER_MISSING}${names.file} does not export a function named "${names.name}"`;
  const init = config.initializer;
  if (init === null) return LOAD_OK;
  let initModule;
  try {
    initModule = internal.loadEntry(initializerEntry === null ? entry : initializerEntry);
  } catch (error) {
    return LOAD_FAILED + describe(error);
  }
  const initializer = findExport(initModule, init.name);
  if (typeof initializer !== 'function') return `${LOAD_HANDLER_MISSING}${init.file} does not export an initializer function named "${init.name}"`;
  try {
    await runInitializer(initializer);
  } catch (error) {
    return LOAD_INITIALIZER_FAILED + describe(error);
  }
  return LOAD_OK;
});

const dispatch = (function dispatch(kind, id, data) {
  if (kind === DISPATCH_TIMER) internal.fireTimer(id);
  else if (kind === DISPATCH_FETCH_DONE) internal.fetchDone(id, data);
  else if (kind === DISPATCH_FETCH_FAILED) internal.fetchFailed(id, data);
  else if (kind === DISPATCH_SERVICE) internal.serviceEvent(id, data);
});

internal.api = { load, invoke, dispatch, watch };
