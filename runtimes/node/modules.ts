/**
 * Host-side CommonJS resolution for the isolate's `require`: Node's algorithm (relative files, `.js`/`.json`
 * extensions, directory `index.js`, package.json `main` and `exports`, `node_modules` walked upwards, then
 * NODE_PATH), restricted to the code folder and the layers. The isolate compiles what this returns.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { Script } from 'node:vm';

/** What the isolate gets for one `require`: the file to compile, or why there is none. */
export type ResolveRecord =
  | { filename: string; source: string; json: boolean; code?: undefined }
  | { code: ResolveErrorCode; message: string };

export type ResolveErrorCode = 'MODULE_NOT_FOUND' | 'ERR_BUILTIN_UNAVAILABLE' | 'ERR_NATIVE_ADDON' | 'ERR_PACKAGE_PATH_NOT_EXPORTED';

/** Where a syntax error is, as Node prints it above the message. */
export interface SyntaxLocation {
  location: string;
  excerpt: string;
}

/**
 * Built-ins that need a whole Node process (processes, threads, a VM, the inspector, native code): an
 * isolate can never offer them, so the message says how to run the function where they work.
 */
const PROCESS_MODULES = new Set([
  'child_process', 'cluster', 'worker_threads', 'vm', 'v8', 'inspector', 'inspector/promises',
  'dgram', 'repl', 'wasi', 'trace_events', 'sqlite', 'test', 'test/reporters', 'domain', 'module',
]);

/** What the 443 of a process-only built-in or a native addon tells the user to do. */
const PROCESS_MODE_HINT = 'set `nodeRuntime: process` for this function (fngate.yml) to run it in a full Node.js process';

/** `require()` conditions, in Node's order for CommonJS. */
const REQUIRE_CONDITIONS = new Set(['require', 'node', 'node-addons', 'default']);
const FILE_EXTENSIONS = ['.js', '.json', '.node'];
const ENTRY_EXTENSIONS = ['.js', '.cjs'];
const NODE_WRAPPER = '(function (exports, require, module, __filename, __dirname) { ';

interface PackageJson {
  main?: unknown;
  exports?: unknown;
}

export class ModuleResolver {
  readonly #codeDir: string;
  /** The code folder and the layers as configured: where `node_modules` lookups stop. */
  readonly #roots: string[];
  /** The same folders with symlinks resolved: the only places files may be read from. */
  readonly #realRoots: string[];
  readonly #searchPaths: string[];

  /** `codeDir` and `layerDirs` are absolute; only files under them (after symlinks) can be loaded. */
  constructor(codeDir: string, layerDirs: readonly string[]) {
    this.#codeDir = resolve(codeDir);
    this.#roots = [codeDir, ...layerDirs].map((dir) => resolve(dir));
    this.#realRoots = this.#roots.map(realOrSelf);
    this.#searchPaths = [this.#codeDir, join(this.#codeDir, 'node_modules')];
    for (const layer of this.#roots.slice(1)) {
      this.#searchPaths.push(join(layer, 'nodejs', 'node_modules'), join(layer, 'node_modules'), layer);
    }
  }

  /** NODE_PATH as the function sees it: the folders bare requires fall back to, in order. */
  get nodePath(): string {
    return this.#searchPaths.join(':');
  }

