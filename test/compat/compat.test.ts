/**
 * The npm-package compatibility suite (issue 8): each case in test/compat/cases/ is a small SCF handler
 * that uses one widely used package for real. Every case runs in a function through the real gateway, in
 * the isolate mode and (when the config accepts `nodeRuntime: process`) in the process mode, and its
 * result is compared with the same handler run by real Node in a child process (test/compat/oracle.cjs)
 * with the same event. Drivers talk to real PostgreSQL, Redis and MariaDB servers started here; HTTP
 * clients and the Tencent Cloud SDKs talk to a local stand-in (cloud.ts).
 *
 * Isolate results must match EXPECTED_IN_ISOLATE (expectations.ts); process results must all pass.
 * FNGATE_COMPAT_WRITE=1 writes the table to test/compat/RESULTS.md; FNGATE_COMPAT_PRINT=1 prints the
 * observed isolate table in expectations.ts syntax.
 */
import { fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { builtinModules } from 'node:module';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { stringify } from 'yaml';
import { silentLogger } from '../../gateway/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { freePort, ServiceMissing, startMariadb, startPostgres, startRedis, type Service } from '../helpers/services.ts';
import { hasTool, requireTool } from '../helpers/toolchain.ts';
import { startCloud } from './cloud.ts';
import { EXPECTED_IN_ISOLATE, EXPECTED_IN_PROCESS, type Expectation } from './expectations.ts';
import { ensureFixture } from './fixture.ts';

/** The fixture project: package.json + package-lock.json, cases/<package>.js, files/ the cases read. */
const FIXTURE = fileURLToPath(new URL('../fixtures/compat', import.meta.url));
const ORACLE = fileURLToPath(new URL('oracle.cjs', import.meta.url));
const RESULTS_FILE = fileURLToPath(new URL('RESULTS.md', import.meta.url));
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
/** Invocations and oracle processes in flight at once (2 cores: the rest waits its turn). */
const CONCURRENCY = 4;
/** Generous: under a loaded CI machine a cold isolate loading date-fns' 250 files takes seconds. */
const FUNCTION_TIMEOUT_S = 30;
/** The oracle is not under test: it only needs to finish. */
const ORACLE_TIMEOUT_MS = 90_000;
/** The whole file: npm ci, three servers and ~150 runs; tap's default 300 s is too tight on a busy machine. */
const FILE_TIMEOUT_MS = 600_000;
const FUNCTION_MEMORY_MB = 256;

type Mode = 'isolate' | 'process';
type ServiceName = 'postgres' | 'redis' | 'mariadb';

/** A case: its handler file, the services it needs, and whether it is reached through the apigw route. */
interface Case {
  name: string;
  file: string;
  needs: ServiceName[];
  /** Reached over HTTP through an apigw `/` ANY endpoint instead of the invoke API. */
  viaApigw?: boolean;
}

interface Outcome {
  pass: boolean;
  /** ✓, or the first line of what went wrong. */
  detail: string;
}

const NEEDS: Record<string, ServiceName[]> = { pg: ['postgres'], mysql2: ['mariadb'], ioredis: ['redis'], redis: ['redis'] };
const DEBIAN_PACKAGE: Record<ServiceName, string> = { postgres: 'postgresql', redis: 'redis-server', mariadb: 'mariadb-server' };
/** The request the apigw cases send: a sub-path of the app mounted at `/`. */
const APIGW_REQUEST = { method: 'POST', path: '/users/42', query: {} as Record<string, string>, body: { hello: 'apigw' } };

const files = readdirSync(join(FIXTURE, 'cases')).filter((f) => f.endsWith('.js')).sort();
const allCases: Case[] = files.map((file) => ({ name: file.slice(0, -3), file, needs: NEEDS[file.slice(0, -3)] ?? [] }));
for (const name of ['express', 'koa']) allCases.push({ name: `${name} (apigw /)`, file: `${name}.js`, needs: [], viaApigw: true });
/** FNGATE_COMPAT_ONLY=pg,axios runs those cases only (while working on one built-in). */
const only = process.env.FNGATE_COMPAT_ONLY?.split(',').map((name) => name.trim());
const cases = only ? allCases.filter((c) => only.includes(c.name) || only.includes(c.name.split(' ')[0]!)) : allCases;

t.setTimeout(FILE_TIMEOUT_MS);

// npm ci and the database servers start together; a missing server binary skips its cases outside CI.
const services = new Map<ServiceName, Service>();
const missing = new Map<ServiceName, string>();
const starters: Record<ServiceName, () => Promise<Service>> = { postgres: startPostgres, redis: startRedis, mariadb: startMariadb };
const setupStarted = Date.now();
const [installed] = await Promise.all([
  ensureFixture(FIXTURE),
  ...(Object.entries(starters) as Array<[ServiceName, () => Promise<Service>]>).map(async ([name, start]) => {
    try {
      const service = await start();
      services.set(name, service);
      t.teardown(() => service.stop());
    } catch (error) {
      if (!(error instanceof ServiceMissing) || IN_CI) throw error;
      missing.set(name, error.message);
    }
  }),
]);
t.comment(
  `setup ${((Date.now() - setupStarted) / 1000).toFixed(1)} s: ${installed ? 'npm ci of the fixture' : 'fixture node_modules match package-lock.json'}; ` +
    `servers: ${[...services.keys()].join(', ') || 'none'}${missing.size ? `; missing: ${[...missing.values()].join('; ')}` : ''}`,
);
// The cloud stand-in uses the fixture's `ws`, so it starts after the install.
const cloud = await startCloud(FIXTURE);
t.teardown(() => cloud.close());

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const closedPort = await freePort();

/**
 * Where a run reaches the test's servers on the host's loopback: a sandboxed process-mode instance has a
 * network namespace of its own, whose 127.0.0.1 is its own, and reaches the host's loopback at
 * host.fngate.internal (README "Security model"); the oracle and isolates run in this host's network.
 */
const SANDBOXED = process.env.FNGATE_SANDBOX !== 'none' && hasTool('bwrap');
if (SANDBOXED) requireTool(t, 'pasta', 'passt');
const loopbackHostFor = (tag: string): string => (tag === 'process' && SANDBOXED ? 'host.fngate.internal' : '127.0.0.1');

/** The event every case gets; `tag` keeps concurrent runs of one case apart (keys, objects) and names the mode. */
function eventFor(c: Case, tag: string): unknown {
  if (c.name === 'express' || c.name === 'koa') {
    return scfApigwEvent({ method: 'POST', path: '/users/7', query: { page: '2', tag: 'a' }, body: { hello: 'world' } });
  }
  if (c.viaApigw) return scfApigwEvent(APIGW_REQUEST);
  const service = (name: ServiceName) => {
    const s = services.get(name);
    return s ? { port: s.port, user: s.user, database: s.database } : null;
  };
  const host = loopbackHostFor(tag);
  const cloudHost = `${host}:${new URL(cloud.url).port}`;
  return {
    tag,
    host,
    http: `http://${cloudHost}`,
    // Refused in a sandbox's own loopback as on the host's.
    closedPort,
    cos: { secretId: cloud.secretId, secretKey: cloud.secretKey, host: cloudHost },
    tc: { secretId: cloud.secretId, secretKey: cloud.secretKey, endpoint: cloudHost },
    rsaPrivateKey: privateKey,
    rsaPublicKey: publicKey,
    pg: service('postgres'),
    redis: service('redis'),
    mysql: service('mariadb'),
  };
}

/** An apigw event as SCF delivers it for a request to an app mounted at `/` (seeds: API gateway trigger). */
function scfApigwEvent(request: { method: string; path: string; query: Record<string, string>; body: unknown }): unknown {
  const body = JSON.stringify(request.body);
  return {
    headerParameters: {},
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      host: 'service-compat-1250000000.gz.apigw.tencentcs.com',
      'user-agent': 'compat-suite',
      'x-anonymous-consumer': 'true',
      'x-api-requestid': '0123456789abcdef0123456789abcdef',
      'x-api-scheme': 'http',
      'x-b3-traceid': '0123456789abcdef0123456789abcdef',
      'x-qualifier': '$LATEST',
    },
    httpMethod: request.method,
    path: request.path,
    pathParameters: {},
    queryString: request.query,
    queryStringParameters: {},
    body,
    isBase64Encoded: false,
    requestContext: {
      httpMethod: 'ANY',
      identity: {},
      path: '/',
      serviceId: 'service-compat',
      sourceIp: '10.10.10.1',
      stage: 'release',
      requestId: '0123456789abcdef0123456789abcdef',
    },
  };
}

