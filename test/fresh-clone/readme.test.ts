/**
 * The README's Quick start, run as a newcomer runs it: a fresh clone of this repository, `npm ci`, the
 * README's start command, then every line of its "With the gateway running" block, each through bash in
 * the clone. The commands are read from README.md, so the README and this test cannot drift apart.
 * It runs after the rest of the suite, on its own (test/run.mjs): `npm ci` compiles native modules.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const NPM_CI_TIMEOUT_MS = 8 * 60_000;
const READY_TIMEOUT_MS = 60_000;

/** The shell lines of the first ```sh block after `marker` in the README (comments stripped). */
function readmeBlock(readme: string, marker: string): string[] {
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`README.md has no sh block after "${marker}"`);
  return block[1]!
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    // Already gone.
  }
  const force = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, 10_000);
  return exited.finally(() => clearTimeout(force));
}

t.test("the README's Quick start works on a fresh clone", { timeout: NPM_CI_TIMEOUT_MS + 3 * 60_000 }, async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const quickStart = readmeBlock(readme, '## Quick start');
  const cliExamples = readmeBlock(readme, 'With the gateway running');
  t.same(quickStart.slice(0, 1), ['npm install'], 'the first command is npm install');
  const startCommand = quickStart.find((line) => line.startsWith('npm start'));
  t.ok(startCommand, 'the Quick start has a start command');
  t.ok(quickStart.some((line) => line.startsWith('npm test')), 'the Quick start has a test command');

  const clone = mkdtempSync(join(tmpdir(), 'fngate-clone-'));
  t.teardown(() => rmSync(clone, { recursive: true, force: true }));
  await run('git', ['clone', '--quiet', root, clone]);
  // `npm ci` is what `npm install` does on a clone with a lockfile, without touching the lockfile.
  await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: clone, timeout: NPM_CI_TIMEOUT_MS, maxBuffer: 64 << 20 });

  const server = spawn('bash', ['-c', startCommand!], { cwd: clone, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => stopGroup(server));
  let stderr = '';
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within ${READY_TIMEOUT_MS} ms; stderr: ${stderr}`)), READY_TIMEOUT_MS);
    createInterface({ input: server.stdout! }).on('line', (line) => {
      if (line.startsWith('fngate ready')) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    server.once('exit', (code) => reject(new Error(`"${startCommand}" exited with ${code}: ${stderr}`)));
  });
  t.match(ready, /:9000\b/, 'the gateway serves on port 9000');
  t.match(ready, /functions: hello, callback, npm-package, env/);

  for (const command of cliExamples) {
    type Outcome = { code?: number; stdout?: string; stderr?: string };
    const result: Outcome = await run('bash', ['-c', command], { cwd: clone, timeout: 30_000 }).catch((error: Outcome) => error);
    t.equal(result.code ?? 0, 0, `exit 0: ${command}\n${result.stderr ?? ''}`);
    t.not(String(result.stdout).trim(), '', `prints something: ${command}`);
    if (/invoke hello --event/.test(command)) t.match(result.stdout, /"Hello, you!"/, 'the event reaches the handler');
    if (/--type Event/.test(command)) t.match(result.stdout, /RequestId/, 'async invoke answers with a RequestId');
    if (/ logs hello/.test(command)) t.match(result.stdout, /^START RequestId: /m, 'framed logs of the earlier invocations');
    if (/curl .*\/functions\/env\/invoke/.test(command)) t.match(result.stdout, /hello from fngate.yml/, 'the env example reads its variables');
  }
});
