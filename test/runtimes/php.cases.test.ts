import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runRuntimeCases } from '../runtime.cases.ts';
import { requireTool } from '../helpers/toolchain.ts';

if (requireTool(t, 'php', 'php-cli')) {
  await runRuntimeCases(t, {
    runtime: 'Php8',
    fixtures: fileURLToPath(new URL('../fixtures/php/cases', import.meta.url)),
  });
}
