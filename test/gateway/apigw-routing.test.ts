import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { openWebSocket, request } from '../web/helpers.ts';

const fixture = (path: string): string => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url));
const endpoint = (path: string, method: string) => ({ path, method });

// One event function echoing its event behind many endpoints: requestContext names the endpoint that won.
const ROUTES = [
  endpoint('/', 'ANY'),
  endpoint('/users', 'GET'),
  endpoint('/users/{id}', 'GET'),
  endpoint('/users/{id}', 'ANY'),
  endpoint('/users/me', 'GET'),
  endpoint('/static/', 'ANY'),
  endpoint('=/exact', 'GET'),
  endpoint('^~/files', 'ANY'),
  endpoint('/files/{name}', 'GET'),
  endpoint('/api', 'ANY'),
  endpoint('/api/v1', 'ANY'),
  endpoint('/{a}/{b}/detail', 'GET'),
];

const gateway = await startTestGateway(t, {
  functions: {
    echo: { src: fixture('node/echo'), runtime: 'Nodejs18.15', events: [{ apigw: { parameters: { endpoints: ROUTES } } }] },
  },
});

// A second gateway: the app of a web function behind `/` ANY, a prefix endpoint and a path parameter.
const webGateway = await startTestGateway(t, {
  functions: {
    site: {
      src: fixture('web/router'),
      runtime: 'Nodejs18.15',
      type: 'web',
      events: [{ apigw: { parameters: { endpoints: [endpoint('/', 'ANY'), endpoint('/api', 'ANY'), endpoint('/items/{id}', 'GET')] } } }],
    },
  },
});

interface Case {
  method: string;
  path: string;
  /** The endpoint that must win: its path and method as requestContext shows them. */
  endpoint: [string, string];
  pathParameters?: Record<string, string>;
  why: string;
}

const CASES: Case[] = [
  { method: 'GET', path: '/', endpoint: ['/', 'ANY'], why: 'the root endpoint' },
  { method: 'GET', path: '/somewhere/deep/below', endpoint: ['/', 'ANY'], why: '`/` is a prefix of every path' },
  { method: 'GET', path: '/users', endpoint: ['/users', 'GET'], why: 'a plain path equal to the request is an exact match' },
  { method: 'POST', path: '/users', endpoint: ['/', 'ANY'], why: 'no /users endpoint takes POST: the search goes on to `/`' },
  { method: 'GET', path: '/users/42', endpoint: ['/users/{id}', 'GET'], pathParameters: { id: '42' }, why: 'the method wins over ANY for one path' },
  { method: 'DELETE', path: '/users/42', endpoint: ['/users/{id}', 'ANY'], pathParameters: { id: '42' }, why: 'ANY takes the other methods' },
  { method: 'GET', path: '/users/me', endpoint: ['/users/me', 'GET'], why: 'an exact plain path wins over a parameter path' },
  { method: 'GET', path: '/users/42/posts', endpoint: ['/users/{id}', 'GET'], pathParameters: { id: '42/posts' }, why: 'parameters are greedy and span /' },
  { method: 'GET', path: '/users/a%20b', endpoint: ['/users/{id}', 'GET'], pathParameters: { id: 'a b' }, why: 'parameter values are decoded' },
  { method: 'GET', path: '/mid/api/detail', endpoint: ['/{a}/{b}/detail', 'GET'], pathParameters: { a: 'mid', b: 'api' }, why: 'the FAQ example: /{PathA}/{PathB}/detail' },
  { method: 'GET', path: '/static/css/site.css', endpoint: ['/static/', 'ANY'], why: 'a prefix ending in /' },
  { method: 'GET', path: '/exact', endpoint: ['=/exact', 'GET'], why: '`=` is an exact match' },
  { method: 'GET', path: '/exact/more', endpoint: ['/', 'ANY'], why: '`=` is not a prefix' },
  { method: 'GET', path: '/files/report.pdf', endpoint: ['^~/files', 'ANY'], why: '`^~` wins over a parameter path' },
  { method: 'GET', path: '/api/v1/items', endpoint: ['/api/v1', 'ANY'], why: 'the longest prefix wins' },
  { method: 'PUT', path: '/api/v2', endpoint: ['/api', 'ANY'], why: 'a shorter prefix when the longer does not match' },
  { method: 'GET', path: '/apix', endpoint: ['/', 'ANY'], why: 'a prefix matches at a segment boundary' },
];

t.test('API gateway precedence: exact, preferred prefix, parameters, longest prefix; method before ANY', async (t) => {
  for (const testCase of CASES) {
    const response = await fetch(`${gateway.url}${testCase.path}`, { method: testCase.method });
    t.equal(response.status, 200, `${testCase.method} ${testCase.path}`);
    const { event } = (await response.json()) as any;
    t.same(
      [event.requestContext.path, event.requestContext.httpMethod],
      testCase.endpoint,
      `${testCase.method} ${testCase.path} → ${testCase.endpoint.join(' ')}: ${testCase.why}`,
    );
    t.same(event.pathParameters, testCase.pathParameters ?? {}, `${testCase.method} ${testCase.path}: pathParameters`);
    t.equal(event.httpMethod, testCase.method);
    t.equal(event.path, testCase.path, 'the event path is the request path');
  }
});