const handlerOf = (c: Case) => `cases/${c.name.split(' ')[0]}.main_handler`;
const functionName = (c: Case, mode: Mode) => `c-${c.name.split(' ')[0]}-${mode}`;

// --- the modes the config offers ----------------------------------------------------------------------

/** Starts a throwaway gateway with one extra function key; whether the config accepts it, or why not. */
async function configAccepts(extra: Record<string, unknown>): Promise<true | string> {
  const root = mkdtempSync(join(tmpdir(), 'fngate-compat-probe-'));
  const manifest = { functions: { probe: { src: FIXTURE, handler: 'cases/semver.main_handler', runtime: 'Nodejs18.15', ...extra } } };
  writeFileSync(join(root, 'fngate.yml'), stringify(manifest));
  try {
    const gateway = await startGateway({ dir: root, port: 0, host: '127.0.0.1', logger: silentLogger() });
    await gateway.close();
    return true;
  } catch (error) {
    return String((error as Error).message).split('\n')[0]!;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const processProbe = await configAccepts({ nodeRuntime: 'process' });
const modes: Mode[] = processProbe === true ? ['isolate', 'process'] : ['isolate'];
if (processProbe !== true) t.comment(`process mode not run: the config does not accept nodeRuntime: process (${processProbe})`);

function functionConfig(c: Case, mode: Mode): Record<string, unknown> {
  return {
    src: FIXTURE,
    handler: handlerOf(c),
    runtime: 'Nodejs18.15',
    memorySize: FUNCTION_MEMORY_MB,
    timeout: FUNCTION_TIMEOUT_S,
    ...(mode === 'process' ? { nodeRuntime: 'process' } : {}),
  };
}

const apigwFunction = (c: Case, mode: Mode) => ({
  ...functionConfig(c, mode),
  events: [{ apigw: { parameters: { endpoints: [{ path: '/', method: 'ANY', function: { isIntegratedResponse: true } }] } } }],
});

// One gateway for the invoke-API cases; one per apigw case and mode, since each mounts an app at `/`.
const direct = cases.filter((c) => !c.viaApigw);
const probeName = (mode: Mode) => `builtins-${mode}`;
const gateway = await startTestGateway(t, {
  functions: {
    ...Object.fromEntries(direct.flatMap((c) => modes.map((mode) => [functionName(c, mode), functionConfig(c, mode)]))),
    ...Object.fromEntries(modes.map((mode) => [probeName(mode), { ...functionConfig(cases[0]!, mode), handler: 'probe/builtins.main_handler' }])),
  },
});
const apigwGateways = new Map<string, TestGateway>();
for (const c of cases.filter((c) => c.viaApigw)) {
  for (const mode of modes) {
    apigwGateways.set(`${c.name}/${mode}`, await startTestGateway(t, { functions: { [functionName(c, mode)]: apigwFunction(c, mode) } }));
  }
}

// --- running -----------------------------------------------------------------------------------------

interface OracleResult {
  ok: boolean;
  value?: unknown;
  error?: { name: string; message: string };
  /** The Node built-ins the handler's packages required in Node. */
  builtins?: string[];
}

function runOracle(c: Case, event: unknown): Promise<OracleResult> {
  return new Promise((resolve) => {
    const child = fork(ORACLE, [], {
      cwd: FIXTURE,
      // The environment a function sees, reduced to what changes behaviour (TZ: SCF's default is UTC).
      env: { PATH: process.env.PATH, TZ: 'UTC', LANG: 'C.UTF-8', HOME: tmpdir() },
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let result: OracleResult | null = null;
    const timer = setTimeout(() => {
      result ??= { ok: false, error: { name: 'OracleTimeout', message: `no result within ${ORACLE_TIMEOUT_MS / 1000} s` } };
      child.kill('SIGKILL');
    }, ORACLE_TIMEOUT_MS);
    child.on('message', (message) => (result ??= message as OracleResult));
    // 'close', not 'exit': the result message may still be in the IPC channel when the process exits
    // (seen once on a loaded CI machine); 'close' waits for the channel too.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(result ?? { ok: false, error: { name: 'OracleExit', message: `exit ${code}: ${stderr.trim().split('\n')[0]}` } });
    });
    child.send({ handler: handlerOf(c), event, context: { request_id: `oracle-${c.name}`, function_name: c.name, namespace: 'default' } });
  });
}

const firstLine = (text: string) => text.trim().split('\n')[0]!.slice(0, 160);
/** `443 Error: Cannot load module "x": <why>` → `443 Cannot load module "x"`: the line to keep in the table. */
const shortReason = (detail: string) => detail.replace(/^(\d{3}) (?:Error: )?(Cannot load module "[^"]+").*$/, '$1 $2').replace(/'/g, '"');


/** The first path where two JSON values differ, for a one-line report. */
function firstDifference(actual: unknown, expected: unknown, path = '$'): string | null {
  if (JSON.stringify(actual) === JSON.stringify(expected)) return null;
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object' && Array.isArray(actual) === Array.isArray(expected)) {
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
    for (const key of keys) {
      const found = firstDifference((actual as any)[key], (expected as any)[key], `${path}.${key}`);
      if (found) return found;
    }
  }
  return `${path}: ${JSON.stringify(actual)?.slice(0, 70)} ≠ Node's ${JSON.stringify(expected)?.slice(0, 70)}`;
}

async function runInGateway(c: Case, mode: Mode, event: unknown, oracle: OracleResult): Promise<Outcome> {
  if (!oracle.ok) return { pass: false, detail: `the Node oracle itself failed: ${oracle.error?.name}: ${oracle.error?.message}` };
  if (c.viaApigw) return runViaApigw(c, mode, oracle.value as { statusCode: number; headers: Record<string, string>; body: string });
  const response = await gateway.invoke(functionName(c, mode), event);
  if (response.status !== 200) {
    return { pass: false, detail: `${response.status} ${firstLine(String(response.json?.errorMessage ?? response.text))}` };
  }
  const difference = firstDifference(response.json, oracle.value);
  return difference ? { pass: false, detail: `differs: ${difference}` } : { pass: true, detail: '✓' };
}

/** The app behind apigw `/` ANY, reached at a sub-path over HTTP; compared with Node's integrated response. */
async function runViaApigw(c: Case, mode: Mode, expected: { statusCode: number; headers: Record<string, string>; body: string }): Promise<Outcome> {
  const target = apigwGateways.get(`${c.name}/${mode}`)!;
  const response = await fetch(`${target.url}${APIGW_REQUEST.path}`, {
    method: APIGW_REQUEST.method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(APIGW_REQUEST.body),
  });
  const text = await response.text();
  const actual = { status: response.status, app: response.headers.get('x-app'), body: text };
  const wanted = { status: expected.statusCode, app: expected.headers['x-app'] ?? null, body: expected.body };
  if (actual.status !== wanted.status && actual.app === null) {
    let message = text;
    try {
      message = JSON.parse(text).errorMessage ?? text;
    } catch {}
    return { pass: false, detail: `${actual.status} ${firstLine(message)}` };
  }
  const difference = firstDifference(actual, wanted);
  return difference ? { pass: false, detail: `differs: ${difference}` } : { pass: true, detail: '✓' };
}

/** Runs `jobs` with at most `limit` in flight. */
async function pool<T>(jobs: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

const skipped = new Map<string, string>();
const outcomes = new Map<string, Partial<Record<Mode, Outcome>>>();
const oracles = new Map<string, OracleResult>();
const runnable = cases.filter((c) => {
  const absent = c.needs.filter((name) => missing.has(name));
  if (absent.length) skipped.set(c.name, absent.map((name) => `${name} not installed (Debian package ${DEBIAN_PACKAGE[name]})`).join('; '));
  return absent.length === 0;
});
const timings: Array<[string, number]> = [];
const started = Date.now();
await pool(
  runnable.flatMap((c) => [
    async () => {
      const oracleStarted = Date.now();
      const oracle = await runOracle(c, eventFor(c, 'oracle'));
      oracles.set(c.name, oracle);
      timings.push([`${c.name} (node)`, Date.now() - oracleStarted]);
      await Promise.all(
        modes.map(async (mode) => {
          const modeStarted = Date.now();
          const outcome = await runInGateway(c, mode, eventFor(c, mode), oracle).catch((error: Error) => ({ pass: false, detail: firstLine(String(error.stack)) }));
          timings.push([`${c.name} (${mode})`, Date.now() - modeStarted]);
          outcomes.set(c.name, { ...outcomes.get(c.name), [mode]: outcome });
        }),
      );
    },
  ]),
  CONCURRENCY,
);
// The built-ins × mode table: every public Node built-in required in each mode.
const BUILTINS = builtinModules.filter((name) => !name.startsWith('_')).sort();
const builtinRows = new Map<Mode, Record<string, string>>();
for (const mode of modes) {
  const response = await gateway.invoke(probeName(mode), { modules: BUILTINS });
  builtinRows.set(mode, response.status === 200 ? response.json : Object.fromEntries(BUILTINS.map((name) => [name, `${response.status} ${firstLine(response.text)}`])));
}

const slowest = timings.sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, ms]) => `${name} ${ms} ms`);
t.comment(`${runnable.length} cases × ${modes.length} mode(s) + the Node oracle in ${((Date.now() - started) / 1000).toFixed(1)} s; slowest: ${slowest.join(', ')}`);

