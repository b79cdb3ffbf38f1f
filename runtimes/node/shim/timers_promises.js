// Runs inside the isolate, on demand. `timers/promises`: setTimeout, setImmediate and setInterval (an async
// iterator) as promises with AbortSignal and `ref` options, and scheduler.wait/yield, on the shim's timers.
/* global internal */
const { setTimeout, setImmediate, setInterval, clearTimeout } = internal.timers;
const abortError = (signal) => {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  error.cause = signal.reason;
  return error;
};
// One timer as a promise: `ref: false` unrefs it; `signal` clears it and rejects with an AbortError.
const promised = (start, value, options = {}) => {
  const { signal, ref = true } = options ?? {};
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = start(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    });
    if (!ref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
};
async function* setIntervalIterator(delay, value, options = {}) {
  const { signal, ref = true } = options ?? {};
  if (signal?.aborted) throw abortError(signal);
  let pending = 0;
  let wake = null;
  const timer = setInterval(() => {
    pending++;
    if (wake !== null) wake();
  }, delay);
  if (!ref) timer.unref();
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (true) {
      if (pending === 0) await new Promise((resolve) => (wake = resolve));
      wake = null;
      if (signal?.aborted) throw abortError(signal);
      for (; pending > 0; pending--) yield value;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
const setTimeoutPromise = (delay, value, options) => promised((done) => setTimeout(done, delay), value, options);
const setImmediatePromise = (value, options) => promised((done) => setImmediate(done), value, options);
internal.modules['timers/promises'] = {
  setTimeout: setTimeoutPromise,
  setImmediate: setImmediatePromise,
  setInterval: setIntervalIterator,
  scheduler: {
    wait: (delay, options) => setTimeoutPromise(delay, undefined, options),
    yield: () => setImmediatePromise(),
  },
};
