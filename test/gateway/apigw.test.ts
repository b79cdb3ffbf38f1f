import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';

const src = fileURLToPath(new URL('../fixtures/node/apigw', import.meta.url));
const endpoint = (path: string, method: string, isIntegratedResponse: boolean) => ({ path, method, function: { isIntegratedResponse } });

const gateway = await startTestGateway(t, {
  functions: {
    api: {
      src,
      runtime: 'Nodejs18.15',
      events: [
        {
          apigw: {
            parameters: {
              endpoints: [
                endpoint('/echo/{id}', 'ANY', false),
                endpoint('/integrated/{id}', 'GET', true),
                endpoint('/image', 'GET', true),
                endpoint('/fail', 'GET', true),
                {
                  path: '/declared',
                  method: 'GET',
                  serviceTimeout: 30,
                  param: [
                    { name: 'page', position: 'QUERY', defaultValue: 1 },
                    { name: 'sort', position: 'QUERY' },
                    { name: 'x-token', position: 'HEADER' },
                  ],
                },
                { path: '/b64', method: 'POST', isBase64Encoded: true },
              ],
            },
          },
        },
      ],
    },
  },
});

t.test('the request becomes an SCF apigw event', async (t) => {
  const response = await fetch(`${gateway.url}/echo/42?tag=a&tag=b&single=x&flag&empty=&sp=a+b%21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-trace': 't1', 'x-qualifier': 'spoofed' },
    body: '{"hello":"world"}',
  });
  t.equal(response.status, 200);
  const event = (await response.json()) as any;
  const requestId = response.headers.get('x-scf-request-id')!;
  // scf-go-lib's APIGatewayRequest and SCF's sample events: these keys and no others.
  t.same(Object.keys(event).sort(), [
    'body', 'headerParameters', 'headers', 'httpMethod', 'isBase64Encoded', 'path', 'pathParameters', 'queryString',
    'queryStringParameters', 'requestContext',
  ]);
  t.match(event, {
    httpMethod: 'POST',
    path: '/echo/42',
    pathParameters: { id: '42' },
    body: '{"hello":"world"}',
    isBase64Encoded: false,
  });
  t.same(event.queryString, { tag: ['a', 'b'], single: 'x', flag: true, empty: '', sp: 'a b!' }, 'a key without a value is true, as SCF delivers it');
  t.same(event.queryStringParameters, {}, 'only declared parameters fill queryStringParameters');
  t.same(event.headerParameters, {});
  t.same(event.requestContext, {
    serviceId: event.requestContext.serviceId,
    path: '/echo/{id}',
    httpMethod: 'ANY',
    requestId,
    identity: {},
    sourceIp: '127.0.0.1',
    stage: 'release',
  }, 'requestContext: the endpoint as configured (path and method), as SCF sets them');
  t.match(event.requestContext.serviceId, /^service-[0-9a-f]{8}$/);
  t.match(event.headers, {
    'content-type': 'application/json',
    'x-trace': 't1',
    'x-anonymous-consumer': 'true',
    'x-qualifier': '$LATEST',
    'endpoint-timeout': '15',
    'x-api-scheme': 'http',
    'x-api-requestid': requestId.replace(/-/g, ''),
    'x-b3-traceid': requestId.replace(/-/g, ''),
  });
  t.match(event.headers['x-api-requestid'], /^[0-9a-f]{32}$/);
  for (const name of Object.keys(event.headers)) t.equal(name, name.toLowerCase(), `header ${name} is lowercase`);
});

t.test('declared parameters fill queryStringParameters and headerParameters; serviceTimeout is endpoint-timeout', async (t) => {
  const given = (await (await fetch(`${gateway.url}/declared?page=3&other=1`, { headers: { 'X-Token': 'abc' } })).json()) as any;
  t.same(given.queryStringParameters, { page: '3' });
  t.same(given.headerParameters, { 'x-token': 'abc' });
  t.same(given.queryString, { page: '3', other: '1' });
  t.equal(given.headers['endpoint-timeout'], '30');
  const defaults = (await (await fetch(`${gateway.url}/declared`)).json()) as any;
  t.same(defaults.queryStringParameters, { page: '1' }, 'a declared default fills in');
  t.same(defaults.headerParameters, {});
});

t.test('an endpoint with isBase64Encoded sends even a text body base64-encoded', async (t) => {
  const event = (await (await fetch(`${gateway.url}/b64`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'plain text' })).json()) as any;
  t.equal(event.isBase64Encoded, true);
  t.equal(Buffer.from(event.body, 'base64').toString(), 'plain text');
});

t.test('a binary body arrives base64-encoded', async (t) => {
  const bytes = new Uint8Array([0, 1, 2, 250, 251, 255]);
  const response = await fetch(`${gateway.url}/echo/bin`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  const event = (await response.json()) as any;
  t.equal(event.isBase64Encoded, true);
  t.same([...Buffer.from(event.body, 'base64')], [...bytes]);
});

t.test('an integrated response sets status, headers and repeated Set-Cookie', async (t) => {
  const response = await fetch(`${gateway.url}/integrated/7?status=201`);
  t.equal(response.status, 201);
  t.equal(await response.text(), 'user 7');
  t.equal(response.headers.get('content-type'), 'text/plain');
  t.equal(response.headers.get('x-custom'), 'yes');
  t.same(response.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
});

t.test('a base64 integrated body is decoded to bytes', async (t) => {
  const response = await fetch(`${gateway.url}/image`);
  t.equal(response.headers.get('content-type'), 'image/png');
  t.same([...new Uint8Array(await response.arrayBuffer())], [0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
});

t.test('a function error maps to its status code; unconfigured methods are 404', async (t) => {
  const failed = await fetch(`${gateway.url}/fail`);
  t.equal(failed.status, 430);
  t.match(await failed.json(), { errorMessage: /apigw boom/ });
  t.equal((await fetch(`${gateway.url}/integrated/7`, { method: 'DELETE' })).status, 404);
});