// --- report ------------------------------------------------------------------------------------------

const cell = (outcome: Outcome | undefined) => (outcome === undefined ? 'n/a' : outcome.pass ? '✓' : `✗ ${shortReason(outcome.detail).replace(/\|/g, '\\|')}`);
const builtinsOf = (c: Case) => (oracles.get(c.name)?.builtins ?? []).join(', ');
const table = [
  '| package | isolate | process | Node built-ins it requires |',
  '| --- | --- | --- | --- |',
  ...cases.map((c) => {
    const skip = skipped.get(c.name);
    if (skip) return `| ${c.name} | skipped: ${skip} | skipped | |`;
    const row = outcomes.get(c.name) ?? {};
    return `| ${c.name} | ${cell(row.isolate)} | ${cell(row.process)} | ${builtinsOf(c)} |`;
  }),
];
const count = (mode: Mode) => [...outcomes.values()].filter((row) => row[mode]?.pass).length;
const summary = modes.map((mode) => `${mode} ${count(mode)}/${runnable.length} (${Math.round((100 * count(mode)) / runnable.length)} %)`).join(', ');
/** The isolate's refusal messages, shortened for a table cell. */
const builtinCell = (value: string | undefined) => {
  if (value === undefined) return 'n/a';
  if (value === 'ok') return '✓';
  if (/cannot run in the isolate/.test(value)) return '✗ refused: use nodeRuntime: process';
  if (/not provided in the isolate/.test(value)) return '✗ not provided';
  return `✗ ${firstLine(value.replace(/^Cannot load module "[^"]+": /, '')).replace(/\|/g, '\\|')}`;
};
const builtinTable = [
  '| built-in | isolate | process |',
  '| --- | --- | --- |',
  ...BUILTINS.map((name) => `| ${name} | ${builtinCell(builtinRows.get('isolate')?.[name])} | ${builtinCell(builtinRows.get('process')?.[name])} |`),
];
const builtinCount = (mode: Mode) => BUILTINS.filter((name) => builtinRows.get(mode)?.[name] === 'ok').length;
const builtinSummary = modes.map((mode) => `${mode} ${builtinCount(mode)}/${BUILTINS.length}`).join(', ');
t.comment(`compatibility: ${summary}\n${table.join('\n')}`);
t.comment(`Node built-ins that load: ${builtinSummary}\n${builtinTable.join('\n')}`);

