#!/usr/bin/env -S node --no-node-snapshot
// Entry point. isolated-vm needs `--no-node-snapshot` on Node 20+: when started without it
// (`node bin/fngate.js …`), run again with it. Runs the build in dist/ (`npm run build`; `prepare` makes it
// on install) when it is at least as new as every source file; otherwise, or with FNGATE_FROM_SOURCE=1,
// the TypeScript sources through tsx, so an edited checkout never runs stale code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distState } from './build-state.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The build's entry module when the build is there and current, else undefined. */
function builtEntry() {
  if (process.env.FNGATE_FROM_SOURCE === '1') return undefined;
  const state = distState(root);
  if (state === 'missing') return undefined;
  if (state === 'stale') {
    process.stderr.write('fngate: dist/ is older than the sources; running the sources (npm run build refreshes dist/)\n');
    return undefined;
  }
  // The bundle (bin/bundle.mjs) loads in a fraction of the time; a build without it runs the compiled files.
  const bundled = join(root, 'dist', 'bundle', 'cli.js');
  return existsSync(bundled) ? bundled : join(root, 'dist', 'gateway', 'cli.js');
}

if (!process.execArgv.includes('--no-node-snapshot')) {
  // fd 3 is a pipe only this launcher writes to: however it dies (kill -9 too) the child reads its end
  // and shuts down (gateway/cli/launcher-link.ts), so no server outlives its launcher and holds the port.
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, FNGATE_LAUNCHER_FD: '3' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
} else {
  const entry = builtEntry();
  if (entry === undefined) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  const { main } = await import(entry ?? '../gateway/cli.ts');
  await main(process.argv.slice(2));
}
