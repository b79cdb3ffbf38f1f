/**
 * examples/embed-hono and examples/embed-express, each from a separate project that installs fngate as a
 * package (npm install of this folder, as `file:` dependency), started with the example's own `npm start`
 * and driven over HTTP: the host app's route, a route that calls gateway.invoke, and the mounted fngate API.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { distState } from '../../bin/build-state.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 4 * 60_000;
const READY_TIMEOUT_MS = 30_000;

/** The package's exports point into dist/: build it when an edit made it stale (CI's npm ci built it). */
t.before(async () => {
  if (distState(root) !== 'current') await run(process.execPath, [join(root, 'bin/build.mjs')], { cwd: root, timeout: INSTALL_TIMEOUT_MS });
});

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(-child.pid!, 'SIGTERM');
  const force = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
  return exited.finally(() => clearTimeout(force));
}

for (const example of ['embed-hono', 'embed-express']) {
  t.test(`examples/${example} from a project that installs fngate`, { timeout: INSTALL_TIMEOUT_MS + 60_000 }, async (t) => {
    const project = testDir(t, {});
    cpSync(join(root, 'examples', example), project, { recursive: true, filter: (source) => !/node_modules|\.fngate/.test(source) });
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    manifest.dependencies.fngate = `file:${root}`;
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--install-links=false'], {
      cwd: project,
      timeout: INSTALL_TIMEOUT_MS,
    });

    // The example's own start script, exec'd so the signal reaches the app itself (npm would exit on it first).
    const server = spawn('bash', ['-c', `exec ${manifest.scripts.start}`], {
      cwd: project,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PORT: '0' },
    });
    t.teardown(() => stopGroup(server));
    let stderr = '';
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening within ${READY_TIMEOUT_MS} ms: ${stderr}`)), READY_TIMEOUT_MS);
      createInterface({ input: server.stdout! }).on('line', (line) => {
        const match = /listening on (http:\/\/\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      server.once('exit', (code) => reject(new Error(`the example exited with ${code}: ${stderr}`)));
    });

    t.equal(await (await fetch(`${url}/`)).text(), 'my app, with fngate under /fngate', "the host app's own route");
    const greeted = await fetch(`${url}/greet/embedder`);
    t.equal(greeted.status, 200);
    t.match(await greeted.json(), { message: 'Hello, embedder!' }, 'gateway.invoke from a route');
    const invoked = await fetch(`${url}/fngate/functions/hello/invoke`, { method: 'POST', body: '{"name":"mounted"}' });
    t.equal(invoked.status, 200);
    t.match(await invoked.json(), { message: 'Hello, mounted!' }, 'the mounted fngate API');
    const missing = await fetch(`${url}/fngate/functions/absent/invoke`, { method: 'POST', body: '{}' });
    t.equal(missing.status, 435, 'SCF status codes through the mount');
    server.kill('SIGTERM');
    const [code] = await new Promise<[number | null]>((resolve) => server.once('exit', (exitCode) => resolve([exitCode])));
    t.equal(code, 0, 'the example stops cleanly on SIGTERM (gateway.close)');
  });
}
