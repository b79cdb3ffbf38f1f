// The oracle: runs one case's handler in real Node, in a fresh process with the code folder as cwd, the way
// SCF's Node.js runtime calls it (event, context, callback), and sends the outcome to the parent over the
// IPC channel ({ ok, value } or { ok: false, error }). Output on stdout/stderr is only the handler's logs.
'use strict';
const Module = require('module');
const path = require('path');

// Which Node built-ins the handler and its packages require (userland requests only), for the report.
const builtins = new Set();
const load = Module._load;
Module._load = function (request, ...rest) {
  if (Module.isBuiltin(request)) builtins.add(request.replace(/^node:/, ''));
  return load.call(this, request, ...rest);
};

const errorOf = (error) => ({ name: error && error.name, message: String(error && error.message !== undefined ? error.message : error) });

process.once('message', ({ handler, event, context }) => {
  let settled = false;
  const finish = (outcome) => {
    if (settled) return;
    settled = true;
    // Through JSON, as the platform serialises a result.
    const payload = outcome.ok ? { ok: true, value: JSON.parse(JSON.stringify(outcome.value === undefined ? null : outcome.value)) } : outcome;
    payload.builtins = [...builtins].sort();
    process.send(payload, () => process.exit(0));
  };
  const callback = (error, value) => (error ? finish({ ok: false, error: errorOf(error) }) : finish({ ok: true, value }));
  const ctx = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    done: callback,
    succeed: (value) => callback(null, value),
    fail: (error) => callback(error),
  };
  const at = handler.lastIndexOf('.');
  try {
    const fn = require(path.resolve(process.cwd(), handler.slice(0, at)))[handler.slice(at + 1)];
    const returned = fn(event, ctx, callback);
    if (returned && typeof returned.then === 'function') returned.then((value) => callback(null, value), (error) => callback(error || new Error('rejected')));
  } catch (error) {
    finish({ ok: false, error: errorOf(error) });
  }
});
