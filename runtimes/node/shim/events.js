// Runs inside the isolate. The `events` built-in (Node 20's EventEmitter and its statics: once, on,
// errorMonitor, getEventListeners, setMaxListeners, addAbortListener; no domains) and the web globals Event,
// EventTarget, AbortController, AbortSignal. Hand-written: the `events` npm package is Node 11's emitter
// (no errorMonitor, no `on`, no signals), and this file is also the shim's own emitter (process, fetch).
/* global internal */
const DEFAULT_MAX_LISTENERS = 10;
const kErrorMonitor = Symbol('events.errorMonitor');
const kCaptureRejection = Symbol.for('nodejs.rejection');
const kTargetListeners = Symbol('kTargetListeners');
const kMaxListeners = Symbol('kMaxListeners');

function checkListener(listener) {
  if (typeof listener !== 'function') {
    throw new TypeError(`The "listener" argument must be of type function. Received ${internal.inspect(listener)}`);
  }
}

// A plain function, as Node's is: pre-class libraries (readable-stream, ws …) call EventEmitter.call(this).
function EventEmitter(options) {
  EventEmitter.init.call(this, options);
}

// Written as a class for brevity; its methods and statics are moved onto EventEmitter below.
class Methods {
  static init() {
    if (!this._events || this._events === Object.getPrototypeOf(this)._events) {
      this._events = Object.create(null);
      this._eventsCount = 0;
    }
    this._maxListeners = this._maxListeners || undefined;
  }

  setMaxListeners(n) {
    this._maxListeners = n;
    return this;
  }

  getMaxListeners() {
    return this._maxListeners === undefined ? EventEmitter.defaultMaxListeners : this._maxListeners;
  }

  emit(type, ...args) {
    const events = this._events;
    const handlers = events !== undefined ? events[type] : undefined;
    if (type === 'error' && events !== undefined && events[kErrorMonitor] !== undefined) this.emit(kErrorMonitor, ...args);
    if (handlers === undefined) {
      if (type === 'error') {
        const error = args[0];
        if (error instanceof Error) throw error;
        const wrapped = new Error(`Unhandled error. (${internal.inspect(error)})`);
        wrapped.code = 'ERR_UNHANDLED_ERROR';
        wrapped.context = error;
        throw wrapped;
      }
      return false;
    }
    if (typeof handlers === 'function') {
      handlers.apply(this, args);
    } else {
      for (const handler of handlers.slice()) handler.apply(this, args);
    }
    return true;
  }

  addListener(type, listener) {
    return addListener(this, type, listener, false);
  }

  prependListener(type, listener) {
    return addListener(this, type, listener, true);
  }

  once(type, listener) {
    checkListener(listener);
    return this.on(type, onceWrapper(this, type, listener));
  }

  prependOnceListener(type, listener) {
    checkListener(listener);
    return this.prependListener(type, onceWrapper(this, type, listener));
  }

  removeListener(type, listener) {
    checkListener(listener);
    const events = this._events;
    if (events === undefined || events[type] === undefined) return this;
    const list = events[type];
    if (list === listener || list.listener === listener) {
      if (--this._eventsCount === 0) this._events = Object.create(null);
      else delete events[type];
      if (events.removeListener) this.emit('removeListener', type, list.listener || listener);
      return this;
    }
    if (typeof list !== 'function') {
      const index = list.findLastIndex((l) => l === listener || l.listener === listener);
      if (index < 0) return this;
      list.splice(index, 1);
      if (list.length === 1) events[type] = list[0];
      if (events.removeListener !== undefined) this.emit('removeListener', type, listener);
    }
    return this;
  }

  removeAllListeners(type) {
    if (this._events === undefined) return this;
    if (type === undefined) {
      this._events = Object.create(null);
      this._eventsCount = 0;
    } else if (this._events[type] !== undefined) {
      if (--this._eventsCount === 0) this._events = Object.create(null);
      else delete this._events[type];
    }
    return this;
  }

  listeners(type) {
    return this.rawListeners(type).map((l) => l.listener || l);
  }

  rawListeners(type) {
    const list = this._events !== undefined ? this._events[type] : undefined;
    if (list === undefined) return [];
    return typeof list === 'function' ? [list] : list.slice();
  }

  listenerCount(type) {
    const list = this._events !== undefined ? this._events[type] : undefined;
    if (list === undefined) return 0;
    return typeof list === 'function' ? 1 : list.length;
  }

  eventNames() {
    return this._eventsCount > 0 ? Reflect.ownKeys(this._events) : [];
  }

  static listenerCount(emitter, type) {
    return emitter.listenerCount(type);
  }