  /** The handler's file (`index` → index.js, index.cjs) in the code folder, or null if there is none. */
  resolveEntry(file: string): ResolveRecord | null {
    const base = resolve(this.#codeDir, file);
    for (const candidate of [...ENTRY_EXTENSIONS.map((ext) => base + ext), base]) {
      if (isFile(candidate) && this.#allowed(candidate)) return this.#read(candidate, file);
    }
    return null;
  }

  /** Resolves `request` as required from a module in `parentDir`; reads the file unless `pathOnly`. */
  resolve(request: string, parentDir: string, pathOnly = false): ResolveRecord {
    if (isBuiltin(request)) return builtinUnavailable(request);
    let filename: string | undefined;
    try {
      filename = isRelative(request) ? this.#fileOrDirectory(resolve(parentDir, request)) : this.#package(request, parentDir);
    } catch (error) {
      if (error instanceof ResolveError) return { code: error.code, message: error.message };
      throw error;
    }
    if (filename === undefined) return notFound(request);
    if (filename.endsWith('.node')) {
      return { code: 'ERR_NATIVE_ADDON', message: `Cannot load module "${request}": native addons (${filename}) cannot run in the isolate; ${PROCESS_MODE_HINT}` };
    }
    if (pathOnly) return { filename, source: '', json: false };
    return this.#read(filename, request);
  }

  /** Re-parses a file that failed to compile in the isolate (compile only, never run) to locate the error. */
  syntaxLocation(filename: string): SyntaxLocation | null {
    if (!this.#allowed(filename)) return null;
    try {
      new Script(`${NODE_WRAPPER}${stripShebang(readFileSync(filename, 'utf8'))}\n})`, { filename });
    } catch (error) {
      const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
      const [location = filename, ...rest] = stack.split('\n\n')[0]!.split('\n');
      return { location, excerpt: rest.join('\n') };
    }
    return null;
  }

  #read(filename: string, request: string): ResolveRecord {
    if (!this.#allowed(filename)) return notFound(request);
    const source = stripShebang(readFileSync(filename, 'utf8'));
    return { filename, source, json: filename.endsWith('.json') };
  }

  #allowed(filename: string): boolean {
    const real = realOrSelf(filename);
    return this.#realRoots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep));
  }

  #package(request: string, parentDir: string): string | undefined {
    const [name, subpath] = splitPackage(request);
    for (const dir of [...this.#nodeModulesPaths(parentDir), ...this.#searchPaths]) {
      const packageDir = join(dir, name);
      const manifest = readPackageJson(packageDir);
      if (manifest?.exports !== undefined && manifest.exports !== null) {
        const target = resolveExports(packageDir, manifest.exports, subpath === '' ? '.' : `./${subpath}`, request);
        if (target !== undefined) return isFile(target) ? target : undefined;
        continue;
      }
      const found = this.#fileOrDirectory(join(dir, request));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** `node_modules` folders from `parentDir` upwards, stopping at the root that contains it. */
  #nodeModulesPaths(parentDir: string): string[] {
    const root = this.#roots.find((r) => parentDir === r || parentDir.startsWith(r + sep)) ?? this.#codeDir;
    const paths: string[] = [];
    for (let dir = parentDir; ; dir = dirname(dir)) {
      if (!dir.endsWith(`${sep}node_modules`)) paths.push(join(dir, 'node_modules'));
      if (dir === root || dir === dirname(dir) || !dir.startsWith(root)) break;
    }
    return paths;
  }

  #fileOrDirectory(path: string): string | undefined {
    return loadAsFile(path) ?? this.#directory(path);
  }

  #directory(path: string): string | undefined {
    const manifest = readPackageJson(path);
    if (typeof manifest?.main === 'string' && manifest.main !== '') {
      const main = resolve(path, manifest.main);
      const found = loadAsFile(main) ?? loadIndex(main);
      if (found !== undefined) return found;
    }
    return loadIndex(path);
  }
}

class ResolveError extends Error {
  readonly code: ResolveErrorCode;
  constructor(code: ResolveErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function builtinUnavailable(request: string): ResolveRecord {
  const name = request.startsWith('node:') ? request.slice(5) : request;
  // Reached only for names the isolate's own registry (shim/builtins.js) does not provide.
  const why = PROCESS_MODULES.has(name)
    ? `the Node built-in "${name}" cannot run in the isolate; ${PROCESS_MODE_HINT}`
    : `this Node built-in module is not provided in the isolate; ${PROCESS_MODE_HINT}`;
  return { code: 'ERR_BUILTIN_UNAVAILABLE', message: `Cannot load module "${request}": ${why}` };
}

function notFound(request: string): ResolveRecord {
  return { code: 'MODULE_NOT_FOUND', message: `Cannot find module '${request}'` };
}

function isRelative(request: string): boolean {
  return request === '.' || request === '..' || request.startsWith('./') || request.startsWith('../') || request.startsWith('/');
}

function splitPackage(request: string): [string, string] {
  const parts = request.split('/');
  const count = request.startsWith('@') ? 2 : 1;
  return [parts.slice(0, count).join('/'), parts.slice(count).join('/')];
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function loadAsFile(path: string): string | undefined {
  if (isFile(path)) return path;
  for (const ext of FILE_EXTENSIONS) if (isFile(path + ext)) return path + ext;
  return undefined;
}

function loadIndex(path: string): string | undefined {
  for (const ext of FILE_EXTENSIONS) if (isFile(join(path, `index${ext}`))) return join(path, `index${ext}`);
  return undefined;
}

function readPackageJson(dir: string): PackageJson | undefined {
  const file = join(dir, 'package.json');
  if (!isFile(file)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as PackageJson) : undefined;
  } catch {
    return undefined;
  }
}

/** package.json `exports` for `require`: strings, condition objects, arrays and `./dir/*` patterns. */
function resolveExports(packageDir: string, exports: unknown, subpath: string, request: string): string | undefined {
  const map = isSubpathMap(exports) ? (exports as Record<string, unknown>) : { '.': exports };
  let target: unknown = map[subpath];
  let star = '';
  if (target === undefined) {
    const pattern = Object.keys(map)
      .filter((key) => key.includes('*') && subpath.startsWith(key.slice(0, key.indexOf('*'))) && subpath.endsWith(key.slice(key.indexOf('*') + 1)))
      .sort((a, b) => b.length - a.length)[0];
    if (pattern !== undefined) {
      target = map[pattern];
      star = subpath.slice(pattern.indexOf('*'), subpath.length - (pattern.length - pattern.indexOf('*') - 1));
    }
  }
  const resolved = resolveTarget(target, star);
  if (resolved === undefined) {
    throw new ResolveError('ERR_PACKAGE_PATH_NOT_EXPORTED', `Package subpath '${subpath}' is not defined by "exports" in ${join(packageDir, 'package.json')} (required as '${request}')`);
  }
  return resolve(packageDir, resolved);
}

function isSubpathMap(exports: unknown): boolean {
  return exports !== null && typeof exports === 'object' && !Array.isArray(exports) && Object.keys(exports).some((key) => key.startsWith('.'));
}

function resolveTarget(target: unknown, star: string): string | undefined {
  if (typeof target === 'string') return target.startsWith('./') ? target.replaceAll('*', star) : undefined;
  if (Array.isArray(target)) {
    for (const item of target) {
      const found = resolveTarget(item, star);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (target !== null && typeof target === 'object') {
    for (const [condition, value] of Object.entries(target)) {
      if (!REQUIRE_CONDITIONS.has(condition)) continue;
      const found = resolveTarget(value, star);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Node ignores a `#!` first line; keep the line (as a comment) so line numbers stay right. */
function stripShebang(source: string): string {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  return text.startsWith('#!') ? `//${text.slice(2)}` : text;
}
