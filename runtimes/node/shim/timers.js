// Runs inside the isolate. Node timers on top of host timers: the host only keeps a timer per id and calls
// back `dispatch(TIMER, id)`. The isolate keeps the truth (callback, ref state) so that "is the event
// loop empty?" (callbackWaitsForEmptyEventLoop) is answered here without a host round trip.
/* global internal, host */
const TIMEOUT = 0;
const INTERVAL = 1;
const IMMEDIATE = 2;
const MAX_DELAY = 2 ** 31 - 1;
const live = new Map();
let nextId = 1;

// Refed timers, immediates and fetches still to come; 0 means the event loop is empty.
internal.pending = 0;
internal.loopRef = () => {
  internal.pending++;
};
internal.loopUnref = () => {
  internal.pending--;
  if (internal.pending === 0) internal.loopMaybeEmpty();
};

class Timeout {
  constructor(kind, callback, args, delay) {
    this._id = nextId++;
    this._kind = kind;
    this._callback = callback;
    this._args = args;
    this._delay = delay;
    this._ref = true;
  }
  ref() {
    if (!this._ref && live.has(this._id)) internal.loopRef();
    this._ref = true;
    return this;
  }
  unref() {
    if (this._ref && live.has(this._id)) internal.loopUnref();
    this._ref = false;
    return this;
  }
  hasRef() {
    return this._ref;
  }
  refresh() {
    if (live.has(this._id)) {
      host.timerClear(this._id);
      host.timerStart(this._id, this._delay, this._kind);
    }
    return this;
  }
  close() {
    clear(this);
    return this;
  }
  [Symbol.toPrimitive]() {
    return this._id;
  }
}

function schedule(kind, callback, delay, args) {
  if (typeof callback !== 'function') {
    throw new TypeError(`The "callback" argument must be of type function. Received ${internal.inspect(callback)}`);
  }
  delay = Number(delay);
  if (!(delay >= 1 && delay <= MAX_DELAY)) delay = 1;
  // Set by async_hooks once a context store exists: the callback keeps the context it was scheduled in.
  if (internal.bindAsyncContext !== undefined) callback = internal.bindAsyncContext(callback);
  const timer = new Timeout(kind, callback, args, kind === IMMEDIATE ? 0 : Math.trunc(delay));
  live.set(timer._id, timer);
  internal.loopRef();
  host.timerStart(timer._id, timer._delay, kind);
  return timer;
}

function clear(timer) {
  const id = timer !== null && typeof timer === 'object' ? timer._id : Number(timer);
  const found = live.get(id);
  if (found === undefined) return;
  live.delete(id);
  host.timerClear(id);
  if (found._ref) internal.loopUnref();
}

internal.fireTimer = (id) => {
  const timer = live.get(id);
  if (timer === undefined) return;
  if (timer._kind !== INTERVAL) {
    live.delete(id);
    if (timer._ref) internal.loopUnref();
  }
  try {
    timer._callback.apply(timer, timer._args);
  } catch (error) {
    internal.uncaught(error);
  }
};

function queueMicrotask(callback) {
  if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
  if (internal.bindAsyncContext !== undefined) callback = internal.bindAsyncContext(callback);
  Promise.resolve().then(() => {
    try {
      callback();
    } catch (error) {
      internal.uncaught(error);
    }
  });
}

const globals = {
  setTimeout: (callback, delay, ...args) => schedule(TIMEOUT, callback, delay, args),
  setInterval: (callback, delay, ...args) => schedule(INTERVAL, callback, delay, args),
  setImmediate: (callback, ...args) => schedule(IMMEDIATE, callback, 0, args),
  clearTimeout: clear,
  clearInterval: clear,
  clearImmediate: clear,
  queueMicrotask,
};
for (const [name, value] of Object.entries(globals)) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: true });
}
internal.timers = globals;