  static once(emitter, name, options = {}) {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        if (typeof emitter.removeListener === 'function') {
          emitter.removeListener(name, onEvent);
          emitter.removeListener('error', onError);
        } else {
          emitter.removeEventListener(name, onEvent);
        }
        signal?.removeEventListener('abort', onAbort);
      };
      const onError = (error) => {
        cleanup();
        reject(error);
      };
      const onEvent = (...args) => {
        cleanup();
        resolve(args);
      };
      const onAbort = () => {
        cleanup();
        reject(abortError(signal.reason));
      };
      if (typeof emitter.on === 'function') {
        emitter.on(name, onEvent);
        if (name !== 'error') emitter.on('error', onError);
      } else if (typeof emitter.addEventListener === 'function') {
        emitter.addEventListener(name, onEvent, { once: true });
      } else {
        throw argTypeError('emitter', 'EventEmitter', emitter);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // An async iterator of the events `name` emits (each as its array of arguments); 'error' ends it by throwing.
  static on(emitter, name, options = {}) {
    const signal = options?.signal;
    if (signal?.aborted) throw abortError(signal.reason);
    const queued = [];
    const waiting = [];
    let failure = null;
    let done = false;
    const onEvent = (...args) => {
      const next = waiting.shift();
      if (next !== undefined) next.resolve({ value: args, done: false });
      else queued.push(args);
    };
    const onError = (error) => {
      done = true;
      const next = waiting.shift();
      if (next !== undefined) next.reject(error);
      else failure = error;
      iterator.return();
    };
    const onAbort = () => onError(abortError(signal.reason));
    const iterator = {
      next() {
        if (queued.length > 0) return Promise.resolve({ value: queued.shift(), done: false });
        if (failure !== null) {
          const error = failure;
          failure = null;
          return Promise.reject(error);
        }
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
      },
      return() {
        done = true;
        if (typeof emitter.removeListener === 'function') {
          emitter.removeListener(name, onEvent);
          emitter.removeListener('error', onError);
        } else {
          emitter.removeEventListener(name, onEvent);
        }
        signal?.removeEventListener('abort', onAbort);
        for (const next of waiting.splice(0)) next.resolve({ value: undefined, done: true });
        return Promise.resolve({ value: undefined, done: true });
      },
      throw(error) {
        onError(error);
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    if (typeof emitter.on === 'function') {
      emitter.on(name, onEvent);
      if (name !== 'error') emitter.on('error', onError);
    } else {
      emitter.addEventListener(name, onEvent);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    return iterator;
  }

  static getEventListeners(target, name) {
    if (typeof target.listeners === 'function') return target.listeners(name);
    return target[kTargetListeners]?.(name) ?? [];
  }

  static getMaxListeners(target) {
    if (typeof target.getMaxListeners === 'function') return target.getMaxListeners();
    return target[kMaxListeners] ?? EventEmitter.defaultMaxListeners;
  }

  static setMaxListeners(n = DEFAULT_MAX_LISTENERS, ...targets) {
    if (targets.length === 0) EventEmitter.defaultMaxListeners = n;
    for (const target of targets) {
      if (typeof target.setMaxListeners === 'function') target.setMaxListeners(n);
      else target[kMaxListeners] = n;
    }
  }

  // Calls `listener` once `signal` aborts; the returned disposable removes it.
  static addAbortListener(signal, listener) {
    checkListener(listener);
    const remove = () => signal.removeEventListener('abort', listener);
    if (signal.aborted) queueMicrotask(() => listener());
    else signal.addEventListener('abort', listener, { once: true });
    return { [Symbol.dispose ?? Symbol.for('nodejs.dispose')]: remove };
  }
}

function abortError(cause) {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  if (cause !== undefined) error.cause = cause;
  return error;
}

function argTypeError(name, type, value) {
  const error = new TypeError(`The "${name}" argument must be an instance of ${type}. Received ${internal.inspect(value)}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

for (const [from, to] of [[Methods, EventEmitter], [Methods.prototype, EventEmitter.prototype]]) {
  for (const key of Reflect.ownKeys(from)) {
    if (key !== 'prototype' && key !== 'length' && key !== 'name' && key !== 'constructor') {
      Object.defineProperty(to, key, Object.getOwnPropertyDescriptor(from, key));
    }
  }
}
EventEmitter.prototype.on = EventEmitter.prototype.addListener;
EventEmitter.prototype.off = EventEmitter.prototype.removeListener;
EventEmitter.prototype._events = undefined;
EventEmitter.prototype._eventsCount = 0;
EventEmitter.prototype._maxListeners = undefined;
EventEmitter.defaultMaxListeners = DEFAULT_MAX_LISTENERS;
EventEmitter.EventEmitter = EventEmitter;
EventEmitter.errorMonitor = kErrorMonitor;
EventEmitter.captureRejectionSymbol = kCaptureRejection;
EventEmitter.captureRejections = false;
EventEmitter.usingDomains = false;
EventEmitter.listenerCount = (emitter, type) => emitter.listenerCount(type);

function addListener(target, type, listener, prepend) {
  checkListener(listener);
  if (target._events === undefined) {
    target._events = Object.create(null);
    target._eventsCount = 0;
  }
  const events = target._events;
  if (events.newListener !== undefined) target.emit('newListener', type, listener.listener || listener);
  const existing = events[type];
  if (existing === undefined) {
    events[type] = listener;
    target._eventsCount++;
    return target;
  }
  let list = existing;
  if (typeof list === 'function') list = events[type] = prepend ? [listener, existing] : [existing, listener];
  else if (prepend) list.unshift(listener);
  else list.push(listener);
  const max = target.getMaxListeners();
  if (max > 0 && list.length > max && !list.warned) {
    list.warned = true;
    const name = target.constructor?.name ?? 'EventEmitter';
    const warning = new Error(`Possible EventEmitter memory leak detected. ${list.length} ${String(type)} listeners added to [${name}]. Use emitter.setMaxListeners() to increase limit`);
    warning.name = 'MaxListenersExceededWarning';
    Object.assign(warning, { emitter: target, type, count: list.length });
    process.emitWarning(warning);
  }
  return target;
}

function onceWrapper(target, type, listener) {
  const state = { fired: false, target, type, listener };
  const wrapped = function (...args) {
    if (state.fired) return undefined;
    state.fired = true;
    target.removeListener(type, wrapped);
    return listener.apply(target, args);
  };
  wrapped.listener = listener;
  return wrapped;
}

internal.EventEmitter = EventEmitter;
internal.modules.events = EventEmitter;

// Event, EventTarget, AbortController and AbortSignal: enough for fetch cancellation and libraries that
// feature-test them.
class Event {
  constructor(type, options = {}) {
    this.type = String(type);
    this.bubbles = Boolean(options.bubbles);
    this.cancelable = Boolean(options.cancelable);
    this.defaultPrevented = false;
    this.timeStamp = Date.now();
    this.target = null;
    this.currentTarget = null;
  }
  preventDefault() {
    if (this.cancelable) this.defaultPrevented = true;
  }
  stopPropagation() {}
  stopImmediatePropagation() {
    this._stopped = true;
  }
}

class EventTarget {
  #listeners = new Map();
  [kTargetListeners](type) {
    return (this.#listeners.get(type) || []).map((entry) => entry.listener);
  }
  addEventListener(type, listener, options = {}) {
    if (!listener) return;
    const list = this.#listeners.get(type) || [];
    if (list.some((entry) => entry.listener === listener)) return;
    list.push({ listener, once: typeof options === 'object' && Boolean(options.once) });
    this.#listeners.set(type, list);
  }
  removeEventListener(type, listener) {
    const list = this.#listeners.get(type);
    if (list) this.#listeners.set(type, list.filter((entry) => entry.listener !== listener));
  }
  dispatchEvent(event) {
    event.target = this;
    event.currentTarget = this;
    const handler = this[`on${event.type}`];
    if (typeof handler === 'function') handler.call(this, event);
    for (const entry of (this.#listeners.get(event.type) || []).slice()) {
      if (entry.once) this.removeEventListener(event.type, entry.listener);
      try {
        if (typeof entry.listener === 'function') entry.listener.call(this, event);
        else entry.listener.handleEvent(event);
      } catch (error) {
        internal.uncaught(error);
      }
      if (event._stopped) break;
    }
    return !event.defaultPrevented;
  }
}

function domError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

class AbortSignal extends EventTarget {
  constructor() {
    super();
    this.aborted = false;
    this.reason = undefined;
    this.onabort = null;
  }
  throwIfAborted() {
    if (this.aborted) throw this.reason;
  }
  static abort(reason) {
    const controller = new AbortController();
    controller.abort(reason);
    return controller.signal;
  }
  static timeout(ms) {
    const controller = new AbortController();
    setTimeout(() => controller.abort(domError('TimeoutError', 'The operation was aborted due to timeout')), ms).unref();
    return controller.signal;
  }
  static any(signals) {
    const controller = new AbortController();
    for (const signal of signals) {
      if (signal.aborted) {
        controller.abort(signal.reason);
        break;
      }
      signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    }
    return controller.signal;
  }
}

class AbortController {
  constructor() {
    this.signal = new AbortSignal();
  }
  abort(reason = domError('AbortError', 'This operation was aborted')) {
    const signal = this.signal;
    if (signal.aborted) return;
    signal.aborted = true;
    signal.reason = reason;
    signal.dispatchEvent(new Event('abort'));
  }
}

for (const [name, value] of Object.entries({ Event, EventTarget, AbortController, AbortSignal })) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true });
}
