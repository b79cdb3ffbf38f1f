// Runs inside the isolate, first. Lazily evaluated parts of the shim: most functions never touch URL,
// fetch, crypto or TextDecoder, so those files run (and are compiled) on first use instead of at every cold
// start. A lazy part's globals are accessors until then; touching one evaluates the part, which replaces them.
/* global internal, host, config */
const parts = Object.create(null);

internal.lazy = (name, globals, body) => {
  parts[name] = { body, done: false };
  for (const global of globals) {
    Object.defineProperty(globalThis, global, {
      configurable: true,
      enumerable: false,
      get() {
        internal.need(name);
        return globalThis[global];
      },
      set(value) {
        Object.defineProperty(globalThis, global, { value, writable: true, configurable: true, enumerable: false });
      },
    });
  }
};

// Evaluates the lazy part `name` once; returns `internal` for chaining (`internal.need('path').path`).
internal.need = (name) => {
  const part = parts[name];
  if (!part.done) {
    part.done = true;
    part.body(internal, host, config);
  }
  return internal;
};
