/**
 * The code that turns a bare isolate into a Node-like one (shim/*.js plus feross's `buffer` package),
 * composed into one script once per process. The first isolate compiles it and produces V8 code cache;
 * every later isolate compiles from that cache, which is most of what a cold start would otherwise parse.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import ivm from 'isolated-vm';
import { bundledSource } from './bundle.ts';

/** Name of the shim in stack traces; the shim filters these frames out of users' stacks. */
export const SHIM_FILENAME = 'fngate:node-shim.js';

/**
 * One file of the shim. `lazy`: the globals it defines; it runs on first use of one of them (or of a
 * built-in it provides). `onDemand`: not composed into the shim at all; the isolate asks the host for its
 * source when first needed (host.shimPart). `builtins`: the Node built-ins it provides, as `internal.modules`.
 */
interface ShimFile {
  /** Under shim/, or a path from runtimes/node/ (`builtins/os/isolate.js`). */
  file: string;
  /** The part's name; default: the file's name without `.js`. */
  name?: string;
  lazy?: readonly string[];
  onDemand?: boolean;
  builtins?: readonly string[];
  /**
   * On-demand parts only: the file is the entry of an esbuild bundle (bundle.ts) whose npm requires are
   * bundled in; its Node built-in requires reach the isolate's built-ins. The file still runs as a part.
   */
  bundle?: boolean;
  /** On-demand parts only: host facts the part sees as `data` (JSON), computed when first served. */
  data?: () => unknown;
}

/** What the `stream` part provides: readable-stream's Stream and Node's legacy aliases of its classes. */
const STREAM_BUILTINS = ['stream', 'stream/promises', 'stream/consumers', '_stream_readable', '_stream_writable', '_stream_duplex', '_stream_transform', '_stream_passthrough'];

/** The globals Node 18 has from stream/web. */
const WEB_STREAM_GLOBALS = [
  'ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest',
  'ReadableByteStreamController', 'ReadableStreamDefaultController', 'TransformStream', 'TransformStreamDefaultController',
  'WritableStream', 'WritableStreamDefaultWriter', 'WritableStreamDefaultController', 'ByteLengthQueuingStrategy',
  'CountQueuingStrategy', 'TextEncoderStream', 'TextDecoderStream',
];

/**
 * The shim's files in composition order; each sees what the earlier ones put on `internal`. Lazy parts
 * (with the globals they define) run on first use: a hello-world cold start never pays for them.
 */
const SHIM_FILES: readonly ShimFile[] = [
  { file: 'lazy.js' },
  { file: 'services.js' },
  { file: 'format.js' },
  { file: 'console.js' },
  { file: 'timers.js' },
  { file: 'process.js' },
  { file: 'events.js', lazy: ['Event', 'EventTarget', 'AbortController', 'AbortSignal'], builtins: ['events'] },
  { file: 'encoding.js', lazy: ['TextEncoder', 'TextDecoder', 'atob', 'btoa'] },
  { file: 'url.js', lazy: ['URL', 'URLSearchParams'] },
  { file: 'path.js', lazy: [] },
  { file: 'crypto.js', lazy: ['crypto'] },
  { file: 'fetch.js', lazy: ['fetch', 'Headers', 'Response'] },
  { file: 'buffer', lazy: [] },
  { file: 'builtins.js' },
  // On-demand built-ins: one line each.
  { file: 'builtins/os/isolate.js', name: 'os', onDemand: true, builtins: ['os'] },
  { file: 'inspect.js', onDemand: true, bundle: true },
  { file: 'util.js', onDemand: true, bundle: true, builtins: ['util', 'util/types'] },
  { file: 'string_decoder.js', onDemand: true, bundle: true, builtins: ['string_decoder'] },
  { file: 'stream.js', onDemand: true, bundle: true, builtins: STREAM_BUILTINS },
  { file: 'stream_web.js', name: 'stream/web', onDemand: true, bundle: true, lazy: WEB_STREAM_GLOBALS, builtins: ['stream/web'] },
  { file: 'assert.js', onDemand: true, bundle: true, builtins: ['assert', 'assert/strict'] },
  { file: 'punycode.js', onDemand: true, bundle: true, builtins: ['punycode'] },
  { file: 'async_hooks.js', onDemand: true, builtins: ['async_hooks'] },
  { file: 'diagnostics_channel.js', onDemand: true, builtins: ['diagnostics_channel'] },
  { file: 'perf_hooks.js', onDemand: true, lazy: ['performance'], builtins: ['perf_hooks'] },
  { file: 'tty.js', onDemand: true, builtins: ['tty'] },
  { file: 'timers_promises.js', name: 'timers/promises', onDemand: true, builtins: ['timers/promises'] },
  { file: 'constants.js', onDemand: true, builtins: ['constants'], data: () => createRequire(import.meta.url)('node:constants') },
  { file: 'builtins/fs/isolate.js', name: 'fs', onDemand: true, builtins: ['fs', 'fs/promises'] },
  { file: 'builtins/crypto/isolate.js', name: 'crypto-module', onDemand: true, builtins: ['crypto'] },
  { file: 'builtins/zlib/isolate.js', name: 'zlib', onDemand: true, builtins: ['zlib'] },
  { file: 'builtins/net/isolate.js', name: 'net', onDemand: true, builtins: ['net', 'tls'] },
  { file: 'builtins/dns/isolate.js', name: 'dns', onDemand: true, builtins: ['dns', 'dns/promises'] },
  { file: 'builtins/http/isolate.js', name: 'http', onDemand: true, builtins: ['http', 'https', '_http_agent'] },
  { file: 'http2.js', onDemand: true, builtins: ['http2'], data: http2Facts },
  { file: 'console_module.js', name: 'console-module', onDemand: true, builtins: ['console'] },
  { file: 'readline.js', onDemand: true, builtins: ['readline', 'readline/promises'] },
  { file: 'loader.js' },
  { file: 'invoke.js' },
];

