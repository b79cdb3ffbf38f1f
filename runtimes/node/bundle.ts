/**
 * Bundled shim parts: Node built-ins the isolate takes from npm libraries (readable-stream, assert,
 * node-inspect-extracted …) are bundled with esbuild into one script per part, the first time an isolate
 * needs that part. No build step: the bundle is made on first use and kept in a cache folder, named by a
 * hash of the entry file and esbuild's version and checked against the size and mtime of every file that
 * went into it, so a changed library or entry rebuilds it and a fresh clone works as is.
 *
 * In a bundle, requires of Node built-in names (`buffer`, `events`, `process/`, `util/` …) stay external:
 * the isolate resolves them to its own built-ins (internal.bundleRequire), so `stream`'s EventEmitter is
 * `require('events')` and its Buffer is the global Buffer, as in Node. The part's own names are not
 * external, so its entry can require the npm package of the same name (`string_decoder/`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** esbuild, loaded on the first bundle: a gateway whose isolates find every part cached never loads it. */
let esbuild: typeof import('esbuild') | undefined;
const loadEsbuild = (): typeof import('esbuild') => (esbuild ??= createRequire(import.meta.url)('esbuild') as typeof import('esbuild'));

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where bundles are kept between gateway runs; the usual place tools cache builds in. */
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'fngate-shim');

/** Polyfill packages replaced by the native feature they polyfill (shim/natives/, see its README). */
const NATIVE_ALIASES: Record<string, string> = {
  'object.assign': './runtimes/node/shim/natives/object.assign',
  'object-is': './runtimes/node/shim/natives/object-is',
  'call-bind': './runtimes/node/shim/natives/call-bind',
};

/** Requires that stay external besides the built-ins: libraries' fallbacks for globals the isolate has. */
const EXTRA_EXTERNALS = ['abort-controller'];

interface CacheFile {
  inputs: Record<string, [size: number, mtimeMs: number]>;
  code: string;
}

const built = new Map<string, string>();

/**
 * The CommonJS bundle of `entryFile` (absolute), with every Node built-in except `own` left as an external
 * `require`. Sync: it runs inside the isolate's `require`; only the first use on a machine pays esbuild.
 */
export function bundledSource(entryFile: string, own: readonly string[]): string {
  let code = built.get(entryFile);
  if (code === undefined) {
    const entry = readFileSync(entryFile, 'utf8');
    const key = createHash('sha256').update(`${loadEsbuild().version}\0${entryFile}\0${own.join(',')}\0${JSON.stringify(NATIVE_ALIASES)}\0${entry}`).digest('hex').slice(0, 24);
    const cacheFile = join(CACHE_DIR, `${cachePrefix(entryFile)}${key}.json`);
    code = readCache(cacheFile) ?? build(entryFile, own, cacheFile);
    built.set(entryFile, code);
  }
  return code;
}

/** Cache files of one entry share a prefix, so a rebuild can remove the ones it replaces. */
function cachePrefix(entryFile: string): string {
  return `${basename(entryFile, '.js')}-`;
}

function readCache(cacheFile: string): string | undefined {
  let cached: CacheFile;
  try {
    cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheFile;
  } catch {
    return undefined;
  }
  for (const [file, [size, mtimeMs]] of Object.entries(cached.inputs)) {
    const stat = statSync(resolve(REPO_ROOT, file), { throwIfNoEntry: false });
    if (stat === undefined || stat.size !== size || stat.mtimeMs !== mtimeMs) return undefined;
  }
  return cached.code;
}

function build(entryFile: string, own: readonly string[], cacheFile: string): string {
  const ownNames = new Set(own);
  const builtins = builtinModules.filter((name) => !ownNames.has(name) && !name.startsWith('_'));
  const result = loadEsbuild().buildSync({
    entryPoints: [entryFile],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    metafile: true,
    format: 'cjs',
    platform: 'neutral',
    // The libraries' browser builds where they have one: no `process.binding`, no native fallbacks.
    mainFields: ['browser', 'main'],
    conditions: ['require'],
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
    alias: NATIVE_ALIASES,
    external: [...builtins, ...builtins.map((name) => `${name}/`), 'node:*', ...EXTRA_EXTERNALS],
  });
  const code = result.outputFiles[0]!.text;
  const inputs: CacheFile['inputs'] = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const stat = statSync(resolve(REPO_ROOT, file));
    inputs[file] = [stat.size, stat.mtimeMs];
  }
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ inputs, code } satisfies CacheFile));
    renameSync(temporary, cacheFile);
    const prefix = cachePrefix(entryFile);
    for (const stale of readdirSync(CACHE_DIR)) {
      if (stale.startsWith(prefix) && stale.endsWith('.json') && join(CACHE_DIR, stale) !== cacheFile) rmSync(join(CACHE_DIR, stale), { force: true });
    }
  } catch {
    // A read-only install still works: the bundle is rebuilt once per process instead.
  }
  return code;
}
