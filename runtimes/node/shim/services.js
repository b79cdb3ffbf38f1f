// Runs inside the isolate. Host services (../builtins/): `internal.service(name, onEvent)` returns the named
// service's callbacks, made by the host on first use; events the host sends for it reach `onEvent(id,
// event, data)`. Built-ins that need the gateway's Node (fs, os, net, zlib …) are built on these.
/* global internal, host */
const services = Object.create(null);
const listeners = Object.create(null);

internal.service = (name, onEvent) => {
  if (onEvent !== undefined) listeners[name] = onEvent;
  let callbacks = services[name];
  if (callbacks === undefined) {
    callbacks = host.service(name);
    services[name] = callbacks;
  }
  return callbacks;
};

// Called by dispatch (invoke.js) with [service, event, data].
internal.serviceEvent = (id, message) => {
  const listener = listeners[message[0]];
  if (listener !== undefined) listener(id, message[1], message[2]);
};

// A service whose operations answer with an event `[error, result]` for the id they started with:
// `callAsync(op, args, done)` holds the event loop (callbackWaitsForEmptyEventLoop) until `done` runs;
// `toError` turns the host's plain error data into the error `done` gets. fs, crypto and zlib use it.
internal.operationService = (name, toError) => {
  const pending = new Map();
  let nextId = 1;
  const callbacks = internal.service(name, (id, _event, answer) => {
    const done = pending.get(id);
    if (done === undefined) return;
    pending.delete(id);
    internal.loopUnref();
    try {
      done(answer[0] === null ? null : toError(answer[0]), answer[1]);
    } catch (error) {
      internal.uncaught(error);
    }
  });
  const callAsync = (op, args, done) => {
    const id = nextId++;
    pending.set(id, done);
    internal.loopRef();
    callbacks.start(id, op, args);
  };
  return { callbacks, callAsync };
};

// A service whose host events come in batches `[id, event, data, …]` (builtins/net/flow.ts), each for
// `objects.get(id)._onHost(event, data)`. Between two events the isolate lets a few rounds of microtasks
// (process.nextTick here) run, as Node drains its nextTick queue between two I/O callbacks: 'finish' (a
// nextTick) still comes before 'response'. net and http use it.
const MICROTASK_HOPS = 4;
const afterMicrotasks = (hops, next) => {
  if (hops === 0) next();
  else Promise.resolve().then(() => afterMicrotasks(hops - 1, next));
};
internal.batchedService = (name, objects) => {
  const deliver = (events, from) => {
    const target = objects.get(events[from]);
    // A listener that throws is an uncaught exception, as in Node; the rest of the batch still arrives.
    try {
      if (target !== undefined) target._onHost(events[from + 1], events[from + 2]);
    } catch (error) {
      internal.uncaught(error);
    }
    if (from + 3 < events.length) afterMicrotasks(MICROTASK_HOPS, () => deliver(events, from + 3));
  };
  return internal.service(name, (_id, _batch, events) => deliver(events, 0));
};

// An error of `Type` with Node's `code` property, as built-ins throw them (net, http).
internal.codedError = (Type, code, message) => {
  const error = new Type(message);
  error.code = code;
  return error;
};
