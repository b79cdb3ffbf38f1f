// Runs inside the isolate, first. Lazily evaluated parts of the shim: most functions never touch URL,
// fetch, crypto or TextDecoder, so those files run (and are compiled) on first use instead of at every cold
// start. A lazy part's globals are accessors until then; touching one evaluates the part, which replaces them.
// On-demand parts (big or rarely used: fs, stream, zlib …) are not even in the shim's source: the host hands
// over their source the first time they are needed (host.shimPart), so they cost a cold start nothing.
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

// An on-demand part: defined like a lazy one, its body fetched from the host when first needed.
internal.onDemand = (name, globals) => internal.lazy(name, globals, null);

// Evaluates the lazy part `name` once; returns `internal` for chaining (`internal.need('path').path`).
internal.need = (name) => {
  const part = parts[name];
  if (!part.done) {
    part.done = true;
    // Compiled by the host in this isolate from the part's V8 code cache (shim.ts loadOnDemandPart).
    if (part.body === null) part.body = host.shimPart(name);
    part.body(internal, host, config);
  }
  return internal;
};

// Built-ins provided by parts (shim.ts `builtins`): the part, evaluated on first require, puts each one's
// exports on internal.modules under its name (builtins.js looks them up).
internal.builtinParts = Object.create(null);
internal.modules = Object.create(null);
internal.builtinPart = (part, names) => {
  for (const name of names) internal.builtinParts[name] = part;
};
