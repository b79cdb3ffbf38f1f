/**
 * `fngate serve`'s credentials and bind, through the real CLI (bin/fngate.js) as a child process: loopback
 * by default; credentials generated into the data dir (file 0600, dir 0700) and reused on the next start,
 * their place (never their value) in one log line; FNGATE_API_TOKEN / FNGATE_SECRET_ID / FNGATE_SECRET_KEY
 * win over the files; the CLI finds the token on its own (environment, then the data dir it is given).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { HttpConnection } from 'tencentcloud-sdk-nodejs-common/tencentcloud/common/http/http_connection.js';
import { stringify } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/fngate.js');
const run = promisify(execFile);
const fixture = fileURLToPath(new URL('../fixtures/security/prober', import.meta.url));
/** Each test starts gateways and CLI processes: slow on a loaded machine. */
const SERVE_TEST_TIMEOUT_MS = 180_000;
const AUTH_ENV = ['FNGATE_API_TOKEN', 'FNGATE_SECRET_ID', 'FNGATE_SECRET_KEY', 'FNGATE_LOG_LEVEL'];

/** The environment without any credentials of the machine running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of AUTH_ENV) delete env[key];
  return { ...env, ...extra };
}

function project(t: Test): { dir: string; dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fngate-serve-auth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const functions = {
    open: { src: fixture, handler: 'echo.main_handler', runtime: 'Nodejs18.15' },
    locked: { src: fixture, handler: 'echo.main_handler', runtime: 'Nodejs18.15', invokeAuth: 'token' },
  };
  writeFileSync(join(dir, 'fngate.yml'), stringify({ functions }));
  return { dir, dataDir: join(dir, 'state') };
}

/** `fngate serve` on a free port without --host; resolves with its URL and everything it printed. */
async function serve(t: Test, dir: string, dataDir: string, env: NodeJS.ProcessEnv): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [bin, 'serve', dir, '--port', '0', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  t.teardown(stop);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 60 s: ${output}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      const ready = /^fngate ready on (http:\/\/\S+)/.exec(line);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  return { url, output: () => output, stop };
}

const get = (url: string, token?: string): Promise<Response> => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

