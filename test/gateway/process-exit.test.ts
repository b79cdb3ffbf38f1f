// Killing a function's process from outside mid-invocation is 439 through the gateway, and the function
// keeps working: the next invoke gets a new instance.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { requireTool } from '../helpers/toolchain.ts';

if (requireTool(t, 'python3', 'python3')) {
  const gateway = await startTestGateway(t, {
    functions: {
      killable: { src: fileURLToPath(new URL('../fixtures/python/killable', import.meta.url)), runtime: 'Python3.9', timeout: 60 },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'fngate-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  t.test('SIGKILL from outside mid-invocation is 439; the next invoke succeeds', async (t) => {
    const pidFile = join(dir, 'pid');
    const pending = gateway.invoke('killable', { pidFile });
    const until = Date.now() + 20_000;
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') {
      if (Date.now() > until) throw new Error('the function never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const pid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
    const killed = await pending;
    t.equal(killed.status, 439, killed.text);
    t.equal(killed.json.statusCode, 439);
    const next = await gateway.invoke('killable', {});
    t.equal(next.status, 200, next.text);
    t.not(next.json.pid, pid, 'served by a new process');
  });
}
