// Hostile functions through the real gateway (issue 9 §1): what a Python function must not reach or do.
// Each case first shows, on the host, that what it tries is real (the path exists, the process lives),
// so the test fails where the sandbox is missing (FNGATE_SANDBOX=none runs the same attacks unsandboxed).
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { requireTool } from '../helpers/toolchain.ts';
import { processesWith, uniqueSleep, waitFor } from './helpers.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/security/${name}`, import.meta.url));

if (requireTool(t, 'python3', 'python3')) {
  const gateway = await startTestGateway(t, {
    functions: {
      hostile: { src: fixture('hostile'), runtime: 'Python3.9', timeout: 20, memorySize: 128 },
      escaper: { src: fixture('hostile'), runtime: 'Python3.9', timeout: 2 },
      victim: { src: fixture('victim'), runtime: 'Python3.9' },
    },
  });
  const dataDir = join(gateway.config.root, '.fngate');

  t.test('no view of another function, the data dir, /etc/shadow or the gateway\'s environment', async (t) => {
    t.equal((await gateway.invoke('victim')).status, 200);
    const paths = [join(fixture('victim'), 'index.py'), dataDir, '/etc/shadow', `/proc/${process.pid}/environ`];
    for (const path of paths) t.ok(readFileSync(path === dataDir ? join(path, '..', 'fngate.yml') : path).length >= 0, `${path} is readable on the host`);
    const result = await gateway.invoke('hostile', { op: 'read', paths });
    t.equal(result.status, 200, result.text);
    for (const path of paths) t.match(result.json[path], /^error: /, `${path}: ${result.json[path]}`);
    const whoami = await gateway.invoke('hostile', { op: 'whoami' });
    t.not(whoami.json.uid, 0, 'not root inside');
  });

  t.test('a double-forked, setsid process ends with its instance', async (t) => {
    const marker = uniqueSleep();
    const forked = await gateway.invoke('escaper', { op: 'escape', marker });
    t.equal(forked.status, 200, forked.text);
    t.ok(await waitFor(() => processesWith(marker).length > 0, 10_000), 'the escaped process runs');
    const hung = await gateway.invoke('escaper', { op: 'hang' });
    t.equal(hung.status, 433, 'the timeout ends the instance');
    t.ok(await waitFor(() => processesWith(marker).length === 0, 10_000), 'the escaped process is gone with it');
  });

  t.test('a call cannot start 300 processes', async (t) => {
    const result = await gateway.invoke('hostile', { op: 'fork', count: 300 });
    t.equal(result.status, 200, result.text);
    t.ok(result.json.started < 300, `${result.json.started} started, then: ${result.json.error}`);
  });

  t.test('/tmp is capped at 512 MB', async (t) => {
    const result = await gateway.invoke('hostile', { op: 'fill', bytes: 1536 * 1024 * 1024 });
    t.equal(result.status, 200, result.text);
    t.ok(result.json.written <= 512 * 1024 * 1024, `wrote ${result.json.written} bytes, then: ${result.json.error}`);
    t.ok(result.json.error, 'the write failed');
  });

  t.test('memory grown after the handler returned ends the idle instance; the next caller is not charged', async (t) => {
    const first = await gateway.invoke('hostile', { op: 'grow-later', mb: 300, delay: 0.2 });
    t.equal(first.status, 200, first.text);
    // The idle check runs every second; growing 300 MB takes a moment on a busy machine.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const next = await gateway.invoke('hostile', {});
    t.equal(next.status, 200, next.text);
    t.not(next.json.token, first.json.token, 'served by a new instance');
  });

  t.test('outbound TCP to a loopback server of the host works, at host.fngate.internal (network.test.ts has the rest)', async (t) => {
    const server = createServer((socket) => socket.once('data', () => socket.end('pong')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => server.close());
    const result = await gateway.invoke('hostile', { op: 'connect', host: 'host.fngate.internal', port: (server.address() as AddressInfo).port });
    t.same(result.json, { reply: 'pong' });
  });
}
