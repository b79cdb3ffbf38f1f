import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CASES, runRuntimeCases } from '../runtime.cases.ts';
import { buildGoPrograms } from '../helpers/go.ts';
import { requireTool } from '../helpers/toolchain.ts';

// Each case is a Go program built against the scf-go-lib stand-in (test/fixtures/go/cloudfunction),
// copied as `main` into a code folder of its own, as a user would upload it.
if (requireTool(t, 'go', 'golang-go')) {
  const root = await mkdtemp(join(tmpdir(), 'fngate-go-cases-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const bin = join(root, 'bin');
  await buildGoPrograms(CASES.map((name) => `./functions/${name}`), bin);
  for (const name of CASES) {
    await mkdir(join(root, 'cases', name), { recursive: true });
    await copyFile(join(bin, name), join(root, 'cases', name, 'main'));
  }
  await runRuntimeCases(t, { runtime: 'Go1', fixtures: join(root, 'cases'), handler: 'main' });
}
