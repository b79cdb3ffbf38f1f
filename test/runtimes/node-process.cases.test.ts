import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runRuntimeCases } from '../runtime.cases.ts';

// The same suite and fixtures as the isolate mode (node.cases.test.ts), in a real Node.js process per instance.
await runRuntimeCases(t, {
  runtime: 'Nodejs18.15',
  fixtures: fileURLToPath(new URL('../fixtures/node/cases', import.meta.url)),
  // A start that finds no pre-warmed spare boots Node.js, which a busy test machine slows down; the
  // timeout case measures from the request, cold start included.
  extra: { nodeRuntime: 'process', initTimeout: 30 },
  timeoutSlackMs: 1500,
});
