/** Vendors npm packages into a function's code folder, the way SCF users upload them (node_modules inside). */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

/** Copies `names` and their dependencies (as installed in the repository) into `codeDir/node_modules`. */
export function vendorPackages(codeDir: string, names: readonly string[]): void {
  const done = new Set<string>();
  const copy = (name: string): void => {
    if (done.has(name)) return;
    done.add(name);
    const from = join(REPO_MODULES, name);
    if (!existsSync(from)) throw new Error(`package ${name} is not installed in the repository`);
    cpSync(from, join(codeDir, 'node_modules', name), { recursive: true, dereference: true });
    const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (!existsSync(join(from, 'node_modules', dependency))) copy(dependency);
    }
  };
  for (const name of names) copy(name);
}
