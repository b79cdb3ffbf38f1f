#!/usr/bin/env node
// `npm run build` (and `prepare`, so an install from git builds too): compiles gateway/, runtimes/ and store/
// to dist/ with type declarations (tsconfig.build.json), then copies the files that are not TypeScript (the
// isolate shim, the Python/PHP/Java shims, worker scripts) beside them, since the code finds them relative to
// itself, and bundles the CLI into dist/bundle/ (bin/bundle.mjs). Ends by writing dist/BUILD_STAMP, which
// bin/fngate.js compares with the sources' times.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_DIRS } from './build-state.mjs';
import { bundleCli } from './bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
// Built beside dist/ and swapped in at the end, so a running gateway or test never sees half a build.
const next = join(root, 'dist.next');
/** Files next to the code that the build does not copy: TypeScript (compiled instead) and build leftovers. */
const NOT_COPIED = [/\.ts$/, /\.class$/];

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // Installed without dev dependencies (npm install --omit=dev from git): nothing to build with.
  console.error('fngate build: TypeScript is not installed; bin/fngate.js will run the sources through tsx');
  process.exit(0);
}

rmSync(next, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', next], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

function copyAssets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(path);
    else if (entry.isFile() && !NOT_COPIED.some((pattern) => pattern.test(entry.name))) {
      const target = join(next, relative(root, path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target, { preserveTimestamps: true });
      // Executables (bootstraps, shims) stay executable.
      chmodSync(target, statSync(path).mode & 0o777);
    }
  }
}
for (const dir of SOURCE_DIRS) copyAssets(join(root, dir));
try {
  // esbuild comes with tsx (a dependency); without it the CLI runs the unbundled build.
  await bundleCli(await import('esbuild'), next);
} catch (error) {
  console.error(`fngate build: the CLI is not bundled (${error.message}); bin/fngate.js runs dist/gateway/cli.js`);
}
writeFileSync(join(next, 'BUILD_STAMP'), `${new Date().toISOString()}\n`);
rmSync(dist, { recursive: true, force: true });
renameSync(next, dist);
console.log(`fngate build: ${relative(process.cwd(), dist) || 'dist'} is ready`);