t.test('the gateway API keeps its own routes ahead of a `/` ANY endpoint', async (t) => {
  const health = await fetch(`${gateway.url}/health`);
  t.equal(health.status, 200);
  t.notOk('requestContext' in ((await health.json()) as object), 'not routed to the function');
});

t.test('a whole app behind `/` ANY receives every sub-path (framework components)', async (t) => {
  const appGateway = await startTestGateway(t, {
    functions: {
      app: { src: fixture('node/apigw-app'), runtime: 'Nodejs18.15', events: [{ apigw: { parameters: { endpoints: [{ path: '/', method: 'ANY', function: { isIntegratedResponse: true } }] } } }] },
    },
  });
  const got = await fetch(`${appGateway.url}/users/42`);
  t.equal(got.status, 200);
  t.same(await got.json(), { id: 42, name: 'Ada' });
  const created = await fetch(`${appGateway.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Grace"}' });
  t.equal(created.status, 201);
  t.same(await created.json(), { created: { name: 'Grace' } });
  const missing = await fetch(`${appGateway.url}/users/7`);
  t.equal(missing.status, 404, "the app's own 404");
  t.same(await missing.json(), { error: 'no such user' });
  const unknown = await fetch(`${appGateway.url}/nope`, { method: 'PATCH' });
  t.equal(unknown.status, 404);
  t.equal(await unknown.text(), 'Cannot PATCH /nope');
});

t.test('a web function behind API gateway gets the original request, path relative to the endpoint', async (t) => {
  const cases: Array<{ method: string; path: string; seen: string; why: string }> = [
    { method: 'GET', path: '/users/7?flag&x=1', seen: '/users/7?flag&x=1', why: 'behind `/` the full path and raw query' },
    { method: 'PUT', path: '/api/users/9?y=2', seen: '/users/9?y=2', why: 'the prefix endpoint /api is cut off' },
    { method: 'GET', path: '/api', seen: '/', why: 'the prefix itself becomes /' },
    { method: 'GET', path: '/items/3', seen: '/items/3', why: 'a parameter endpoint passes the whole path' },
  ];
  for (const testCase of cases) {
    const response = await request(webGateway.url, testCase.path, {
      method: testCase.method,
      headers: { 'content-type': 'text/plain', 'x-custom': 'kept', 'x-api-requestid': 'spoofed' },
      body: testCase.method === 'PUT' ? 'raw body' : undefined,
    });
    t.equal(response.headers['x-app'], 'router', `${testCase.method} ${testCase.path} reached the server`);
    const seen = response.json;
    t.equal(seen.method, testCase.method);
    t.equal(seen.url, testCase.seen, testCase.why);
    t.equal(seen.body, testCase.method === 'PUT' ? 'raw body' : '');
    t.equal(seen.headers['x-custom'], 'kept');
    t.equal(seen.headers['content-type'], 'text/plain');
    const requestId = response.headers['x-scf-request-id'] as string;
    t.equal(seen.headers['x-scf-request-id'], requestId);
    t.equal(seen.headers['x-api-requestid'], requestId.replace(/-/g, ''), "API gateway's request id replaces the client's");
    t.equal(seen.headers['x-b3-traceid'], requestId.replace(/-/g, ''));
    t.equal(seen.headers['x-api-scheme'], 'http');
    t.equal(seen.headers['x-real-ip'], '127.0.0.1');
  }
  // The server's own status comes back unchanged: no event, no integrated response.
  const notFound = await request(webGateway.url, '/other', {});
  t.equal(notFound.status, 404);
  t.equal(notFound.json.url, '/other');
});

t.test('a WebSocket upgrade on an API gateway endpoint reaches the web function', async (t) => {
  const socket = await openWebSocket(webGateway.url, '/api/chat?room=1');
  t.equal(socket.status, 101, socket.head);
  t.ok(socket.accepted, 'the handshake is the server\'s own');
  t.match(socket.head, /^x-seen-url: \/chat\?room=1$/im, 'the path relative to the endpoint');
  t.match(socket.head, /^x-seen-api-request-id: [0-9a-f]{32}$/im, "API gateway's headers");
  t.equal(await socket.send('hello'), '/chat?room=1 hello');
  await socket.close();
  // An upgrade no web function's endpoint takes stays a 404.
  const echoOnly = await startTestGateway(t, {
    functions: { echo: { src: fixture('node/echo'), runtime: 'Nodejs18.15', events: [{ apigw: { parameters: { endpoints: [endpoint('/', 'ANY')] } } }] } },
  });
  const refused = await openWebSocket(echoOnly.url, '/chat');
  t.equal(refused.status, 404);
});