const observedExpectations = () =>
  `export const EXPECTED_IN_ISOLATE: Record<string, Expectation> = {\n${runnable
    .map((c) => {
      const outcome = outcomes.get(c.name)?.isolate;
      const value = outcome?.pass ? 'pass' : `fail: ${shortReason(outcome?.detail ?? 'not run')}`;
      return `  '${c.name}': '${value.replace(/[\\']/g, '"')}',`;
    })
    .join('\n')}\n};`;

if (process.env.FNGATE_COMPAT_PRINT === '1') t.comment(`observed isolate table (expectations.ts syntax):\n${observedExpectations()}`);
if (process.env.FNGATE_COMPAT_WRITE === '1') {
  writeFileSync(
    RESULTS_FILE,
    `# npm package compatibility\n\nWritten by \`FNGATE_COMPAT_WRITE=1 node test/run.mjs test/compat/compat.test.ts\` on ${new Date().toISOString().slice(0, 10)} ` +
      `(Node ${process.version}). Each case in \`test/fixtures/compat/cases/\` runs in a function through the gateway and is compared with the ` +
      `same handler run by real Node; ✓ means the results are equal.\n\n${summary}\n\n${table.join('\n')}\n\n` +
      `## Node built-ins by mode\n\n\`require(name)\` of every public built-in in a function: ${builtinSummary}.\n\n${builtinTable.join('\n')}\n`,
  );
}

