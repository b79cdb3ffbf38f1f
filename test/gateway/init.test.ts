// `fngate init` through bin/fngate.js: each runtime's scaffold builds (where it must), serves and answers
// through the real gateway; init never overwrites; the printed next commands work as printed.
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { silentLogger } from '../../gateway/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { GO_FIXTURES, goBuildEnv, GO_BUILD_TIMEOUT_MS } from '../helpers/go.ts';
import { requireTool } from '../helpers/toolchain.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/fngate.js');
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'fngate-init-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const init = (args: string[]) => run(process.execPath, [bin, 'init', ...args], { cwd: work });

/** Builds the Go scaffold offline: scf-go-lib replaced by the test's stand-in with the same API and wire protocol. */
async function buildGo(src: string): Promise<void> {
  const lib = join(work, 'scf-go-lib');
  mkdirSync(join(lib, 'cloudfunction'), { recursive: true });
  cpSync(join(GO_FIXTURES, 'cloudfunction/cloudfunction.go'), join(lib, 'cloudfunction/cloudfunction.go'));
  writeFileSync(join(lib, 'go.mod'), 'module github.com/tencentyun/scf-go-lib\n\ngo 1.18\n');
  const options = { cwd: src, env: goBuildEnv(), timeout: GO_BUILD_TIMEOUT_MS };
  await run('go', ['mod', 'edit', '-require=github.com/tencentyun/scf-go-lib@v0.0.0', `-replace=github.com/tencentyun/scf-go-lib=${lib}`], options);
  await run('go', ['build', '-o', 'main', '.'], options);
}

interface Case {
  runtime: string;
  type: 'event' | 'web';
  tool?: [command: string, debianPackage: string];
  build?: (src: string) => Promise<void>;
}

const CASES: Case[] = [
  { runtime: 'Nodejs18.15', type: 'event' },
  { runtime: 'Python3.9', type: 'event', tool: ['python3', 'python3'] },
  { runtime: 'Php8.0', type: 'event', tool: ['php', 'php-cli'] },
  { runtime: 'Go1', type: 'event', tool: ['go', 'golang-go'], build: buildGo },
  { runtime: 'Java11', type: 'event', tool: ['javac', 'openjdk-17-jdk-headless'], build: (src) => run('javac', ['-d', '.', 'example/Hello.java'], { cwd: src }).then(() => undefined) },
  { runtime: 'CustomRuntime', type: 'event', tool: ['curl', 'curl'] },
  { runtime: 'Nodejs18.15', type: 'web' },
  { runtime: 'Python3.9', type: 'web', tool: ['python3', 'python3'] },
  { runtime: 'Php8.0', type: 'web', tool: ['php', 'php-cli'] },
];

for (const [i, c] of CASES.entries()) {
  t.test(`init --runtime ${c.runtime} --type ${c.type} serves and answers`, async (t) => {
    if (c.tool && !requireTool(t, c.tool[0], c.tool[1])) return;
    const name = `fn${i}-${c.type}`;
    const { stdout } = await init([name, '--runtime', c.runtime, '--type', c.type]);
    t.match(stdout, `fngate serve ${name}\n`, 'prints how to serve it');
    const dir = join(work, name);
    const manifest = readFileSync(join(dir, 'fngate.yml'), 'utf8');
    t.match(manifest, `runtime: ${c.runtime}`);
    if (c.build) {
      t.match(stdout, /\(cd .*src && /, 'prints the build step first');
      await c.build(join(dir, 'src'));
    }
    const gateway = await startGateway({ dir, port: 0, host: '127.0.0.1', logger: silentLogger() });
    t.teardown(() => gateway.close());
    if (c.type === 'event') {
      t.match(stdout, `fngate invoke ${name} --event ${name}/event.json`);
      const response = await fetch(`${gateway.url}/functions/${name}/invoke`, { method: 'POST', body: readFileSync(join(dir, 'event.json')) });
      const body = await response.json();
      t.equal(response.status, 200, JSON.stringify(body));
      if (c.runtime === 'CustomRuntime') t.match(body, { message: 'Hello from a custom runtime!', event: { name: 'fngate' } });
      else t.match(body, { message: 'Hello, fngate!' });
    } else {
      t.match(stdout, `curl http://127.0.0.1:9000/web/${name}/`);
      t.ok(statSync(join(dir, 'src/scf_bootstrap')).mode & 0o100, 'scf_bootstrap is executable');
      const response = await fetch(`${gateway.url}/web/${name}/hi?x=1`);
      const body = await response.json();
      t.equal(response.status, 200, JSON.stringify(body));
      t.match(body, { message: 'Hello from a web function!', method: 'GET', path: '/hi?x=1' });
    }
  });
}

t.test('the printed next commands work as printed', async (t) => {
  const { stdout } = await init(['printed']);
  const [serve, invoke] = stdout.split('Next:\n')[1]!.trim().split('\n').map((line) => line.trim().split(' ').slice(1));
  t.same(serve, ['serve', 'printed']);
  const server = spawn(process.execPath, [bin, ...serve!, '--port', '0', '--host', '127.0.0.1'], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FNGATE_LOG_LEVEL: 'warn' },
  });
  t.teardown(async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  });
  const ready = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).on('line', (line) => line.startsWith('fngate ready') && resolve(line));
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  const url = /\((http:\/\/[^)]+)\)/.exec(ready)![1]!;
  const invoked = await run(process.execPath, [bin, ...invoke!, '--url', url], { cwd: work });
  t.match(JSON.parse(invoked.stdout), { message: 'Hello, fngate!' });
});

t.test('init never overwrites and says how to proceed', async (t) => {
  await init(['kept']);
  const handler = join(work, 'kept/src/index.js');
  writeFileSync(handler, '// mine\n');
  const again = await init(['kept', '--runtime', 'Python3.9']).catch((error) => error);
  t.equal(again.code, 2);
  t.equal(again.stderr.trim().split('\n').length, 1, 'one line');
  t.match(again.stderr, /^fngate: kept\/fngate\.yml already exists and init never overwrites; choose a new folder/);
  t.equal(readFileSync(handler, 'utf8'), '// mine\n', 'the file is untouched');
  t.throws(() => statSync(join(work, 'kept/src/index.py')), 'nothing else was written');
  const same = await init(['kept']).catch((error) => error);
  t.equal(same.code, 2);
  t.match(same.stderr, /^fngate: kept\/src\/index\.js already exists/);

  for (const [args, pattern] of [
    [['x1', '--runtime', 'Ruby2.7'], /unknown runtime "Ruby2\.7"; pass --runtime Nodejs18\.15/],
    [['x2', '--runtime', 'Go1', '--type', 'web'], /no web function template for Go1; pass --runtime/],
    [['x3', '--type', 'cron'], /unknown type "cron"; pass --type event or --type web/],
    [['9lives'], /"9lives" is not a valid function name.*; pass one with --name/],
  ] as const) {
    const failed = await init([...args]).catch((error) => error);
    t.equal(failed.code, 2, args.join(' '));
    t.match(failed.stderr, pattern);
    t.equal(failed.stderr.trim().split('\n').length, 1, 'one line');
  }
  const named = await init(['9lives', '--name', 'lives']);
  t.match(named.stdout, 'Created function lives');
});