/** What the isolate's `http2` reports: Node's constants and default settings. */
function http2Facts(): unknown {
  const http2 = createRequire(import.meta.url)('node:http2') as typeof import('node:http2');
  return { constants: http2.constants, settings: http2.getDefaultSettings() };
}

/** feross's `buffer` and its two dependencies, bundled as a tiny CommonJS registry. */
const BUFFER_PACKAGES = ['base64-js', 'ieee754', 'buffer'];

/** Heap of the throwaway isolate that makes an on-demand part's code cache (it only compiles). */
const PART_CACHE_ISOLATE_MB = 64;

/** What compileScript adds to a Script when code cache is involved (not in isolated-vm's typings). */
type CompiledScript = ivm.Script & ivm.CachedDataResult & { cachedDataRejected?: boolean };

let source: string | undefined;
let cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;

function shimFileUrl(file: string): URL {
  return new URL(file.includes('/') ? `./${file}` : `./shim/${file}`, import.meta.url);
}

function readShimFile(file: string): string {
  return readFileSync(shimFileUrl(file), 'utf8');
}

/** feross's `buffer` with its two dependencies as a tiny CommonJS registry; `buffer` exports it. */
function bufferBundle(): string {
  const require = createRequire(import.meta.url);
  const modules = BUFFER_PACKAGES.map((name) => {
    // The trailing slash makes Node look in node_modules instead of returning its own `buffer` built-in.
    const code = readFileSync(require.resolve(`${name}/`), 'utf8');
    return `${JSON.stringify(name)}: function (module, exports, require) {\n${code}\n}`;
  });
  return `const definitions = {\n${modules.join(',\n')}\n};
const made = {};
function require(name) {
  if (made[name] === undefined) {
    made[name] = { exports: {} };
    definitions[name].call(made[name].exports, made[name], made[name].exports, require);
  }
  return made[name].exports;
}
internal.buffer = require('buffer');
${readShimFile('buffer.js')}`;
}

/**
 * The whole shim as one script whose completion value is `setup(host, config)`, returning the
 * `{ load, invoke, dispatch }` API. Each file runs in its own function scope and shares `internal`.
 */
export function shimSource(): string {
  if (source === undefined) {
    const parts = SHIM_FILES.map((part) => {
      const { file, lazy, onDemand, builtins } = part;
      const name = partName(part);
      const provides = builtins === undefined ? '' : `\ninternal.builtinPart(${JSON.stringify(name)}, ${JSON.stringify(builtins)});`;
      if (onDemand) return `internal.onDemand(${JSON.stringify(name)}, ${JSON.stringify(lazy ?? [])});${provides}`;
      const body = file === 'buffer' ? bufferBundle() : readShimFile(file);
      return lazy === undefined && builtins === undefined
        ? `(function (internal, host, config) {\n${body}\n})(internal, host, config);`
        : `internal.lazy(${JSON.stringify(name)}, ${JSON.stringify(lazy ?? [])}, function (internal, host, config) {\n${body}\n});${provides}`;
    });
    source = `(function setup(host, config) {\n'use strict';\nconst internal = Object.create(null);\n${parts.join('\n')}\nreturn internal.api;\n})`;
  }
  return source;
}

function partName(part: ShimFile): string {
  return part.name ?? part.file.replace(/\.js$/, '');
}

const onDemandSources = new Map<string, string>();
let partRequests = 0;

