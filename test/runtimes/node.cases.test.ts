import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runRuntimeCases } from '../runtime.cases.ts';

await runRuntimeCases(t, {
  runtime: 'Nodejs18.15',
  fixtures: fileURLToPath(new URL('../fixtures/node/cases', import.meta.url)),
});
