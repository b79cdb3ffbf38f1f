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
              ],
            },
          },
        },
      ],
    },
  },
});

t.test('the request becomes an SCF apigw event', async (t) => {
  const response = await fetch(`${gateway.url}/echo/42?tag=a&tag=b&single=x`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-trace': 't1' },
    body: '{"hello":"world"}',
  });
  t.equal(response.status, 200);
  const event = (await response.json()) as any;
  t.match(event, {
    httpMethod: 'POST',
    path: '/echo/42',
    queryString: { tag: ['a', 'b'], single: 'x' },
    queryStringParameters: { single: 'x' },
    pathParameters: { id: '42' },
    headers: { 'x-trace': 't1', 'content-type': 'application/json' },
    body: '{"hello":"world"}',
    isBase64Encoded: false,
    requestContext: { httpMethod: 'POST', path: '/echo/{id}', stage: 'release', sourceIp: '127.0.0.1' },
  });
  t.equal(event.requestContext.requestId, response.headers.get('x-scf-request-id'));
  t.match(event.requestContext.serviceId, /^service-/);
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
