import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/fngate.js');
const run = promisify(execFile);

t.test('fngate serve / invoke / logs against the examples', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fngate-cli-'));
  // Started without --no-node-snapshot on purpose: the entry point adds it.
  const server = spawn(process.execPath, [bin, 'serve', join(root, 'examples'), '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FNGATE_LOG_LEVEL: 'warn' },
  });
  t.teardown(async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });
  const lines = createInterface({ input: server.stdout! });
  const ready = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => line.startsWith('fngate ready') && resolve(line));
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  t.match(ready, /functions: hello, callback, npm-package, env/);
  const url = /\((http:\/\/[^)]+)\)/.exec(ready)![1]!;

  const invoked = await run(process.execPath, [bin, 'invoke', 'hello', '--url', url, '--event', join(root, 'test/fixtures/events/name.json')]);
  t.same(JSON.parse(invoked.stdout).message, 'Hello, cli!');

  const failed = await run(process.execPath, [bin, 'invoke', 'missing', '--url', url]).catch((error) => error);
  t.equal(failed.code, 1, 'non-zero exit on an error status');
  t.match(failed.stderr, /status 435/);

  const packaged = await run(process.execPath, [bin, 'invoke', 'npm-package', '--url', url]);
  t.same(JSON.parse(packaged.stdout), { input: '2h', milliseconds: 7200000 });

  const response = await fetch(`${url}/functions/env/invoke`, { method: 'POST', body: '{}' });
  const requestId = response.headers.get('x-scf-request-id')!;
  t.match(await response.json(), { greeting: 'hello from fngate.yml', functionName: 'env', region: 'ap-guangzhou' });
  const logs = await run(process.execPath, [bin, 'logs', 'env', '--url', url, '--request-id', requestId]);
  const logLines = logs.stdout.trim().split('\n');
  t.equal(logLines[0], `START RequestId: ${requestId}`);
  t.ok(logLines.some((line) => line.startsWith(`Report RequestId: ${requestId}`)));
});

t.test('an invalid manifest stops serve with a message naming the function and key', async (t) => {
  const dir = t.testdir({ 'fngate.yml': 'functions:\n  broken: { src: ., timeout: soon }\n' });
  const result = await run(process.execPath, [bin, 'serve', dir, '--port', '0']).catch((error) => error);
  t.equal(result.code, 2);
  t.match(result.stderr, /function "broken": key "timeout"/);
});
