/**
 * The Node.js runtime: SCF `Nodejs*` functions run in isolated-vm isolates inside the gateway process.
 *
 * What user code gets (see shim/ for the details):
 * - CommonJS `require` of the function's own files, `.json`, directory `index.js`, package.json `main` and
 *   `exports`, pure-JS packages from its `node_modules` and from the layers (NODE_PATH); one module cache
 *   per instance, so module scope runs once and its state is reused by later invocations.
 * - Built-in modules, as `x` and `node:x` (the same object): buffer (feross's `buffer` + base64url),
 *   events, util (Node's inspect via node-inspect-extracted; types by V8 brand checks), stream (+ /promises,
 *   /consumers, /web: readable-stream 4, web-streams-polyfill), assert (+ /strict: the `assert` package),
 *   string_decoder, punycode, url, querystring, path (+ /posix), timers (+ /promises), async_hooks
 *   (AsyncLocalStorage), perf_hooks, diagnostics_channel, tty, constants, process; and, with a host half
 *   in builtins/<name>/, os, fs (+ /promises), crypto, zlib, net, tls, dns, http, https.
 *   All but the smallest are on-demand shim parts: not in the cold-start shim, fetched and compiled (from
 *   V8 code cache) on first require; the npm-based ones are esbuild bundles made on first use (bundle.ts).
 *   child_process, cluster, worker_threads, vm, v8, inspector, http2, dgram, repl … and native `.node`
 *   addons fail in require() with an error that says to set `nodeRuntime: process`; an uncaught one
 *   fails the start with 443.
 * - Globals: console, setTimeout/setInterval/setImmediate (+ clear*), queueMicrotask, process (env,
 *   version, nextTick, hrtime, exit …), Buffer, TextEncoder/TextDecoder, URL/URLSearchParams, atob/btoa,
 *   crypto.getRandomValues/randomUUID, fetch/Headers/Response, Event/EventTarget/AbortController/
 *   AbortSignal, performance (perf_hooks'), ReadableStream & co. (stream/web's, on first use).
 * - Handlers: async, callback and context.done/succeed/fail styles with callbackWaitsForEmptyEventLoop;
 *   FunctionGraph-style context getters and `initializer`.
 *
 * Not offered: ES modules (`import`), synchronous file or network access, native addons, detection of
 * unhandled promise rejections (V8 reports them to no one inside an isolate). `fetch` reaches whatever
 * the gateway's host can reach.
 */
import type { FunctionSpec, Instance, RuntimeAdapter } from '../runtime.ts';
import { availableParallelism, cpus } from 'node:os';
import { RunGate } from '../run-gate.ts';
import { NodeInstance } from './instance.ts';
import { IsolateSpares } from './spares.ts';

const spares = new IsolateSpares();

/**
 * isolated-vm runs each call into an isolate on a thread of its own pool, sized
 * std::thread::hardware_concurrency() + 1 (it ignores CPU affinity, as does this); when every pool thread is
 * busy it starts a new OS thread for the call and lets it end afterwards. Under load — 50 requests in
 * flight — most calls then paid for a thread's creation on the gateway's main thread, and the threads
 * fought over the cores: the same hello cost about twice the CPU. Bounding the calls that run at once
 * before the lease (run-gate.ts) keeps them within the pool, and keeps the few isolates in use hot: with
 * 50 requests in flight the isolate threads' CPU per request halved (bench/results/cpu-budget-node.md).
 */
const ISOLATE_POOL_THREADS = cpus().length + 1;
/**
 * Calls into isolates at once: the cores this process may run on (its CPU affinity) plus one, within the
 * pool. Where fngate may use fewer cores than the machine has (taskset, a cpuset), a pool thread beyond
 * them only takes turns with the others: on one core, 2 places against 3 served 2.6 % more (median of four
 * alternating pairs, 63.6 against 65.8 µs of CPU per request; bench/results/cpu-budget-node.md, eighth pass).
 */
const ISOLATE_CALLS = Math.min(availableParallelism() + 1, ISOLATE_POOL_THREADS);

export const nodeRuntime: RuntimeAdapter = {
  kind: 'nodejs',
  supports: (runtime: string): boolean => /^nodejs/i.test(runtime),
  createInstance: (spec: FunctionSpec): Instance => new NodeInstance(spec, spares),
  runGate: new RunGate(ISOLATE_CALLS),
  close: async () => spares.close(),
};