/** How many times isolates of this process asked for an on-demand part: a cold start of code that needs none asks none. */
export function onDemandPartRequests(): number {
  return partRequests;
}

/**
 * The source of the on-demand part `name`, as an expression the isolate evaluates to the part's body
 * function; null for a name that is no on-demand part. Read from disk once per process.
 */
export function onDemandPartSource(name: string): string | null {
  partRequests++;
  let text = onDemandSources.get(name);
  if (text === undefined) {
    const entry = SHIM_FILES.find((part) => part.onDemand === true && partName(part) === name);
    if (entry === undefined) return null;
    text = entry.bundle === true
      ? bundledPart(entry, name)
      : `(function (internal, host, config) {\n'use strict';\n${dataLine(entry)}${readShimFile(entry.file)}\n})\n//# sourceURL=node:${name}`;
    onDemandSources.set(name, text);
  }
  return text;
}

function dataLine(entry: ShimFile): string {
  return entry.data === undefined ? '' : `const data = ${JSON.stringify(entry.data())};\n`;
}

/**
 * A bundled part: esbuild's CommonJS output run with `require` resolving Node built-ins inside the isolate.
 * Not strict as a whole: bundled libraries keep their own "use strict" (some are sloppy-mode code).
 */
function bundledPart(entry: ShimFile, name: string): string {
  const code = bundledSource(fileURLToPath(shimFileUrl(entry.file)), entry.builtins ?? []);
  return `(function (internal, host, config) {\nconst module = { exports: {} };\n(function (module, exports, require) {\n${code}\n})(module, module.exports, internal.bundleRequire);\n})\n//# sourceURL=node:${name}`;
}

const partCaches = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
const partCachesPending = new Set<string>();

/**
 * Compiles on-demand part `name` in `isolate` and returns its body function there (for a sync callback
 * to hand back), or null for an unknown name. Isolates compile from the part's V8 code cache, which also
 * spares lazy compilation of the functions inside. The first isolate of the process that needs a part
 * compiles it plainly (as fast as eval) while the cache is made off the event loop in a throwaway isolate.
 */
export function loadOnDemandPart(isolate: ivm.Isolate, context: ivm.Context, name: string): unknown {
  const code = onDemandPartSource(name);
  if (code === null) return null;
  const filename = `node:${name}`;
  const cachedData = partCaches.get(name);
  let script: CompiledScript | undefined;
  if (cachedData !== undefined) {
    script = isolate.compileScriptSync(code, { filename, cachedData }) as CompiledScript;
    if (script.cachedDataRejected === true) script = undefined;
  }
  if (script === undefined) {
    script = isolate.compileScriptSync(code, { filename }) as CompiledScript;
    makePartCache(name, code, filename);
  }
  return script.runSync(context, { reference: true, release: true }).derefInto({ release: true });
}

function makePartCache(name: string, code: string, filename: string): void {
  if (partCachesPending.has(name)) return;
  partCachesPending.add(name);
  const maker = new ivm.Isolate({ memoryLimit: PART_CACHE_ISOLATE_MB });
  maker
    .compileScript(code, { filename, produceCachedData: true })
    .then((script) => {
      const produced = (script as CompiledScript).cachedData;
      if (produced !== undefined) partCaches.set(name, produced);
    })
    .catch(() => {
      // No cache: isolates keep compiling the part plainly.
    })
    .finally(() => {
      partCachesPending.delete(name);
      maker.dispose();
    });
}

/** Compiles the shim in `isolate`, from this process's code cache when there is one. */
export function compileShim(isolate: ivm.Isolate): ivm.Script {
  const code = shimSource();
  if (cachedData !== undefined) {
    const script = isolate.compileScriptSync(code, { filename: SHIM_FILENAME, cachedData }) as CompiledScript;
    if (script.cachedDataRejected !== true) return script;
  }
  return keepShimCache(isolate.compileScriptSync(code, { filename: SHIM_FILENAME, produceCachedData: true }) as CompiledScript);
}

/** compileShim on the isolate's own thread: the host's event loop only hands the work over. */
export async function compileShimAsync(isolate: ivm.Isolate): Promise<ivm.Script> {
  const code = shimSource();
  if (cachedData !== undefined) {
    const script = (await isolate.compileScript(code, { filename: SHIM_FILENAME, cachedData })) as CompiledScript;
    if (script.cachedDataRejected !== true) return script;
  }
  return keepShimCache((await isolate.compileScript(code, { filename: SHIM_FILENAME, produceCachedData: true })) as CompiledScript);
}

function keepShimCache(script: CompiledScript): ivm.Script {
  cachedData = script.cachedData;
  return script;
}
