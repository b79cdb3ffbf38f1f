// Crash safety of `fngate serve` as real processes: SIGTERM drains (the in-flight request completes, new
// connections are refused, exit 0), async attempts cut by it run at once on the next start, and kill -9
// of the launcher leaves no server behind, so a restart on the same port works.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { stringify } from 'yaml';
import { INVOCATION_TYPE_HEADER } from '../../gateway/invoke-api.ts';
import { AUTH_HEADERS } from '../helpers/gateway.ts';
import { childPids, isRunning, startServe } from '../helpers/serve-process.ts';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function project(t: { teardown(fn: () => void): void }, gateway: Record<string, unknown> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'fngate-shutdown-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const src = fileURLToPath(new URL('../fixtures/security/node-sleep', import.meta.url));
  writeFileSync(join(root, 'fngate.yml'), stringify({ gateway, functions: { sleep: { src, runtime: 'Nodejs18.15', timeout: 60 } } }));
  return root;
}

const invoke = (url: string, ms: number, type = 'RequestResponse'): Promise<Response> =>
  fetch(`${url}/functions/sleep/invoke`, { method: 'POST', headers: { [INVOCATION_TYPE_HEADER]: type }, body: JSON.stringify({ ms }) });

t.test('SIGTERM: an in-flight 2 s request completes, new connections are refused, exit 0', async (t) => {
  const serve = await startServe(project(t), ['--port', '0']);
  t.teardown(() => serve.launcher.kill('SIGKILL'));
  t.equal((await invoke(serve.url, 0)).status, 200, 'warm');
  const started = Date.now();
  const inFlight = invoke(serve.url, 2000);
  await pause(300);
  serve.launcher.kill('SIGTERM');
  await pause(300);
  const refused = await fetch(`${serve.url}/healthz`).then(
    (response) => `answered ${response.status}`,
    (error: { cause?: { code?: string } }) => error.cause?.code ?? 'failed',
  );
  t.equal(refused, 'ECONNREFUSED', 'no new connection is accepted while draining');
  const answer = await inFlight;
  t.equal(answer.status, 200, 'the in-flight request completed');
  t.same(await answer.json(), { slept: 2000 });
  t.ok(Date.now() - started >= 2000);
  t.equal(await serve.exited, 0, 'exit code 0');
});

t.test('SIGTERM with a running async event: the next start runs it at once', async (t) => {
  const root = project(t);
  const dataDir = join(root, 'data');
  const first = await startServe(root, ['--port', '0', '--data-dir', dataDir]);
  t.teardown(() => first.launcher.kill('SIGKILL'));
  const accepted = await invoke(first.url, 30_000, 'Event');
  t.equal(accepted.status, 202);
  const requestId = accepted.headers.get('x-scf-request-id')!;
  const eventOf = async (url: string): Promise<{ status: string; attemptCount: number }> =>
    (await (await fetch(`${url}/async-events/${requestId}`, { headers: AUTH_HEADERS })).json()) as { status: string; attemptCount: number };
  for (const until = Date.now() + 10_000; (await eventOf(first.url)).status !== 'running' && Date.now() < until; ) await pause(50);
  t.equal((await eventOf(first.url)).status, 'running', 'the attempt runs (its lease is taken)');
  first.launcher.kill('SIGTERM');
  t.equal(await first.exited, 0, 'exit code 0');

  const second = await startServe(root, ['--port', '0', '--data-dir', dataDir]);
  t.teardown(() => second.launcher.kill('SIGKILL'));
  const restarted = Date.now();
  let event = await eventOf(second.url);
  while (!(event.status === 'running' && event.attemptCount >= 2) && Date.now() - restarted < 10_000) {
    await pause(50);
    event = await eventOf(second.url);
  }
  t.equal(event.status, 'running', 'running again');
  t.ok(event.attemptCount >= 2, `attempt ${event.attemptCount}`);
  t.ok(Date.now() - restarted < 10_000, `within ${Date.now() - restarted} ms, not after its 60 s lease`);
  second.launcher.kill('SIGTERM');
  t.equal(await second.exited, 0);
});

t.test('kill -9 of the launcher ends the server; a restart on the same port works', async (t) => {
  const root = project(t);
  const first = await startServe(root, ['--port', '0']);
  const [server] = childPids(first.launcher.pid!);
  t.ok(server && isRunning(server), `the launcher runs the server as its child (${server})`);
  t.teardown(() => {
    if (server && isRunning(server)) process.kill(server, 'SIGKILL');
  });
  first.launcher.kill('SIGKILL');
  await first.exited;
  const second = await startServe(root, ['--port', String(first.port)]);
  t.teardown(() => second.launcher.kill('SIGKILL'));
  t.equal(second.port, first.port, 'listening on the same port, no EADDRINUSE');
  for (const until = Date.now() + 10_000; isRunning(server!) && Date.now() < until; ) await pause(50);
  t.notOk(isRunning(server!), 'the orphaned server exited');
  t.equal((await invoke(second.url, 0)).status, 200, 'the new server serves');
  second.launcher.kill('SIGTERM');
  t.equal(await second.exited, 0);
});
