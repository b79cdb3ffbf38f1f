/**
 * Credentials through the real gateway (issue 9 §3): every management route family refuses missing and bad
 * tokens, wrong, unknown and stale TC3-HMAC-SHA256 signatures, and accepts good ones; requests are signed
 * by the official tencentcloud-sdk-nodejs code (its HttpConnection and Sign), never a re-implementation.
 * Invoking is open unless a function says `invokeAuth: token`; environment values and async payloads are
 * shown only with credentials, also not to a function calling the gateway over loopback.
 * (The `fngate serve` side — generated files, env, default bind — is in serve.test.ts.)
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HttpConnection } from 'tencentcloud-sdk-nodejs-common/tencentcloud/common/http/http_connection.js';
import * as signModule from 'tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js';
import { AUTH_HEADERS, startTestGateway, TEST_CREDENTIALS } from '../helpers/gateway.ts';

// A CommonJS module: its `exports.default` is the Sign class.
/** The SDK's signing class (sign.js `exports.default`), whichever way the CommonJS interop hands it over. */
interface SdkSign {
  sign3(options: Record<string, unknown>): string;
}
const loaded = signModule as unknown as { default: SdkSign | { default: SdkSign } };
const Sign: SdkSign = 'sign3' in loaded.default ? loaded.default : loaded.default.default;
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/security/${name}`, import.meta.url));
const KEY = TEST_CREDENTIALS.keys[0]!;
const ENV_SECRET = 'hunter2-env-value';
const PAYLOAD_SECRET = 'payload-secret-4711';

const gateway = await startTestGateway(t, {
  functions: {
    open: { src: fixture('prober'), handler: 'echo.main_handler', runtime: 'Nodejs18.15', timeout: 10 },
    locked: {
      src: fixture('prober'),
      handler: 'echo.main_handler',
      runtime: 'Nodejs18.15',
      invokeAuth: 'token',
      environment: { variables: { SECRET_VALUE: ENV_SECRET } },
    },
    prober: { src: fixture('prober'), runtime: 'Nodejs18.15', timeout: 10 },
    proberProcess: { src: fixture('prober'), runtime: 'Nodejs18.15', timeout: 10, nodeRuntime: 'process' },
  },
});
const host = new URL(gateway.url).host;
/** What the SDK takes as the service: the endpoint's first label (`127.0.0.1:port` gives `127`). */
const SERVICE = host.split('.')[0]!;

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** GET query parameters (the SDK puts `data` into the query of a GET). */
  query?: Record<string, string>;
  body?: Record<string, unknown>;
}

/** One route (or more) of every management family. */
const ROUTES: Route[] = [
  { method: 'GET', path: '/functions' },
  { method: 'GET', path: '/functions/locked' },
  { method: 'GET', path: '/functions/open/instances' },
  { method: 'GET', path: '/functions/open/logs', query: { limit: '5' } },
  { method: 'GET', path: '/async-events', query: { function: 'open' } },
  { method: 'GET', path: '/async-events/nope' },
  { method: 'DELETE', path: '/async-events/nope' },
  { method: 'GET', path: '/async-queues' },
  { method: 'GET', path: '/dead-letters', query: { function: 'open' } },
  { method: 'POST', path: '/dead-letters/redrive?function=open', body: {} },
  { method: 'POST', path: '/dead-letters/nope/redrive', body: {} },
  { method: 'DELETE', path: '/dead-letters?function=nothing-here' },
  { method: 'GET', path: '/topics' },
  { method: 'POST', path: '/topics/auth-test/messages', body: { msgBody: 'hello' } },
];

const urlOf = (route: Route): string => `${gateway.url}${route.path}${route.query ? `?${new URLSearchParams(route.query)}` : ''}`;

interface Answer {
  status: number;
  type: string | null;
  text: string;
  wwwAuthenticate: string | null;
}

async function answer(response: { status: number; headers: { get(name: string): string | null }; text(): Promise<string> }): Promise<Answer> {
  return { status: response.status, type: response.headers.get('x-scf-error-type'), text: await response.text(), wwwAuthenticate: response.headers.get('www-authenticate') };
}

/** A plain request with the given Authorization (or none). */
async function plain(route: Route, authorization?: string): Promise<Answer> {
  const headers: Record<string, string> = route.body ? { 'content-type': 'application/json' } : {};
  if (authorization !== undefined) headers.authorization = authorization;
  return answer(await fetch(urlOf(route), { method: route.method, headers, body: route.body ? JSON.stringify(route.body) : undefined }));
}

/** The request as the official SDK builds, signs and sends it. */
async function sdk(route: Route, key: { secretId: string; secretKey: string }): Promise<Answer> {
  const response = await HttpConnection.doRequestWithSign3({
    method: route.method,
    url: `${gateway.url}${route.path}`,
    data: route.method === 'GET' ? (route.query ?? {}) : (route.body ?? {}),
    service: SERVICE,
    action: 'ManagementCall',
    region: 'ap-guangzhou',
    version: '2018-04-16',
    secretId: key.secretId,
    secretKey: key.secretKey,
  } as never);
  return answer(response as unknown as Response);
}

/** Signed by the SDK's Sign.sign3 at a chosen time, sent with the headers the SDK sends. */
async function signedAt(route: Route, timestamp: number): Promise<Answer> {
  const contentType = route.method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json';
  const body = route.body ? JSON.stringify(route.body) : undefined;
  const authorization = Sign.sign3({
    method: route.method,
    url: urlOf(route),
    payload: route.body ?? '',
    timestamp,
    service: SERVICE,
    secretId: KEY.secretId,
    secretKey: KEY.secretKey,
    multipart: false,
    boundary: '',
    headers: { 'Content-Type': contentType },
  });
  return answer(await fetch(urlOf(route), { method: route.method, headers: { 'content-type': contentType, 'x-tc-timestamp': String(timestamp), authorization }, body }));
}

const now = (): number => Math.floor(Date.now() / 1000);

for (const route of ROUTES) {
  t.test(`${route.method} ${route.path}: credentials or 401`, async (t) => {
    const refusals: Array<[string, Promise<Answer>, string]> = [
      ['no Authorization', plain(route), 'AuthFailure.InvalidAuthorization'],
      ['a wrong Bearer token', plain(route, 'Bearer not-the-token'), 'AuthFailure.TokenFailure'],
      ['the SDK skipSign (Authorization: SKIP)', plain(route, 'SKIP'), 'AuthFailure.InvalidAuthorization'],
      ['Basic credentials', plain(route, `Basic ${Buffer.from(`x:${TEST_CREDENTIALS.apiToken}`).toString('base64')}`), 'AuthFailure.InvalidAuthorization'],
      ['signed with a wrong SecretKey', sdk(route, { secretId: KEY.secretId, secretKey: 'wrong-key' }), 'AuthFailure.SignatureFailure'],
      ['signed by an unknown SecretId', sdk(route, { secretId: 'AKIDunknown', secretKey: KEY.secretKey }), 'AuthFailure.SecretIdNotFound'],
      ['signed 6 minutes ago', signedAt(route, now() - 360), 'AuthFailure.SignatureExpire'],
      ['signed 6 minutes ahead', signedAt(route, now() + 360), 'AuthFailure.SignatureExpire'],
    ];
    for (const [what, pending, type] of refusals) {
      const refused = await pending;
      t.equal(refused.status, 401, `${what}: 401`);
      t.equal(refused.type, type, `${what}: ${type}`);
      t.match(JSON.parse(refused.text), { errorCode: -1, statusCode: 401, errorMessage: String }, `${what}: the SCF error object`);
      t.match(refused.wwwAuthenticate, /^Bearer /, `${what}: WWW-Authenticate names the schemes`);
    }
    const withToken = await plain(route, `Bearer ${TEST_CREDENTIALS.apiToken}`);
    t.not(withToken.status, 401, `the API token is accepted (${withToken.status})`);
    const viaSdk = await sdk(route, KEY);
    t.equal(viaSdk.status, withToken.status, 'a request signed and sent by the official SDK is accepted alike');
    const justNow = await signedAt(route, now() - 60);
    t.equal(justNow.status, withToken.status, 'a signature within 5 minutes is accepted');
  });
}

t.test('a signature covers the path, the query and the body', async (t) => {
  const route: Route = { method: 'POST', path: '/topics/auth-test/messages', body: { msgBody: 'signed' } };
  const timestamp = now();
  const authorization = Sign.sign3({
    method: 'POST', url: urlOf(route), payload: route.body, timestamp, service: SERVICE, secretId: KEY.secretId, secretKey: KEY.secretKey,
    multipart: false, boundary: '', headers: { 'Content-Type': 'application/json' },
  });
  const send = (path: string, body: string): Promise<Answer> =>
    fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tc-timestamp': String(timestamp), authorization }, body }).then(answer);
  t.equal((await send(route.path, JSON.stringify(route.body))).status, 202, 'as signed: accepted');
  const otherBody = await send(route.path, JSON.stringify({ msgBody: 'tampered' }));
  t.equal(otherBody.type, 'AuthFailure.SignatureFailure', 'another body: refused');
  t.equal((await send('/topics/other/messages', JSON.stringify(route.body))).type, 'AuthFailure.SignatureFailure', 'another path: refused');
  t.equal((await send(`${route.path}?x=1`, JSON.stringify(route.body))).type, 'AuthFailure.SignatureFailure', 'another query: refused');
});

t.test('open routes: health, the OpenAPI description (with its security schemes)', async (t) => {
  t.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
  const document = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as any;
  t.ok(document.components.securitySchemes.bearerAuth, 'bearer scheme documented');
  t.same(document.paths['/functions'].get.security, [{ bearerAuth: [] }, { tc3: [] }], 'management operations need credentials');
  t.notOk(document.paths['/functions/{name}/invoke'].post.security, 'invoking is documented as open');
  t.notOk(document.paths['/healthz'].get.security, 'health is open');
});

t.test('invoking is open by default; invokeAuth: token needs the credentials', async (t) => {
  t.equal((await gateway.invoke('open', { name: 'anyone' })).status, 200, 'open function: no credentials needed');
  const refused = await gateway.invoke('locked', {});
  t.equal(refused.status, 401);
  t.equal(refused.headers.get('x-scf-error-type'), 'AuthFailure.InvalidAuthorization');
  t.match(refused.json, { errorCode: -1, statusCode: 401, requestId: refused.requestId });
  t.equal((await gateway.invoke('locked', {}, { headers: { authorization: 'Bearer nope' } })).status, 401, 'a wrong token');
  const asyncRefused = await gateway.invoke('locked', {}, { headers: { 'X-Fn-Invocation-Type': 'Event' } });
  t.equal(asyncRefused.status, 401, 'async invokes too');
  const allowed = await gateway.invoke('locked', { n: 1 }, { headers: AUTH_HEADERS });
  t.equal(allowed.status, 200);
  t.same(allowed.json, { got: { n: 1 }, secret: 'set' });
  const signed = await sdk({ method: 'POST', path: '/functions/locked/invoke', body: { n: 2 } }, KEY);
  t.equal(signed.status, 200, 'a TC3 signature by the SDK also opens it (the invoke fast path checks the body hash)');
  t.same(JSON.parse(signed.text), { got: { n: 2 }, secret: 'set' });
  const wrongKey = await sdk({ method: 'POST', path: '/functions/locked/invoke', body: { n: 3 } }, { secretId: KEY.secretId, secretKey: 'wrong' });
  t.equal(wrongKey.type, 'AuthFailure.SignatureFailure');
});

t.test('environment values and async payloads only with credentials', async (t) => {
  const detail = await fetch(`${gateway.url}/functions/locked`);
  t.equal(detail.status, 401);
  t.notMatch(await detail.text(), ENV_SECRET, 'no environment value without credentials');
  const list = await fetch(`${gateway.url}/functions`);
  t.notMatch(await list.text(), ENV_SECRET);
  const shown = (await (await gateway.api('/functions/locked')).json()) as any;
  t.equal(shown.environment.SECRET_VALUE, ENV_SECRET, 'shown to an authenticated caller');

  const queued = await gateway.invoke('open', { secret: PAYLOAD_SECRET }, { headers: { 'X-Fn-Invocation-Type': 'Event' } });
  t.equal(queued.status, 202, 'an open function takes async events without credentials');
  const id = queued.json.RequestId as string;
  const hidden = await fetch(`${gateway.url}/async-events/${id}`);
  t.equal(hidden.status, 401);
  t.notMatch(await hidden.text(), PAYLOAD_SECRET, 'the payload is not shown');
  const events = await fetch(`${gateway.url}/async-events?function=open`);
  t.notMatch(await events.text(), PAYLOAD_SECRET);
  const record = (await (await gateway.api(`/async-events/${id}`)).json()) as any;
  t.same(record.event, { secret: PAYLOAD_SECRET }, 'shown with credentials');
});

t.test("a function in an isolate calling the gateway's management routes over 127.0.0.1 is refused", async (t) => {
  for (const path of ['/functions/locked', '/functions', '/async-events?function=open', '/dead-letters?function=open']) {
    const probe = await gateway.invoke('prober', { url: `${gateway.url}${path}` });
    t.equal(probe.status, 200, `${path}: the function ran`);
    t.equal(probe.json.status, 401, `${path}: refused`);
    t.notMatch(probe.json.body, ENV_SECRET);
    t.notMatch(probe.json.body, PAYLOAD_SECRET);
  }
  const purge = await gateway.invoke('prober', { url: `${gateway.url}/dead-letters?function=open`, method: 'DELETE' });
  t.equal(purge.json.status, 401, 'nor can it purge dead letters');
});

t.test("a sandboxed function (Node.js process mode) cannot even connect to the gateway's management routes", async (t) => {
  const { port } = new URL(gateway.url);
  // 127.0.0.1 inside a sandbox is its own loopback; the host's is 10.0.2.2 (host.fngate.internal), where
  // the gateway resets connections that come through a sandbox's pasta. Without a sandbox (FNGATE_SANDBOX=none)
  // the credentials still refuse: 401.
  const sandboxed = await gateway.invoke('proberProcess', { url: `http://127.0.0.1:${port}/functions` });
  const unsandboxed = sandboxed.json.status === 401;
  for (const host of unsandboxed ? ['127.0.0.1'] : ['127.0.0.1', 'host.fngate.internal', '10.0.2.2']) {
    for (const path of ['/functions/locked', '/functions', '/async-events?function=open', '/dead-letters?function=open']) {
      const probe = await gateway.invoke('proberProcess', { url: `http://${host}:${port}${path}` });
      t.equal(probe.status, 200, `${host}${path}: the function ran`);
      if (unsandboxed) t.equal(probe.json.status, 401, `${path}: refused`);
      else t.match(probe.json, { status: 0, body: /ECONNREFUSED|ECONNRESET|socket hang up/ }, `${host}${path}: no connection (${probe.json.body})`);
      t.notMatch(probe.json.body, ENV_SECRET);
      t.notMatch(probe.json.body, PAYLOAD_SECRET);
    }
  }
});

t.test('spellings of a management path do not slip past the check', async (t) => {
  for (const path of ['/functions/locked/', '//functions/locked', '/%66unctions/locked', '/functions/%6Cocked', '/functions/locked?namespace=default', '/functions/locked#x']) {
    const response = await fetch(`${gateway.url}${path}`);
    const text = await response.text();
    t.ok(response.status === 401 || response.status === 404, `${path}: ${response.status}`);
    t.notMatch(text, ENV_SECRET, `${path}: no environment value`);
  }
  const head = await fetch(`${gateway.url}/functions/locked`, { method: 'HEAD' });
  t.equal(head.status, 401, 'HEAD is checked like GET');
});
