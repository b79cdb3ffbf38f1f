import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { hasTool } from '../helpers/toolchain.ts';

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
  t.match(failed.stderr, /^fngate: invoke failed with status 435 FunctionNotFound: function missing not found in namespace default \(request id [\w-]+\); check the name and --namespace \(http:\/\/.*\/functions lists the deployed functions\)\n$/);
  t.match(JSON.parse(failed.stdout), { statusCode: 435 }, 'the SCF error object still goes to stdout');

  const refused = await run(process.execPath, [bin, 'logs', 'hello', '--url', url], { cwd: dataDir }).catch((error) => error);
  t.equal(refused.code, 1, 'logs without the credentials is refused');
  t.match(refused.stderr, /^fngate: logs failed with status 401: .*; set FNGATE_API_TOKEN, or pass --data-dir <the gateway's data dir>/);

  const badLimit = await run(process.execPath, [bin, 'logs', 'hello', '--url', url, '--limit', '0', '--data-dir', dataDir]).catch((error) => error);
  t.equal(badLimit.code, 1);
  t.match(badLimit.stderr, /^fngate: logs failed with status 436: query parameter "limit": must be an integer from 1 to 10000; check the options against fngate logs --help\n$/);

  const packaged = await run(process.execPath, [bin, 'invoke', 'npm-package', '--url', url]);
  t.same(JSON.parse(packaged.stdout), { input: '2h', milliseconds: 7200000 });

  const response = await fetch(`${url}/functions/env/invoke`, { method: 'POST', body: '{}' });
  const requestId = response.headers.get('x-scf-request-id')!;
  t.match(await response.json(), { greeting: 'hello from fngate.yml', functionName: 'env', region: 'ap-guangzhou' });
  const logs = await run(process.execPath, [bin, 'logs', 'env', '--url', url, '--request-id', requestId, '--data-dir', dataDir]);
  const logLines = logs.stdout.trim().split('\n');
  t.equal(logLines[0], `START RequestId: ${requestId}`);
  t.ok(logLines.some((line) => line.startsWith(`Report RequestId: ${requestId}`)));
});

t.test('an invalid manifest stops serve with a message naming the function and key', async (t) => {
  const dir = testDir(t, { 'fngate.yml': 'functions:\n  broken: { src: ., timeout: soon }\n' });
  const result = await run(process.execPath, [bin, 'serve', dir, '--port', '0']).catch((error) => error);
  t.equal(result.code, 2);
  oneLine(t, result.stderr, /^fngate: invalid configuration: .*function "broken": key "timeout".*; fix it and run fngate serve .* again\n$/);

  // A port something else listens on.
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => taken.close(resolve)));
  const port = (taken.address() as AddressInfo).port;
  const busy = await run(process.execPath, [bin, 'serve', join(root, 'examples'), '--port', String(port), '--host', '127.0.0.1', '--data-dir', testDir(t, {})])
    .catch((error) => error);
  t.equal(busy.code, 2);
  oneLine(t, busy.stderr, new RegExp(`^fngate: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\); stop what listens there, or pass --port`));
});

/** One line on stderr: `fngate: <what>; <fix>`. */
function oneLine(t: Test, stderr: string, pattern: RegExp): void {
  t.equal(stderr.split('\n').filter(Boolean).length, 1, `one line: ${stderr}`);
  t.match(stderr, /^fngate: [^\n]+; [^\n]+\n$/, 'what went wrong; how to fix it');
  t.match(stderr, pattern);
}