/** A non-loopback IPv4 address of this machine, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

t.test('generated credentials: 0600 in a 0700 data dir, logged by place, reused, found by the CLI; loopback bind', { timeout: SERVE_TEST_TIMEOUT_MS }, async (t) => {
  const { dir, dataDir } = project(t);
  const first = await serve(t, dir, dataDir, cleanEnv());
  const port = Number(new URL(first.url).port);
  t.equal(new URL(first.url).hostname, '127.0.0.1', 'serve binds 127.0.0.1 unless --host says otherwise');
  const external = externalAddress();
  if (external) t.notOk(await connects(external, port), `not reachable on ${external}`);
  else t.comment('no non-loopback IPv4 address on this machine: the bind is checked by the ready line only');

  const file = join(dataDir, 'credentials.json');
  t.equal(statSync(file).mode & 0o777, 0o600, 'credentials.json is 0600');
  t.equal(statSync(dataDir).mode & 0o777, 0o700, 'the data dir is 0700');
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { apiToken: string; secretId: string; secretKey: string };
  t.match(stored, { apiToken: /^[\w-]{32,}$/, secretId: /^AKID\w{32}$/, secretKey: /^[\w-]{32}$/ });
  const lines = first.output().split('\n').filter((line) => line.includes('credentials.json'));
  t.equal(lines.length, 1, 'one log line says where the credentials are');
  t.match(JSON.parse(lines[0]!), { credentialsFile: file, apiToken: 'file', keyPair: 'file' });
  t.notMatch(first.output(), stored.apiToken, 'the token is never printed');
  t.notMatch(first.output(), stored.secretKey, 'nor the SecretKey');

  t.equal((await get(`${first.url}/functions`)).status, 401);
  t.equal((await get(`${first.url}/functions`, stored.apiToken)).status, 200, 'the generated token opens the management routes');
  const signed = await HttpConnection.doRequestWithSign3({
    method: 'GET', url: `${first.url}/functions`, data: {}, service: new URL(first.url).hostname.split('.')[0]!, action: 'ListFunctions',
    region: 'ap-guangzhou', version: '2018-04-16', secretId: stored.secretId, secretKey: stored.secretKey,
  } as never) as unknown as Response;
  t.equal(signed.status, 200, 'so does the generated key pair, signed by the official SDK');

  // The CLI: environment first, then the data dir it is pointed at.
  const cwd = mkdtempSync(join(tmpdir(), 'fngate-cwd-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const cli = (args: string[], env = cleanEnv()) => run(process.execPath, [bin, ...args, '--url', first.url], { cwd, env }).catch((error: { code: number; stdout: string; stderr: string }) => error);
  const refused = await cli(['invoke', 'locked']);
  t.equal((refused as { code?: number }).code, 1, 'no token anywhere: the locked function refuses');
  t.match((refused as { stderr: string }).stderr, /status 401 AuthFailure\.InvalidAuthorization.*set FNGATE_API_TOKEN, or pass --data-dir/);
  const viaDataDir = await cli(['invoke', 'locked', '--data-dir', dataDir]);
  t.match(JSON.parse((viaDataDir as { stdout: string }).stdout), { secret: 'unset' }, 'invoke finds the token in --data-dir');
  const viaEnv = await cli(['logs', 'locked'], cleanEnv({ FNGATE_API_TOKEN: stored.apiToken }));
  t.match((viaEnv as { stdout: string }).stdout, /^START RequestId: /m, 'logs takes FNGATE_API_TOKEN');
  const wrongEnv = await cli(['logs', 'locked', '--data-dir', dataDir], cleanEnv({ FNGATE_API_TOKEN: 'stale' }));
  t.match((wrongEnv as { stderr: string }).stderr, /status 401/, 'the environment wins over the data dir');
  await first.stop();

  const second = await serve(t, dir, dataDir, cleanEnv());
  t.same(JSON.parse(readFileSync(file, 'utf8')), stored, 'the next start reuses the same credentials');
  t.equal((await get(`${second.url}/functions`, stored.apiToken)).status, 200);
});

t.test('FNGATE_API_TOKEN and FNGATE_SECRET_ID / FNGATE_SECRET_KEY override generation', { timeout: SERVE_TEST_TIMEOUT_MS }, async (t) => {
  const { dir, dataDir } = project(t);
  const env = cleanEnv({ FNGATE_API_TOKEN: 'token-from-env', FNGATE_SECRET_ID: 'AKIDfromenv', FNGATE_SECRET_KEY: 'key-from-env' });
  const served = await serve(t, dir, dataDir, env);
  t.notOk(existsSync(join(dataDir, 'credentials.json')), 'nothing generated when the environment gives everything');
  t.match(served.output(), /"apiToken":"env","keyPair":"env"/, 'the log line says they came from the environment');
  t.notMatch(served.output(), /token-from-env|key-from-env/);
  t.equal((await get(`${served.url}/functions`, 'token-from-env')).status, 200);
  t.equal((await get(`${served.url}/functions`, 'anything-else')).status, 401);
  const sign = (secretKey: string) =>
    HttpConnection.doRequestWithSign3({
      method: 'GET', url: `${served.url}/functions`, data: {}, service: '127', action: 'ListFunctions',
      region: 'ap-guangzhou', version: '2018-04-16', secretId: 'AKIDfromenv', secretKey,
    } as never) as unknown as Promise<Response>;
  t.equal((await sign('key-from-env')).status, 200, 'the environment key pair signs');
  t.equal((await sign('key-from-elsewhere')).status, 401);
  await served.stop();

  const half = await run(process.execPath, [bin, 'serve', dir, '--port', '0', '--data-dir', dataDir], { env: cleanEnv({ FNGATE_SECRET_ID: 'AKIDonly' }) }).catch((error: { code: number; stderr: string }) => error);
  t.equal((half as { code: number }).code, 2, 'half a key pair is a usage error');
  t.match((half as { stderr: string }).stderr, /^fngate: cannot set up the API credentials: set both FNGATE_SECRET_ID and FNGATE_SECRET_KEY/);
});
