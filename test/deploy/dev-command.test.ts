/**
 * `fngate dev` as a real process: serve --watch on loopback. An edit of the function's code is served
 * without a restart; SIGTERM still ends it (the watcher does not hold the process open).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const bin = fileURLToPath(new URL('../../bin/fngate.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'fngate-dev-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const writeCode = (tag: string): void =>
  writeFileSync(join(root, 'hello', 'index.js'), `exports.main_handler = async () => ({ code: ${JSON.stringify(tag)} });\n`);
mkdirSync(join(root, 'hello'));
writeCode('one');
writeFileSync(join(root, 'fngate.yml'), 'functions:\n  hello:\n    src: ./hello\n    runtime: Nodejs18.15\n');

t.test('fngate dev serves on loopback and redeploys an edited function', async (t) => {
  const child = spawn(process.execPath, [bin, 'dev', root, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FNGATE_FROM_SOURCE: '1', FNGATE_LOG_LEVEL: 'warn' },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const ready = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => line.startsWith('fngate ready') && resolve(line));
    void exited.then((code) => reject(new Error(`dev exited with ${code}: ${stderr}`)));
  });
  t.match(ready, /^fngate ready on http:\/\/127\.0\.0\.1:\d+ /, 'listens on loopback');
  const url = /\((http:\/\/[^)]+)\)/.exec(ready)![1]!;
  const call = async (): Promise<string> => ((await (await fetch(`${url}/functions/hello/invoke`, { method: 'POST', body: '{}' })).json()) as { code: string }).code;
  t.equal(await call(), 'one');
  writeCode('two');
  let code = '';
  for (let i = 0; i < 200 && code !== 'two'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    code = await call();
  }
  t.equal(code, 'two', 'the edited code is served without a restart');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM ends it');
});