t.test('usage and configuration errors: one line naming the fix, exit 2', async (t) => {
  const dir = testDir(t, { 'not-json.json': '{"name": ', 'event.json': '{"name":"x"}' });
  const cases: Array<[string[], RegExp]> = [
    [['invoke', 'hello', '--event', `${dir}/missing.json`], /cannot read the event file .*missing\.json \(ENOENT\); pass a JSON file that exists, or - to read the event from standard input/],
    [['invoke', 'hello', '--event', `${dir}/not-json.json`], /the event file .*not-json\.json is not valid JSON \(.*\); fix the JSON, or leave --event out/],
    [['invoke', 'hello', '--type', 'Later'], /--type Later is not an invocation type; pass --type RequestResponse/],
    [['invoke', 'hello', '--url', 'nowhere'], /option '--url <url>' argument 'nowhere' is invalid\. not a URL like http:\/\/127\.0\.0\.1:9000; see fngate invoke --help/],
    [['invoke', 'hello', '--bogus'], /unknown option '--bogus'; see fngate invoke --help/],
    [['invoke'], /missing required argument 'name'; see fngate invoke --help/],
    [['frobnicate'], /unknown command 'frobnicate'; see fngate --help/],
    [['load', 'hello', '--event', `${dir}/not-json.json`], /is not valid JSON/],
  ];
  const results = await Promise.all(cases.map(([args]) => run(process.execPath, [bin, ...args]).catch((error) => error)));
  for (const [i, [args, pattern]] of cases.entries()) {
    const result = results[i];
    t.equal(result.code, 2, `fngate ${args.join(' ')} exits 2`);
    oneLine(t, result.stderr, pattern);
  }
  const none = await run(process.execPath, [bin]).catch((error) => error);
  t.equal(none.code, 2, 'no command is a usage error');
  t.match(none.stderr, /Usage: fngate/, 'and shows the help');
});

t.test('invoke against a gateway that is not running: one line, exit 1', async (t) => {
  // A port that was free a moment ago: nothing listens on it.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const url = `http://127.0.0.1:${port}`;
  for (const command of [['invoke', 'hello'], ['logs', 'hello']]) {
    const result = await run(process.execPath, [bin, ...command, '--url', url]).catch((error) => error);
    t.equal(result.code, 1, `${command[0]} exits 1`);
    oneLine(t, result.stderr, new RegExp(`^fngate: no gateway answers at ${url} \\(ECONNREFUSED\\); start one with "fngate serve <dir>", or pass --url`));
  }
});

t.test('--help on every command shows examples; fngate --help lists the exit codes; colour only on a TTY', async (t) => {
  const top = await run(process.execPath, [bin, '--help']);
  t.match(top.stdout, /Exit codes:\n {2}0 {2}ok\n {2}1 {2}the operation failed.*\n {2}2 {2}usage or configuration error/);
  const listed = top.stdout.split('Commands:\n')[1]!.split('\n\n')[0]!;
  const commands = [...listed.matchAll(/^ {2}(\w+) /gm)].map((match) => match[1]!).filter((name) => name !== 'help');
  t.same(commands, ['init', 'serve', 'dev', 'invoke', 'logs', 'load', 'deploy', 'publish', 'alias', 'functions', 'layers']);
  const helps = await Promise.all(commands.map((command) => run(process.execPath, [bin, command, '--help'])));
  for (const [i, command] of commands.entries()) {
    const help = helps[i]!;
    t.match(help.stdout, new RegExp(`\\nExamples:\\n {2}fngate ${command} `), `${command} --help has an example`);
    t.notMatch(help.stdout, /\x1b\[/, `${command} --help has no colour codes when piped`);
  }
  const version = await run(process.execPath, [bin, '--version']);
  t.equal(version.stdout.trim(), JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);

  if (!hasTool('script')) {
    t.comment('script (util-linux) not found: the TTY case is skipped');
    return;
  }
  // Under a pseudo-terminal (script(1)) the same help is coloured; NO_COLOR turns it off again.
  // (tap's own environment turns colour off: FORCE_COLOR=0.)
  // CI runs have no colours (Node's tty.hasColors, which commander follows too): this case is a person's terminal.
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  delete env.CI;
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} invoke --help`;
  const tty = await run('script', ['-qec', command, '/dev/null'], { env });
  t.match(tty.stdout, /\x1b\[1mExamples:\x1b\[22m/, 'bold headings on a terminal');
  const noColor = await run('script', ['-qec', command, '/dev/null'], { env: { ...env, NO_COLOR: '1' } });
  t.match(noColor.stdout, /Examples:/);
  t.notMatch(noColor.stdout, /\x1b\[/, 'NO_COLOR is respected');
});
