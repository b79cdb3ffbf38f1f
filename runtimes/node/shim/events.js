// Runs inside the isolate. The `events` built-in (Node's EventEmitter without domains or captureRejections)
// and the web globals Event, EventTarget, AbortController, AbortSignal.
/* global internal */
const DEFAULT_MAX_LISTENERS = 10;

function checkListener(listener) {
  if (typeof listener !== 'function') {
    throw new TypeError(`The "listener" argument must be of type function. Received ${internal.inspect(listener)}`);
  }
}

class EventEmitter {
  constructor() {
    EventEmitter.init.call(this);
  }

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
    if (handlers === undefined) {
      if (type === 'error') {
        const error = args[0];
        if (error instanceof Error) throw error;
        const wrapped = new Error(`Unhandled error. (${internal.inspect(error)})`);
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

  static once(emitter, name) {
    return new Promise((resolve, reject) => {
      const onError = (error) => {
        emitter.removeListener(name, onEvent);
        reject(error);
      };
      const onEvent = (...args) => {
        if (name !== 'error') emitter.removeListener('error', onError);
        resolve(args);
      };
      emitter.once(name, onEvent);
      if (name !== 'error') emitter.once('error', onError);
    });
  }
}

EventEmitter.prototype.on = EventEmitter.prototype.addListener;
EventEmitter.prototype.off = EventEmitter.prototype.removeListener;
EventEmitter.prototype._events = undefined;
EventEmitter.prototype._eventsCount = 0;
EventEmitter.prototype._maxListeners = undefined;
EventEmitter.defaultMaxListeners = DEFAULT_MAX_LISTENERS;
EventEmitter.EventEmitter = EventEmitter;
EventEmitter.errorMonitor = Symbol('events.errorMonitor');

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
  } else if (typeof existing === 'function') {
    events[type] = prepend ? [listener, existing] : [existing, listener];
  } else if (prepend) {
    existing.unshift(listener);
  } else {
    existing.push(listener);
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
