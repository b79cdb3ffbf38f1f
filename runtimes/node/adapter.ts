/**
 * The Node.js runtime: SCF `Nodejs*` functions run in isolated-vm isolates inside the gateway process.
 *
 * What user code gets (see shim/ for the details):
 * - CommonJS `require` of the function's own files, `.json`, directory `index.js`, package.json `main` and
 *   `exports`, pure-JS packages from its `node_modules` and from the layers (NODE_PATH); one module cache
 *   per instance, so module scope runs once and its state is reused by later invocations.
 * - Built-in modules: buffer (feross's `buffer` package), events, util (format, inspect, promisify,
 *   callbackify, inherits, deprecate, types, isDeepStrictEqual …), url, querystring, path (POSIX), crypto
 *   (randomBytes, randomUUID, randomInt, getRandomValues, createHash, createHmac, timingSafeEqual),
 *   timers, timers/promises, process. Every other built-in (fs, child_process, net, http, os, zlib,
 *   worker_threads, stream …) and native `.node` addons fail in require() with an error naming them; an
 *   uncaught one fails the start with 443.
 * - Globals: console, setTimeout/setInterval/setImmediate (+ clear*), queueMicrotask, process (env,
 *   version, nextTick, hrtime, exit …), Buffer, TextEncoder/TextDecoder, URL/URLSearchParams, atob/btoa,
 *   crypto.getRandomValues/randomUUID, fetch/Headers/Response, Event/EventTarget/AbortController/
 *   AbortSignal, performance.now().
 * - Handlers: async, callback and context.done/succeed/fail styles with callbackWaitsForEmptyEventLoop;
 *   FunctionGraph-style context getters and `initializer`.
 *
 * Not offered: ES modules (`import`), synchronous file or network access, native addons, detection of
 * unhandled promise rejections (V8 reports them to no one inside an isolate). `fetch` reaches whatever
 * the gateway's host can reach.
 */
import type { FunctionSpec, Instance, RuntimeAdapter } from '../runtime.ts';
import { NodeInstance } from './instance.ts';
import { IsolateSpares } from './spares.ts';

const spares = new IsolateSpares();

export const nodeRuntime: RuntimeAdapter = {
  kind: 'nodejs',
  supports: (runtime: string): boolean => /^nodejs/i.test(runtime),
  createInstance: (spec: FunctionSpec): Instance => new NodeInstance(spec, spares),
  close: async () => spares.close(),
};
