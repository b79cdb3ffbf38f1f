import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runRuntimeCases } from '../runtime.cases.ts';
import { requireTool } from '../helpers/toolchain.ts';

if (requireTool(t, 'python3', 'python3')) {
  await runRuntimeCases(t, {
    runtime: 'Python3.9',
    fixtures: fileURLToPath(new URL('../fixtures/python/cases', import.meta.url)),
  });
}
