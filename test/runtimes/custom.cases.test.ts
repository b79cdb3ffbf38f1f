import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runRuntimeCases } from '../runtime.cases.ts';
import { requireTool } from '../helpers/toolchain.ts';

// bash + curl bootstraps as in SCF's sample; the memory case is a Python (urllib) bootstrap.
if (requireTool(t, 'curl', 'curl') && requireTool(t, 'python3', 'python3')) {
  await runRuntimeCases(t, {
    runtime: 'CustomRuntime',
    fixtures: fileURLToPath(new URL('../fixtures/custom/cases', import.meta.url)),
    handler: 'index.main_handler',
    // Custom runtimes default to SCF's 65 s; a broken bootstrap should fail the test sooner.
    extra: { initTimeout: 10 },
  });
}
