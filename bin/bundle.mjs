// Part of `npm run build`: bundles the compiled CLI (dist/gateway/cli.js and what it imports) into
// dist/bundle/, which bin/fngate.js runs. Why: Node's ES module loader pays per file (read, resolve,
// compile, link: ~2 ms each without the start-up snapshot isolated-vm makes us drop), and `fngate serve`
// loads ~200 files. Lazily imported parts (the HTTP API, runtimes, CLI commands) stay lazy: each is a
// chunk of its own. The embedding API (package.json exports) stays the unbundled dist/gateway/index.js.
//
// Kept out of the bundle: native addons, packages that start workers or child processes from their own
// files (piscina, esbuild, autocannon), and the polyfills the isolate's built-ins are made of
// (runtimes/node/bundle.ts bundles those for the isolate from node_modules). pino is bundled: its
// transports would look for their worker files beside the bundle, and gateway/logger.ts uses none.
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

const EXTERNAL = [
  'better-sqlite3',
  'isolated-vm',
  'piscina',
  'chokidar',
  'esbuild',
  'tsx',
  'autocannon',
  'hdr-histogram-js',
  '@cloudflare/*',
];

/**
 * Code finds its sidecar files (shims, worker scripts, package.json) relative to its own module, and those
 * stay where the compiler put them. In the bundle every module's `import.meta.url` is the chunk's, so each
 * one is rewritten to the URL the module had in dist/: the chunk's URL and the path between them.
 */
function moduleUrlPlugin(dist, outdir) {
  return {
    name: 'module-url',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!args.path.startsWith(dist + '/')) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
        const path = JSON.stringify(relative(outdir, args.path));
        return { contents: text.replaceAll('import.meta.url', `new URL(${path}, import.meta.url).href`), loader: 'js' };
      });
    },
  };
}

/** Bundles `<dist>/gateway/cli.js` into `<dist>/bundle/`; throws what esbuild reports. */
export async function bundleCli(esbuild, dist) {
  const outdir = join(dist, 'bundle');
  await esbuild.build({
    entryPoints: [join(dist, 'gateway', 'cli.js')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // CommonJS packages in an ES module bundle call require() for Node's built-ins.
    banner: { js: "import { createRequire as __fngateCreateRequire } from 'node:module'; const require = __fngateCreateRequire(import.meta.url);" },
    plugins: [moduleUrlPlugin(dist, outdir)],
    logLevel: 'warning',
  });
}