function checkExpectation(t: Test, mode: Mode, expected: Expectation, outcome: Outcome): void {
  if (expected === 'pass') {
    t.ok(outcome.pass, `${mode}: passes${outcome.pass ? '' : ` — but ${outcome.detail}`}`);
  } else {
    t.notOk(outcome.pass, `${mode}: fails as expected (${expected.slice(6)})${outcome.pass ? ' — but it passes now: set it to pass in expectations.ts' : ''}`);
  }
}

for (const c of cases) {
  t.test(c.name, { skip: skipped.get(c.name) ?? false }, async (t) => {
    const oracle = oracles.get(c.name)!;
    t.ok(oracle.ok, `the handler works in real Node${oracle.ok ? '' : `: ${oracle.error?.name}: ${oracle.error?.message}`}`);
    const row = outcomes.get(c.name)!;
    const isolateExpected = EXPECTED_IN_ISOLATE[c.name];
    if (isolateExpected === undefined) {
      t.fail(`no isolate expectation for ${c.name} in expectations.ts (observed: ${row.isolate!.pass ? 'pass' : `fail: ${row.isolate!.detail}`})`);
    } else {
      checkExpectation(t, 'isolate', isolateExpected, row.isolate!);
    }
    if (row.process) checkExpectation(t, 'process', EXPECTED_IN_PROCESS[c.name] ?? 'pass', row.process);
  });
}

t.test('every Node built-in loads in process mode', { skip: modes.includes('process') ? false : 'process mode not available' }, async (t) => {
  const row = builtinRows.get('process')!;
  t.same(BUILTINS.filter((name) => row[name] !== 'ok').map((name) => `${name}: ${row[name]}`), []);
});

t.test('every isolate expectation names a case', async (t) => {
  const names = new Set(allCases.map((c) => c.name));
  t.same([...Object.keys(EXPECTED_IN_ISOLATE), ...Object.keys(EXPECTED_IN_PROCESS)].filter((name) => !names.has(name)), [], 'no stale lines in expectations.ts');
});
