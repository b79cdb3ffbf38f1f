import t from 'tap';
import { AUTH_HEADERS, startTestGateway } from '../helpers/gateway.ts';
import { NEEDS_SANDBOX, request, requestLog, webFixture } from './helpers.ts';
import { hasTool } from '../helpers/toolchain.ts';

const SECRET = 'gateway-secret-must-not-leak';
process.env.FNGATE_TEST_SECRET = SECRET;

const gateway = await startTestGateway(t, {
  functions: {
    webnode: {
      src: webFixture('node'),
      runtime: 'Nodejs18.15',
      type: 'web',
      timeout: 5,
      instanceConcurrency: 1,
      reservedConcurrency: 2,
      domains: ['api.example.test'],
      environment: { variables: { GREETING: 'hi' } },
    },
    webpy: { src: webFixture('python'), runtime: 'Python3.9', type: 'web' },
    webphp: { src: webFixture('php'), runtime: 'Php8.0', type: 'web' },
    imgevent: { src: webFixture('event'), runtime: 'Nodejs18.15', eventInvoke: 'http', timeout: 5 },
    teamweb: { src: webFixture('node'), runtime: 'Nodejs18.15', type: 'web', namespace: 'team' },
  },
});

const coldStart = (lines: string[]): string | undefined => lines.find((line) => line.startsWith('Init Report'));

