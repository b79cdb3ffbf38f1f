// Runs inside the isolate, on demand. `async_hooks`: AsyncLocalStorage and AsyncResource. An isolate has no
// promise hooks (isolated-vm does not expose V8's), so the context is found another way:
// - synchronously inside run() (or a callback bound to a context), a variable holds it;
// - in a continuation after `await`, V8's zero-cost async stack trace still shows the async function that
//   run() called the user's function from; that function is named after its context, so reading the stack
//   finds it. It follows await chains, Promise.all/any/allSettled and .then chains awaited by them;
// - timers, setImmediate, process.nextTick, queueMicrotask and promise callbacks are bound to the context
//   current when they are scheduled (internal.bindAsyncContext), as Node's async resources are.
// Known limit: a promise awaited in two places (or given two .then handlers and awaited) hides the chain
// above it from V8's stack walk; a continuation below it then sees the store of enterWith() or none.
// Functions that never construct an AsyncLocalStorage pay nothing: none of this is loaded or hooked.
/* global internal */
const FRAME_PREFIX = '__fngate_async_context_';
const ROOT = new Map();
let current = ROOT;
// Nonzero while a context frame is on the synchronous stack: `current` is then the truth.
let syncDepth = 0;
// What enterWith() set outside any frame: the fallback when the stack shows no frame.
let entered = ROOT;
let nextContextId = 1;
const contexts = new Map();
const forget = new FinalizationRegistry((id) => contexts.delete(id));
const frames = new WeakMap();
let hooked = false;

const isNativePromise = (value) => value instanceof Promise;

// The async function a context's code runs in; its name is how a later stack walk finds the context.
function frameOf(context) {
  let frame = frames.get(context);
  if (frame === undefined) {
    const id = nextContextId++;
    frame = async function (fn, thisArg, args, box) {
      const previous = current;
      current = context;
      syncDepth++;
      let result;
      try {
        result = Reflect.apply(fn, thisArg, args);
      } catch (error) {
        box.threw = true;
        box.error = error;
        return undefined;
      } finally {
        current = previous;
        syncDepth--;
      }
      box.value = result;
      // `return await` (not a plain await): V8 links the awaited promise to this frame in async stacks.
      return isNativePromise(result) ? await result : result;
    };
    Object.defineProperty(frame, 'name', { value: `${FRAME_PREFIX}${id}` });
    frames.set(context, frame);
    contexts.set(id, new WeakRef(context));
    forget.register(context, id);
  }
  return frame;
}

// Runs fn in `context`; returns what fn returns, except that a promise comes back as the frame's promise
// (same outcome), so the frame stays the only awaiter of fn's promise and V8 can walk through it.
function runInContext(context, fn, thisArg, args) {
  const box = { threw: false, error: undefined, value: undefined };
  const promise = frameOf(context)(fn, thisArg, args, box);
  if (box.threw) throw box.error;
  return isNativePromise(box.value) ? promise : box.value;
}

const sitesToContextId = (_, sites) => {
  for (const site of sites) {
    const name = site.getFunctionName();
    if (name !== null && name.startsWith(FRAME_PREFIX)) return Number(name.slice(FRAME_PREFIX.length));
  }
  return 0;
};

function contextFromStack() {
  const { prepareStackTrace, stackTraceLimit } = Error;
  Error.prepareStackTrace = sitesToContextId;
  Error.stackTraceLimit = Infinity;
  const holder = {};
  try {
    Error.captureStackTrace(holder);
    const id = holder.stack;
    return id === 0 ? undefined : contexts.get(id)?.deref();
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function currentContext() {
  if (syncDepth > 0) return current;
  return contextFromStack() ?? entered;
}

// A callback that runs in the context current now (ROOT: unchanged).
function bind(fn) {
  const context = currentContext();
  if (context === ROOT || typeof fn !== 'function') return fn;
  return function bound(...args) {
    return runInContext(context, fn, this, args);
  };
}

// From the first AsyncLocalStorage on, scheduled callbacks carry their context.
function hook() {
  if (hooked) return;
  hooked = true;
  internal.bindAsyncContext = bind;
  const then = Promise.prototype.then;
  Object.defineProperty(Promise.prototype, 'then', {
    configurable: true,
    writable: true,
    value: function then$(onFulfilled, onRejected) {
      return Reflect.apply(then, this, [bind(onFulfilled), bind(onRejected)]);
    },
  });
}

function withStore(context, storage, store) {
  const next = new Map(context);
  next.set(storage, store);
  return next;
}

class AsyncLocalStorage {
  #enabled = true;

  constructor() {
    hook();
  }

  static bind(fn) {
    return AsyncResource.bind(fn);
  }

  static snapshot() {
    const context = currentContext();
    return (fn, ...args) => runInContext(context, fn, undefined, args);
  }

  disable() {
    this.#enabled = false;
    if (syncDepth > 0) current = withoutStore(current, this);
    entered = withoutStore(entered, this);
  }

  getStore() {
    if (!this.#enabled) return undefined;
    return currentContext().get(this);
  }

  run(store, callback, ...args) {
    this.#enabled = true;
    return runInContext(withStore(currentContext(), this, store), callback, undefined, args);
  }

  exit(callback, ...args) {
    return runInContext(withoutStore(currentContext(), this), callback, undefined, args);
  }

  enterWith(store) {
    this.#enabled = true;
    if (syncDepth > 0) current = withStore(current, this, store);
    else entered = withStore(currentContext(), this, store);
  }
}

function withoutStore(context, storage) {
  if (!context.has(storage)) return context;
  const next = new Map(context);
  next.delete(storage);
  return next;
}

let nextAsyncId = 2;

class AsyncResource {
  #context;
  #asyncId = nextAsyncId++;

  constructor(type, options) {
    if (typeof type !== 'string') {
      const error = new TypeError(`The "type" argument must be of type string. Received ${internal.inspect(type)}`);
      error.code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
    this.type = type;
    this.#context = currentContext();
    void options;
  }

  runInAsyncScope(fn, thisArg, ...args) {
    return runInContext(this.#context, fn, thisArg, args);
  }

  bind(fn, thisArg) {
    const resource = this;
    const bound = function (...args) {
      return resource.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args);
    };
    Object.defineProperties(bound, {
      length: { value: fn.length, configurable: true },
      asyncResource: { value: this, configurable: true, enumerable: true, writable: true },
    });
    return bound;
  }

  static bind(fn, type, thisArg) {
    return new AsyncResource(type ?? (fn.name || 'bound-anonymous-fn')).bind(fn, thisArg);
  }

  emitDestroy() {
    return this;
  }

  asyncId() {
    return this.#asyncId;
  }

  triggerAsyncId() {
    return 1;
  }
}

const disabledHook = { enable() { return this; }, disable() { return this; } };

internal.modules.async_hooks = {
  AsyncLocalStorage,
  AsyncResource,
  createHook: () => Object.create(disabledHook),
  executionAsyncId: () => 1,
  triggerAsyncId: () => 0,
  executionAsyncResource: () => ({}),
  asyncWrapProviders: Object.freeze({ __proto__: null, NONE: 0, PROMISE: 1, Timeout: 2, Immediate: 3 }),
};
