import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runRuntimeCases } from '../runtime.cases.ts';

// The same suite and fixtures as the isolate mode (node.cases.test.ts), in a real Node.js process per instance.
await runRuntimeCases(t, {
  runtime: 'Nodejs18.15',
  fixtures: fileURLToPath(new URL('../fixtures/node/cases', import.meta.url)),
  extra: { nodeRuntime: 'process' },
});
