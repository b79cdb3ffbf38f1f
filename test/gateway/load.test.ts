/** `fngate load` against the real gateway: counts, status codes (incl. 432), cold starts, --serve, errors. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { testDir } from '../helpers/testdir.ts';
import { startTestGateway, TEST_CREDENTIALS } from '../helpers/gateway.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/fngate.js');
const run = promisify(execFile);

interface Report {
  requests: number;
  rps: number;
  latency: { p50: number; p90: number; p99: number; max: number };
  statusCodes: Record<string, number>;
  coldStarts: number;
  coldStartShare: number;
  instances: { before: number; max: number; after: number };
  generatorCpu: number;
}

async function load(args: string[]): Promise<Report> {
  // The token of the test gateways: load reads the function API (instances, cold starts).
  const env = { ...process.env, FNGATE_API_TOKEN: TEST_CREDENTIALS.apiToken };
  const { stdout } = await run(process.execPath, [bin, 'load', ...args, '--json'], { timeout: 60_000, env });
  return JSON.parse(stdout) as Report;
}

t.test('a fixed number of requests: every one counted, cold starts and instances from the gateway', async (t) => {
  const dir = testDir(t, { 'index.js': 'exports.main_handler = async (event) => ({ ok: event.n });\n' });
  const gateway = await startTestGateway(t, {
    functions: { fast: { src: dir, handler: 'index.main_handler', runtime: 'Nodejs18.15' } },
  });
  const report = await load(['fast', '--url', gateway.url, '--requests', '300', '--connections', '4']);
  t.equal(report.requests, 300);
  t.same(report.statusCodes, { 200: 300 });
  t.ok(report.coldStarts >= 1 && report.coldStarts <= 4, `cold starts ${report.coldStarts}: one per instance started`);
  t.equal(report.coldStartShare, report.coldStarts / 300);
  t.equal(report.instances.before, 0);
  t.equal(report.instances.after, report.coldStarts, 'each cold start made one instance that stayed warm');
  t.ok(report.latency.p50 > 0 && report.latency.p50 <= report.latency.p90 && report.latency.p90 <= report.latency.p99 && report.latency.p99 <= report.latency.max);
  t.ok(report.rps > 0);
  t.ok(report.generatorCpu > 0, 'the generator reports its own CPU use');

  const again = await load(['fast', '--url', gateway.url, '--requests', '100', '--connections', '2']);
  t.equal(again.coldStarts, 0, 'a second run on warm instances has no cold start');
});

t.test('status codes seen: a concurrency limit answers 432', async (t) => {
  const dir = testDir(t, { 'index.js': 'exports.main_handler = async () => { await new Promise((r) => setTimeout(r, 50)); return 1; };\n' });
  const gateway = await startTestGateway(t, {
    functions: { narrow: { src: dir, handler: 'index.main_handler', runtime: 'Nodejs18.15', reservedConcurrency: 1 } },
  });
  const report = await load(['narrow', '--url', gateway.url, '--requests', '60', '--connections', '6']);
  t.equal(report.requests, 60);
  t.ok((report.statusCodes['200'] ?? 0) > 0, 'some ran');
  t.ok((report.statusCodes['432'] ?? 0) > 0, 'some were refused with 432');
  t.equal((report.statusCodes['200'] ?? 0) + (report.statusCodes['432'] ?? 0), 60);
  t.equal(report.instances.max, 1);
});

t.test('--serve starts a gateway over a folder for the run; --duration and --rate pace it', async (t) => {
  const report = await load(['hello', '--serve', join(root, 'examples'), '--duration', '2s', '--rate', '50', '--connections', '2']);
  t.same(Object.keys(report.statusCodes), ['200']);
  // Paced at 50 req/s: never faster (the run may last a little longer than asked while connections close).
  t.ok(report.requests >= 25, `${report.requests} requests`);
  t.ok(report.rps <= 55, `paced: ${report.rps.toFixed(1)} req/s`);
});

t.test('errors: an unreachable gateway is one line and exit 1; bad flags exit 2', async (t) => {
  const unreachable = await run(process.execPath, [bin, 'load', 'hello', '--url', 'http://127.0.0.1:1']).catch((error) => error);
  t.equal(unreachable.code, 1);
  t.match(unreachable.stderr, /^fngate: cannot reach the gateway at http:\/\/127\.0\.0\.1:1 .*--serve <dir>\n$/m);
  const badType = await run(process.execPath, [bin, 'load', 'hello', '--type', 'Sometimes']).catch((error) => error);
  t.equal(badType.code, 2);
  t.match(badType.stderr, /--type must be RequestResponse or Event/);
  const badDuration = await run(process.execPath, [bin, 'load', 'hello', '--duration', 'soon']).catch((error) => error);
  t.not(badDuration.code, 0);
  t.match(badDuration.stderr, /expected a duration like 10s/);
});
