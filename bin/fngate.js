#!/usr/bin/env -S node --no-node-snapshot
// Entry point. isolated-vm needs `--no-node-snapshot` on Node 20+: when started without it
// (`node bin/fngate.js …`), run again with it. TypeScript sources load through tsx, so there is no build step.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (!process.execArgv.includes('--no-node-snapshot')) {
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../gateway/cli.ts');
  await main(process.argv.slice(2));
}
