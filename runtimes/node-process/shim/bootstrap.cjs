'use strict';
/*
 * fngate's Node.js process-mode shim (`nodeRuntime: process`), run by the gateway's own `node` as
 * `node --max-old-space-size=<MB> bootstrap.cjs`. User code runs in this real Node.js process with every
 * built-in, native addons, child processes and worker threads.
 *
 * Protocol (runtimes/subprocess/protocol.ts), as the Python shim speaks it: one JSON message per line, to
 * fngate on fd 3, from fngate on fd 4. The process may start before its function is known (a pre-warmed
 * spare): everything about the function, its environment included, arrives in `load` and is applied
 * before any user code runs. Invocations are compact (announced in `started`): the event arrives as a JSON
 * value, the context is `load`'s plus the request id, and a result goes back as the line `R <JSON>`.
 *
 * The handler contract is the isolate mode's (runtimes/node/shim/invoke.js): settle on the first of
 * return value / promise / callback / context.done|succeed|fail; a handler that neither returns nor calls
 * back ends with null once nothing is left to do. callbackWaitsForEmptyEventLoop uses Node's own notion
 * of "nothing left to do": while an invocation runs, the shim's fd 4 reader is unref'd, so when the
 * user's timers, sockets, servers and child processes are all gone the loop empties and Node emits
 * `beforeExit` (what AWS's original Node.js runtime did too). Between invocations the reader is ref'd
 * again, which keeps the process waiting for the next message.
 *
 * Built-ins only, and only what start-up needs: every require here is paid by every cold start.
 */
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { format, inspect } = require('node:util');

const TO_HOST_FD = 3;
const FROM_HOST_FD = 4;
/** Must match FATAL_REPORT_FILE in ../adapter.ts. */
const FATAL_REPORT_FILE = 'fngate-fatal-report.json';
const SHIM_FILE = __filename;
// User code may replace these globals; the runtime keeps its own.
const { parse, stringify } = JSON;
const ShimPromise = Promise;
const now = Date.now;

let handler = null;
let style = 'scf';
/** The function's environment as `load` gave it (FunctionGraph getUserData). */
let functionEnv = {};
/** The context fields of `load` (all but the request id), the base of every invocation's context. */
let loadContext = {};
/** The invocation in flight, if any. */
let current = null;
let checkQueued = false;

class HandlerNotFound extends Error {}

// ---- the channel ----

/** fd 3 is a blocking socket (libuv creates it so for the child): a synchronous write cannot be lost in a crash. */
function send(message) {
  writeLine(stringify(message));
}

/** A result as the compact response line; JSON.stringify escapes lone surrogates, so it is valid UTF-8. */
function sendOutcome(outcome) {
  if (outcome.op === 'response') writeLine(`R ${outcome.body}`);
  else send(outcome);
}

function writeLine(text) {
  const buffer = Buffer.from(`${text}\n`);
  let offset = 0;
  while (offset < buffer.length) offset += fs.writeSync(TO_HOST_FD, buffer, offset);
}

// fds 3 and 4 are close-on-exec (libuv marks them so), so the user's child processes never hold the channel.
const input = new net.Socket({ fd: FROM_HOST_FD, readable: true, writable: false });
/** The start of a line whose end has not arrived yet (an event of several MB comes in many chunks). */
let pending = '';
input.setEncoding('utf8');
input.on('data', (chunk) => {
  let start = 0;
  let newline;
  while ((newline = chunk.indexOf('\n', start)) >= 0) {
    const line = pending + chunk.slice(start, newline);
    pending = '';
    start = newline + 1;
    if (line !== '') receive(parse(line));
  }
  pending += chunk.slice(start);
});
// fngate closed the channel (it ended or died): so does the function.
input.on('end', () => process.exit(0));
input.on('error', () => process.exit(0));

// V8 running out of heap is fatal, with no JavaScript left to tell fngate: Node's diagnostic report is
// written instead, into the process's private folder (TMPDIR as spawned, before `load` applies the
// function's own), where fngate reads it as a 434.
process.report.reportOnFatalError = true;
process.report.excludeNetwork = true;
process.report.directory = require('node:os').tmpdir();
process.report.filename = FATAL_REPORT_FILE;

function receive(message) {
  if (message.op === 'load') void onLoad(message);
  else if (message.op === 'invoke') onInvoke(message);
}

// ---- errors as the user should see them ----

/** Text without the shim's line in a "Require stack:" list (the user's module is required by the shim). */
function hideShim(text) {
  return text.split(`\n- ${SHIM_FILE}`).join('');
}

/**
 * The user's frames only: everything from the first shim frame on is runtime, and so are Node's own
 * frames below the user's (the module loader, the timer list); a deep stack may end before the shim.
 */
