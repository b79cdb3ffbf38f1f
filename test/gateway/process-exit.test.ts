// Killing a function's process from outside mid-invocation is 439 through the gateway, and the function
// keeps working: the next invoke gets a new instance.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { hostPidOf, readFunctionFile } from '../helpers/sandbox.ts';
import { requireTool } from '../helpers/toolchain.ts';

if (requireTool(t, 'python3', 'python3')) {
  const gateway = await startTestGateway(t, {
    functions: {
      killable: { src: fileURLToPath(new URL('../fixtures/python/killable', import.meta.url)), runtime: 'Python3.9', timeout: 60 },
    },
  });

  t.test('SIGKILL from outside mid-invocation is 439; the next invoke succeeds', async (t) => {
    // Under /tmp, which a sandboxed function has too (its own: the host reads it through /proc).
    const pidFile = `/tmp/fngate-kill-${process.pid}-${Date.now()}.pid`;
    t.teardown(() => rmSync(pidFile, { force: true }));
    const pending = gateway.invoke('killable', { pidFile });
    const until = Date.now() + 20_000;
    let written = readFunctionFile(pidFile);
    while (!written?.text) {
      if (Date.now() > until) throw new Error('the function never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
      written = readFunctionFile(pidFile);
    }
    const pid = Number(written.text);
    process.kill(hostPidOf(pid, written.pid), 'SIGKILL');
    const killed = await pending;
    t.equal(killed.status, 439, killed.text);
    t.equal(killed.json.statusCode, 439);
    const next = await gateway.invoke('killable', {});
    t.equal(next.status, 200, next.text);
    // In a sandbox every instance's process has the same pid in its own namespace; the killed one is dead anyway.
    if (written.pid === undefined) t.not(next.json.pid, pid, 'served by a new process');
  });
}