t.test('a request reaches the Node server under /web/<name>/ with the prefix stripped', NEEDS_SANDBOX, async (t) => {
  const sentAt = Date.now();
  const response = await request(gateway.url, '/web/webnode/hello/world?x=1&y=two', { headers: { 'X-Scf-Name': 'spoofed' } });
  t.equal(response.status, 200, response.text);
  const seen = response.json;
  t.equal(seen.url, '/hello/world?x=1&y=two', 'path and query, prefix stripped');
  t.equal(response.headers['x-app'], 'node', "the server's own headers come back");
  const requestId = String(response.headers['x-scf-request-id']);
  // Time-ordered (UUID v7) like event invocations' IDs: the record's key, appended to its index (gateway/request-id.ts).
  t.match(requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const idTime = parseInt(requestId.slice(0, 8) + requestId.slice(9, 13), 16);
  t.ok(idTime >= sentAt && idTime <= Date.now(), `the ID carries the request's time (${idTime - sentAt} ms after sending)`);
  t.match(seen.headers, {
    'x-scf-request-id': requestId,
    'x-scf-memory': '128',
    'x-scf-timeout': '5000',
    'x-scf-version': '$LATEST',
    'x-scf-name': 'webnode',
    'x-scf-namespace': 'default',
    'x-scf-region': 'ap-guangzhou',
    'x-scf-appid': '1250000000',
    'x-scf-uin': '100000000001',
    'x-forwarded-for': '127.0.0.1',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': new URL(gateway.url).host,
  });
  t.same(seen.env, {
    SERVERLESS: '1',
    FNGATE_TEST_SECRET: null,
    USER_CODE_ROOT: '/var/user',
    SCF_FUNCTIONNAME: 'webnode',
    SCF_NAMESPACE: 'default',
    GREETING: 'hi',
    PORT: '9000',
    HOME: '/tmp',
    TENCENTCLOUD_RUNENV: 'SCF',
  });
  const lines = await requestLog(gateway.url, 'webnode', String(requestId));
  t.equal(lines[0], `START RequestId: ${requestId}`);
  t.ok(lines.some((line) => line.endsWith(`${requestId} listening on 9000`)), 'start-up output is in the first request log');
  t.match(lines.find((line) => line.startsWith('Report')), /^Report RequestId: \S+ Duration:[\d.]+ms Memory:128MB MemUsage:[\d.]+MB$/);
  t.match(coldStart(lines), /^Init Report RequestId: \S+ Coldstart:[\d.]+ms PullCode:[\d.]+ms InitRuntime:[\d.]+ms InitFunction:[\d.]+ms$/);
  t.comment(`node web function: ${coldStart(lines)}`);
});

t.test("the sandbox: read-only code, private /tmp, its own network (pasta's eth0 where passt is installed)", NEEDS_SANDBOX, async (t) => {
  const response = await request(gateway.url, '/web/webnode/sandbox');
  const interfaces = hasTool('pasta') ? ['eth0', 'lo'] : ['lo'];
  t.same({ ...response.json, interfaces: [...response.json.interfaces].sort() }, { codeWritable: 'EROFS', tmp: 'tmp works', interfaces });
});

t.test('the server output goes to the log of the request in flight, with Report lines', NEEDS_SANDBOX, async (t) => {
  const response = await request(gateway.url, '/web/webnode/log?text=marker-one');
  const requestId = String(response.headers['x-scf-request-id']);
  const lines = await requestLog(gateway.url, 'webnode', requestId);
  t.match(lines, [
    `START RequestId: ${requestId}`,
    new RegExp(`^\\S+Z ${requestId} marker-one$`),
    new RegExp(`^\\S+Z ${requestId} stderr: marker-one$`),
    `END RequestId: ${requestId}`,
    /^Report RequestId: /,
  ]);
  t.notOk(coldStart(lines), 'a warm request has no Init Report');
});

t.test('instanceConcurrency 1: two slow requests run on two instances, a third gets 432', NEEDS_SANDBOX, async (t) => {
  const slow = (): ReturnType<typeof request> => request(gateway.url, '/web/webnode/slow?ms=1500');
  const first = slow();
  const second = slow();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const third = await request(gateway.url, '/web/webnode/slow?ms=10');
  t.equal(third.status, 432, 'reservedConcurrency 2 × instanceConcurrency 1 are busy');
  t.match(third.headers, { 'x-scf-request-id': /^[0-9a-f-]{36}$/, 'x-scf-error-type': 'ResourceLimitReached' });
  t.equal(third.json.statusCode, 432);
  const [a, b] = await Promise.all([first, second]);
  t.equal(a.status, 200);
  t.equal(b.status, 200);
  t.not(a.json.instance, b.json.instance, 'two different server processes answered');
  t.equal(a.json.pid, b.json.pid, 'each in its own pid namespace, so the same pid inside');
  t.not(a.json.hostname, b.json.hostname, 'and its own hostname');
  const instances = await request(gateway.url, '/functions/webnode/instances', { headers: { ...AUTH_HEADERS } });
  t.equal(instances.json.instances.length, 2);
});

t.test('host-based routing keeps the full path and wins over the built-in routes', NEEDS_SANDBOX, async (t) => {
  const cases: Array<{ host: string; path: string; name?: string; namespace?: string; status?: number }> = [
    { host: 'webnode.default.localhost', path: '/functions?x=1', name: 'webnode', namespace: 'default' },
    { host: `webnode.localhost:${gateway.port}`, path: '/healthz', name: 'webnode', namespace: 'default' },
    { host: 'WebNode.Default.LOCALHOST', path: '/a', name: 'webnode', namespace: 'default' },
    { host: 'api.example.test', path: '/custom/domain', name: 'webnode', namespace: 'default' },
    { host: 'teamweb.team.localhost', path: '/t', name: 'teamweb', namespace: 'team' },
  ];
  for (const c of cases) {
    const response = await request(gateway.url, c.path, { headers: { Host: c.host } });
    t.equal(response.status, 200, `${c.host}: ${response.text.slice(0, 200)}`);
    t.equal(response.json.url, c.path, `${c.host}: the full path`);
    t.equal(response.json.headers['x-scf-name'], c.name);
    t.equal(response.json.headers['x-scf-namespace'], c.namespace);
  }
  const health = await request(gateway.url, '/healthz', { headers: { Host: 'nothing.localhost' } });
  t.equal(health.json.status, 'ok', 'a Host naming no web function falls through to the gateway');
  const namespaced = await request(gateway.url, '/web/teamweb.team/p?q=1');
  t.equal(namespaced.json.url, '/p?q=1', '/web/<name>.<namespace>/');
  t.equal(namespaced.json.headers['x-scf-namespace'], 'team');
  const bare = await request(gateway.url, '/web/teamweb.team');
  t.equal(bare.json.url, '/', 'no trailing slash is the root');
  const unknown = await request(gateway.url, '/web/nope/x');
  t.equal(unknown.status, 435);
  t.equal(unknown.headers['x-scf-error-type'], 'FunctionNotFound');
  const notWeb = await request(gateway.url, '/web/imgevent/x');
  t.equal(notWeb.status, 436, 'an event function is not reachable as a web function');
});

t.test('a Python http.server started by /var/lang/python3/bin/python3', NEEDS_SANDBOX, async (t) => {
  const response = await request(gateway.url, '/web/webpy/hello?x=1');
  t.equal(response.status, 200, response.text);
  t.match(response.json, {
    path: '/hello?x=1',
    serverless: '1',
    name: 'webpy',
    requestId: response.headers['x-scf-request-id'],
    executable: '/var/lang/python3/bin/python3',
    codeRoot: '/var/user',
  });
  const lines = await requestLog(gateway.url, 'webpy', String(response.headers['x-scf-request-id']));
  t.ok(lines.some((line) => line.endsWith('python web server starting')));
  t.ok(lines.some((line) => line.endsWith('python served /hello?x=1')));
  t.comment(`python web function: ${coldStart(lines)}`);
});

t.test('a PHP built-in server started by /var/lang/php8/bin/php', NEEDS_SANDBOX, async (t) => {
  const response = await request(gateway.url, '/web/webphp/page?z=3');
  t.equal(response.status, 200, response.text);
  t.same(response.json, { uri: '/page?z=3', serverless: '1', name: 'webphp', php: 8 });
});

t.test('an image-style event function receives POST /event-invoke', NEEDS_SANDBOX, async (t) => {
  const ok = await gateway.invoke('imgevent', { a: 1 });
  t.equal(ok.status, 200, ok.text);
  t.same(ok.json, { event: { a: 1 }, requestId: ok.requestId, name: 'imgevent', timeout: '5000' });
  const lines = await gateway.logs('imgevent', String(ok.requestId));
  t.ok(lines.some((line) => line.endsWith(`event for ${ok.requestId}`)), 'the server output is in the invocation log');
  const text = await gateway.invoke('imgevent', { text: 'plain words' });
  t.equal(text.status, 200);
  t.equal(text.text, '"plain words"', 'a body that is not JSON comes back as a JSON string');
  const failed = await gateway.invoke('imgevent', { fail: true });
  t.equal(failed.status, 430);
  t.equal(failed.json.errorMessage, 'bad event');
});