function userStack(stack) {
  const lines = hideShim(stack).split('\n');
  const cut = lines.findIndex((line) => /^\s+at /.test(line) && line.includes(SHIM_FILE));
  const kept = cut < 0 ? lines : lines.slice(0, cut);
  while (kept.length > 1 && /^\s+at (.*\(node:internal\/|node:internal\/|new Promise \(<anonymous>\))/.test(kept[kept.length - 1])) kept.pop();
  return kept.join('\n');
}

/** {name, message, stack} of anything thrown or passed as an error, as the isolate mode describes it. */
function describe(error) {
  try {
    if (error instanceof Error || (error !== null && typeof error === 'object' && typeof error.message === 'string')) {
      const stack = typeof error.stack === 'string' ? userStack(error.stack) : '';
      return { name: String(error.name || 'Error'), message: hideShim(String(error.message)), stack };
    }
    if (typeof error === 'string') return { message: error, stack: '' };
    let message;
    try {
      message = typeof error === 'object' && error !== null ? stringify(error) : String(error);
    } catch {
      message = String(error);
    }
    return { message, stack: '' };
  } catch {
    return { message: 'the handler failed with an error that cannot be described', stack: '' };
  }
}

/** A load failure: the message names the error type, and a syntax error where it is (as the isolate mode does). */
function loadError(error, prefix = '') {
  const described = describe(error);
  let message = described.name ? `${described.name}: ${described.message}` : described.message;
  // Node puts a syntax error's position above the message in its stack: "file:line\n<excerpt>\n\nSyntaxError: …".
  const location = error instanceof SyntaxError && typeof error.stack === 'string' ? /^(\/[^\n]*:\d+)\n/.exec(error.stack) : null;
  if (location) message += ` (${location[1]})`;
  return { code: 'USER_CODE_LOAD_ERROR', message: prefix + message, stackTrace: described.stack, errorType: described.name };
}

// ---- load ----

function applyEnvironment(env) {
  for (const key of Object.keys(process.env)) delete process.env[key];
  // Assigning process.env sets the real environ: child processes and worker threads inherit it, and a
  // TZ assignment resets Node's time zone.
  Object.assign(process.env, env);
  // NODE_PATH is read once at start-up; a pre-warmed process learns it now.
  require('node:module')._initPaths();
}

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `index.main_handler` → file `index`, export `main_handler` (the file part may contain dots and slashes). */
function splitHandler(name) {
  const at = name.lastIndexOf('.');
  return at <= 0 ? { file: name, name: '' } : { file: name.slice(0, at), name: name.slice(at + 1) };
}

async function loadFile(filename) {
  if (filename.endsWith('.mjs')) return import(require('node:url').pathToFileURL(filename).href);
  try {
    return require(filename);
  } catch (error) {
    // A `.js` file in a `"type": "module"` package is an ES module.
    if (error && error.code === 'ERR_REQUIRE_ESM') return import(require('node:url').pathToFileURL(filename).href);
    throw error;
  }
}

/** The exported function `name` names (`file.function`); `what` words the 437 messages. */
async function resolveExport(codeDir, name, what) {
  const names = splitHandler(name);
  const base = path.resolve(codeDir, names.file);
  const filename = names.name === '' ? undefined : ['.js', '.cjs', '.mjs', ''].map((ext) => base + ext).find(isFile);
  if (filename === undefined) throw new HandlerNotFound(`the ${what} "${name}" names no file ${names.file}.js in the code folder`);
  const exports = await loadFile(filename);
  const value = exports !== null && exports !== undefined ? exports[names.name] : undefined;
  if (typeof value !== 'function') {
    throw new HandlerNotFound(`${names.file} does not export ${what === 'handler' ? 'a' : 'an initializer'} function named "${names.name}"`);
  }
  return value;
}

function runInitializer(initializer, fields, deadline) {
  const invocation = new Invocation('', deadline);
  const context = makeContext(invocation, fields);
  return new ShimPromise((resolve, reject) => {
    const returned = initializer(context, (error, value) => (error !== undefined && error !== null ? reject(error) : resolve(value)));
    if (isThenable(returned)) returned.then(resolve, reject);
    else if (initializer.length < 2) resolve(returned);
  });
}

async function onLoad(message) {
  const startedAt = performance.now();
  let failure;
  try {
    applyEnvironment(message.env);
    functionEnv = message.env;
    loadContext = message.context || {};
    process.chdir(message.codeDir);
    style = message.handlerStyle || 'scf';
    handler = await resolveExport(message.codeDir, message.handler, 'handler');
    if (style === 'functiongraph' && message.initializer) {
      const initializer = await resolveExport(message.codeDir, message.initializer, 'initializer');
      try {
        await runInitializer(initializer, message.context || {}, message.initDeadline || now());
      } catch (error) {
        failure = loadError(error, 'the initializer failed: ');
      }
    }
  } catch (error) {
    failure =
      error instanceof HandlerNotFound
        ? { code: 'HANDLER_NOT_FOUND', message: error.message, stackTrace: '', errorType: 'HandlerNotFound' }
        : loadError(error);
    if (isOutOfMemory(error)) failure.code = 'MEMORY_LIMIT';
  }
  if (failure) {
    send({ op: 'error', error: failure, fatal: true });
    process.exit(1);
  }
  send({ op: 'ready', timings: { initFunctionMs: performance.now() - startedAt } });
}

// ---- invocations ----

class Invocation {
  constructor(requestId, deadline) {
    this.requestId = requestId;
    this.deadline = deadline;
    /** undefined until settled, then the reply to send. */
    this.outcome = undefined;
    this.returned = false;
    this.awaitingPromise = false;
    this.context = null;
  }
}

function settleValue(invocation, value) {
  if (invocation.outcome !== undefined) return;
  let json;
  try {
    json = stringify(value);
  } catch (error) {
    settleError(invocation, error);
    return;
  }
  invocation.outcome = { op: 'response', requestId: invocation.requestId, body: json === undefined ? 'null' : json };
  scheduleCheck();
}

function settleError(invocation, error) {
  if (invocation.outcome !== undefined) return;
  const described = describe(error === undefined || error === null ? new Error(`the handler failed with ${error}`) : error);
  const outOfMemory = isOutOfMemory(error);
  const data = { code: outOfMemory ? 'MEMORY_LIMIT' : 'USER_CODE_EXCEPTION', message: described.message, stackTrace: described.stack };
  if (described.name !== undefined) data.errorType = described.name;
  invocation.outcome = { op: 'error', requestId: invocation.requestId, error: data };
  // The memory is back once the frames unwound, but the instance is replaced, as SCF does (and Python here).
  if (outOfMemory) invocation.outcome.fatal = true;
  scheduleCheck();
}

/** The data rlimit refused an allocation (a Buffer, an ArrayBuffer): the function is over its memory. */
function isOutOfMemory(error) {
  return error instanceof RangeError && error.message === 'Array buffer allocation failed';
}

/** Runs after the microtasks already queued, so work chained right after a result is still counted. */
function scheduleCheck() {
  if (checkQueued) return;
  checkQueued = true;
  ShimPromise.resolve().then(() => {
    checkQueued = false;
    check(false);
  });
}

/** End the invocation if it can end: `loopEmpty` says Node found nothing left to do (beforeExit). */
function check(loopEmpty) {
  const invocation = current;
  if (invocation === null) return;
  if (invocation.outcome === undefined) {
    if (!loopEmpty || !invocation.returned || invocation.awaitingPromise) return;
    invocation.outcome = { op: 'response', requestId: invocation.requestId, body: 'null' };
  }
  if (loopEmpty || invocation.context.callbackWaitsForEmptyEventLoop === false) {
    current = null;
    sendOutcome(invocation.outcome);
    if (invocation.outcome.fatal) process.exit(1);
    input.ref();
  }
}

process.on('beforeExit', () => {
  if (current === null) return;
  check(true);
  // Still waiting (a promise nothing can resolve any more): stay alive until fngate's timeout ends us.
  if (current !== null) input.ref();
});

// An error nobody catches fails the invocation in flight, as in the isolate mode; between invocations it
// is logged. A listener of the user's own takes precedence.
process.on('uncaughtException', (error) => {
  if (process.listenerCount('uncaughtException') > 1) return;
  if (current !== null && current.outcome === undefined) settleError(current, error);
  else process.stdout.write(`Uncaught ${inspect(error)}\n`);
});

const logAt = (level) => (...args) => process.stdout.write(`${level} ${format(...args)}\n`);
const logger = { debug: logAt('DEBUG'), info: logAt('INFO'), warn: logAt('WARN'), error: logAt('ERROR') };

function makeContext(invocation, fields) {
  const context = {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - now()),
    done: (error, value) => (error !== undefined && error !== null ? settleError(invocation, error) : settleValue(invocation, value)),
    succeed: (value) => settleValue(invocation, value),
    fail: (error) => settleError(invocation, error),
  };
  if (style === 'functiongraph') {
    Object.assign(context, {
      getRequestID: () => invocation.requestId,
      getRemainingTimeInMilliSeconds: () => Math.max(0, invocation.deadline - now()),
      getFunctionName: () => fields.function_name,
      getVersion: () => fields.function_version,
      getMemorySize: () => fields.memory_limit_in_mb,
      getRunningTimeInSeconds: () => Math.ceil(fields.time_limit_in_ms / 1000),
      getUserData: (key) => functionEnv[key],
      getLogger: () => logger,
      getPackage: () => fields.namespace,
      getProjectID: () => '',
      getAccessKey: () => '',
      getSecretKey: () => '',
      getToken: () => '',
    });
  }
  return context;
}

function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

function onInvoke(message) {
  const invocation = new Invocation(message.requestId, message.deadline);
  current = invocation;
  // From now on only the user's work keeps the loop alive: when it is gone, beforeExit ends the invocation.
  input.unref();
  const context = makeContext(invocation, message.context || { request_id: message.requestId, ...loadContext });
  invocation.context = context;
  let returned;
  try {
    const callback = (error, value) => (error !== undefined && error !== null ? settleError(invocation, error) : settleValue(invocation, value));
    returned = handler('event' in message ? message.event : parse(message.payload), context, callback);
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
  }
}

send({ op: 'started', compact: true });
