// A pre-warmed sandbox adopted by a function shows its code read-only at /var/user, through the mount
// helper (python-protocol.test.ts) and through spawned mount commands without it (code-slot-fallback.test.ts).
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { pythonRuntime } from '../../runtimes/python/adapter.ts';
import { sandboxHost } from '../../runtimes/sandbox/host.ts';
import { Harness, invoke, makeSpec } from './subprocess.cases.ts';

const fixtures = fileURLToPath(new URL('../fixtures/python', import.meta.url));

export async function readOnlyCodeCase(t: Test): Promise<void> {
  await t.test('a pre-warmed sandbox shows the code read-only at /var/user', { skip: sandboxHost() && process.getuid?.() === 0 ? false : 'needs the sandbox and root (code slots)' }, async (t) => {
    const h = new Harness(t, pythonRuntime);
    const root = mkdtempSync(join(tmpdir(), 'fngate-code-write-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const codeDir = join(root, 'code');
    cpSync(`${fixtures}/code-write`, codeDir, { recursive: true });
    // Writable by everyone on the host: only the mount can refuse the write.
    chmodSync(root, 0o755);
    chmodSync(codeDir, 0o777);
    const adapter = h.adapter({ prewarm: 1 });
    await adapter.warm();
    for (let round = 0; round < 2; round++) {
      const { instance } = await h.start(adapter, makeSpec(codeDir));
      const result = JSON.parse(await invoke(instance));
      t.same(result, { cwd: '/var/user', write: 'EROFS', files: ['index.py'] }, `instance ${round + 1}`);
      await instance.close();
      await adapter.warm();
    }
  });
}
