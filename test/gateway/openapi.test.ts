// GET /openapi.json from the real gateway: OpenAPI 3.1, every REST route of the Hono app described, every
// example valid against its schema (ajv, JSON Schema 2020-12), and documented examples sent to the gateway
// answer with the documented status and shape.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import t, { type Test } from 'tap';
import { createApp } from '../../gateway/app.ts';
import { apigwRoutes } from '../../gateway/routes/apigw.ts';
import { AUTH_HEADERS, startTestGateway } from '../helpers/gateway.ts';
import { nodeHandler, zipOf } from '../helpers/lifecycle.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const packageVersion = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string }).version;
const TAGS = ['invoke', 'functions', 'lifecycle', 'namespaces', 'layers', 'async', 'dead-letters', 'topics', 'tencentcloud-api', 'health'];
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

type Json = any;

const gateway = await startTestGateway(t, {
  functions: {
    hello: {
      src: `${root}/examples/hello`,
      handler: 'index.main_handler',
      runtime: 'Nodejs18.15',
      events: [
        { apigw: { parameters: { endpoints: [{ path: '/user-route/{id}', method: 'GET', function: { isIntegratedResponse: false } }] } } },
        { cmq: { parameters: { name: 'orders' } } },
      ],
    },
  },
});
const response = await fetch(`${gateway.url}/openapi.json`);
const doc: Json = await response.json();

/** JSON Schema 2020-12 with the document's components as $defs (OpenAPI 3.1 schemas are 2020-12). */
const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addVocabulary(['example']); // an OpenAPI annotation keyword
ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
const withDefs = (schema: Json): Json =>
  JSON.parse(JSON.stringify({ ...schema, $defs: doc.components?.schemas ?? {} }).replaceAll('"#/components/schemas/', '"#/$defs/'));
function validate(schema: Json, value: unknown): string | undefined {
  const check = ajv.compile(withDefs(schema));
  return check(value) ? undefined : ajv.errorsText(check.errors);
}

/** [path, method, operation] of every described operation. */
const operations: Array<[string, string, Json]> = Object.entries(doc.paths).flatMap(([path, item]: [string, Json]) =>
  METHODS.filter((method) => item[method]).map((method): [string, string, Json] => [path, method, item[method]]),
);
const operation = (path: string, method: string): Json => doc.paths[path]?.[method];

t.test('the document is OpenAPI 3.1 with the package version and the tags', async (t) => {
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /application\/json/);
  t.match(doc.openapi, /^3\.1\.\d+$/);
  t.equal(doc.info.version, packageVersion);
  t.same(doc.tags.map((tag: Json) => tag.name), TAGS);
  const ids = operations.map(([, , op]) => op.operationId);
  t.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  for (const [path, method, op] of operations) {
    t.ok(op.operationId, `${method} ${path} has an operation id`);
    t.ok(op.tags?.length === 1 && TAGS.includes(op.tags[0]), `${method} ${path} has one known tag`);
    t.ok(Object.keys(op.responses).length > 0, `${method} ${path} documents its responses`);
  }
});

t.test('every route of the Hono app is described with its method, and nothing else is', async (t) => {
  const app = createApp(gateway.services);
  // Configured API gateway endpoints are matched by one catch-all route (gateway/triggers/apigw-match.ts).
  const userRoutes = new Set(apigwRoutes(gateway.services).routes.map((route) => `${route.method} ${route.path}`));
  t.ok(userRoutes.has('ALL /*'), 'the configured apigw endpoints sit behind the catch-all user route');
  const userCall = await fetch(`${gateway.url}/user-route/7`);
  t.not(userCall.status, 404, 'and the configured endpoint answers');
  const routes = new Set(
    app.routes
      .filter((route) => !userRoutes.has(`${route.method} ${route.path}`) && route.method !== 'ALL')
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:([^/]+)/g, '{$1}')}`),
  );
  t.ok(routes.size >= 15, `the app has its REST routes (${routes.size})`);
  const described = new Set(operations.map(([path, method]) => `${method} ${path}`));
  for (const route of routes) t.ok(described.has(route), `${route} is described`);
  for (const route of described) t.ok(routes.has(route), `${route} is a route of the app`);
  t.notOk(Object.keys(doc.paths).some((path) => path.startsWith('/user-route')), 'user-configured endpoints are not described');
});

t.test('every example validates against its schema', async (t) => {
  t.ok(validate(doc.components.schemas.ScfError, { errorCode: -1 }), 'the validator rejects an incomplete SCF error');
  t.ok(validate({ type: 'integer', minimum: 1 }, 0), 'and a value under its minimum');
  let checked = 0;
  const walk = (node: Json, where: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${where}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    if ('example' in node) {
      // A parameter, header or media type carries its example beside `schema`; a schema carries its own.
      const schema = 'schema' in node ? node.schema : node;
      const error = validate(schema, node.example);
      t.notOk(error, `${where}: the example is valid${error ? `: ${error}` : ''}`);
      checked++;
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'example') walk(value, `${where}/${key}`);
  };
  walk(doc.paths, '#/paths');
  walk(doc.components, '#/components');
  t.ok(checked > 80, `${checked} examples checked`);

  for (const [path, method, op] of operations) {
    for (const [status, answer] of Object.entries(op.responses) as Array<[string, Json]>) {
      t.ok(answer.content?.['application/json']?.example !== undefined, `${method} ${path} ${status} has an example`);
    }
    for (const parameter of op.parameters ?? []) {
      t.ok(parameter.schema?.example !== undefined || parameter.example !== undefined, `${method} ${path} parameter ${parameter.name} has an example`);
    }
    const body = op.requestBody?.content?.['application/json'];
    if (body) t.ok(body.example !== undefined, `${method} ${path} request body has an example`);
  }
  const invoke = operation('/functions/{name}/invoke', 'post');
  for (const status of ['200', '202', '400', '406', '430', '432', '433', '435', '436', '442', '450']) {
    t.ok(invoke.responses[status], `invoke documents ${status}`);
  }
  t.ok(invoke.parameters.some((p: Json) => p.in === 'header' && p.name === 'X-Fn-Invocation-Type'), 'invoke documents X-Fn-Invocation-Type');
});

/** The example of a parameter as documented. */
function paramExample(op: Json, name: string): string {
  const parameter = op.parameters.find((p: Json) => p.name === name);
  return String(parameter.schema.example ?? parameter.example);
}

/** Sends a request, checks its status is documented for the operation and its body matches that response's schema. */
async function check(t: Test, path: string, method: string, url: string, init: RequestInit, expected: number): Promise<Json> {
  const op = operation(path, method);
  const answer = await fetch(`${gateway.url}${url}`, { method: method.toUpperCase(), ...init, headers: { ...AUTH_HEADERS, ...(init.headers as Record<string, string> | undefined) } });
  const body = await answer.json();
  t.equal(answer.status, expected, `${method} ${url}: ${JSON.stringify(body).slice(0, 200)}`);
  const documented = op.responses[String(answer.status)];
  t.ok(documented, `${answer.status} is documented for ${method} ${path}`);
  const error = documented && validate(documented.content['application/json'].schema, body);
  t.notOk(error, `the ${answer.status} body matches its schema${error ? `: ${error}` : ''}`);
  return body;
}

t.test('documented examples sent to the gateway get the documented status and shape', async (t) => {
  const invoke = operation('/functions/{name}/invoke', 'post');
  const name = paramExample(invoke, 'name');
  const event = JSON.stringify(invoke.requestBody.content['application/json'].example);
  const result = await check(t, '/functions/{name}/invoke', 'post', `/functions/${name}/invoke`, { body: event }, 200);
  t.equal(result.message, 'Hello, fngate!');
  const accepted = await check(t, '/functions/{name}/invoke', 'post', `/functions/${name}/invoke`, { body: event, headers: { 'X-Fn-Invocation-Type': 'Event' } }, 202);
  await check(t, '/functions/{name}/invoke', 'post', '/functions/missing/invoke', { body: event }, 435);
  await check(t, '/functions/{name}/invoke', 'post', `/functions/${name}/invoke`, { body: '{"name":' }, 400);
  await check(t, '/functions/{name}/invoke', 'post', `/functions/${name}/invoke?qualifier=7`, { body: event }, 442);

  await check(t, '/healthz', 'get', '/healthz', {}, 200);
  await check(t, '/functions', 'get', '/functions', {}, 200);
  await check(t, '/functions/{name}', 'get', `/functions/${name}`, {}, 200);
  await check(t, '/functions/{name}/instances', 'get', `/functions/${name}/instances`, {}, 200);
  const logsOp = operation('/functions/{name}/logs', 'get');
  await check(t, '/functions/{name}/logs', 'get', `/functions/${name}/logs?limit=${paramExample(logsOp, 'limit')}`, {}, 200);
  const badLimit = await check(t, '/functions/{name}/logs', 'get', `/functions/${name}/logs?limit=0`, {}, 436);
  t.match(badLimit.errorMessage, /limit/, 'the message names the parameter');

  await check(t, '/async-events/{requestId}', 'get', `/async-events/${accepted.RequestId}`, {}, 200);
  const unknownId = paramExample(operation('/async-events/{requestId}', 'get'), 'requestId');
  await check(t, '/async-events/{requestId}', 'get', `/async-events/${unknownId}`, {}, 404);
  await check(t, '/async-events', 'get', '/async-events?status=bogus', {}, 436);
  await check(t, '/async-queues', 'get', '/async-queues', {}, 200);
  await check(t, '/dead-letters', 'get', '/dead-letters', {}, 436);
  await check(t, '/dead-letters', 'get', `/dead-letters?function=${name}`, {}, 200);

  const publish = operation('/topics/{topic}/messages', 'post');
  const topic = paramExample(publish, 'topic');
  const message = JSON.stringify(publish.requestBody.content['application/json'].example);
  const published = await check(t, '/topics/{topic}/messages', 'post', `/topics/${topic}/messages`, { body: message, headers: { 'content-type': 'application/json' } }, 202);
  t.equal(published.deliveries.length, 1, 'the cmq subscriber got it');
  await check(t, '/topics/{topic}/messages', 'post', `/topics/${topic}/messages`, { body: '{"msgBody":7}' }, 436);
  await check(t, '/topics', 'get', '/topics', {}, 200);
});

t.test('the lifecycle routes answer with their documented status and shape', async (t) => {
  const json = { 'content-type': 'application/json' };
  const zipFile = zipOf(nodeHandler(`'documented'`)).toString('base64');
  const create = { body: JSON.stringify({ name: 'documented', runtime: 'Nodejs18.15', zipFile }), headers: json };
  await check(t, '/functions', 'post', '/functions', create, 201);
  await check(t, '/functions', 'post', '/functions', create, 409);
  await check(t, '/functions/{name}', 'patch', '/functions/documented', { body: JSON.stringify({ memorySize: 100 }), headers: json }, 436);
  await check(t, '/functions/{name}/versions', 'post', '/functions/documented/versions', { body: '{}', headers: json }, 201);
  await check(t, '/functions/{name}/versions', 'get', '/functions/documented/versions', {}, 200);
  await check(t, '/functions/{name}/aliases/{alias}', 'put', '/functions/documented/aliases/prod', { body: JSON.stringify({ version: '1' }), headers: json }, 200);
  await check(t, '/functions/{name}/aliases', 'get', '/functions/documented/aliases', {}, 200);
  await check(t, '/functions/{name}/versions/{version}', 'delete', '/functions/documented/versions/1', {}, 409);
  await check(t, '/functions/{name}/aliases/{alias}', 'delete', '/functions/documented/aliases/prod', {}, 200);
  await check(t, '/namespaces', 'get', '/namespaces', {}, 200);
  await check(t, '/layers/{layer}/versions', 'post', '/layers/docs/versions', { body: JSON.stringify({ zipFile, compatibleRuntimes: ['Nodejs18.15'] }), headers: json }, 201);
  await check(t, '/layers', 'get', '/layers', {}, 200);
  await check(t, '/layers/{layer}/versions/{version}', 'get', '/layers/docs/versions/1', {}, 200);
  await check(t, '/layers/{layer}/versions/{version}', 'get', '/layers/docs/versions/9', {}, 404);
  await check(t, '/functions/{name}', 'delete', '/functions/documented', {}, 200);
});

t.test('the Hono invoke route (the one embedding mounts) validates its header like the fast path', async (t) => {
  const app = createApp(gateway.services);
  const bad = await app.fetch(new Request('http://x/functions/hello/invoke', { method: 'POST', body: '{}', headers: { 'X-Fn-Invocation-Type': 'Sometimes' } }));
  t.equal(bad.status, 436);
  t.match(await bad.json(), { statusCode: 436, errorMessage: /X-Fn-Invocation-Type/i });
  const fast = await fetch(`${gateway.url}/functions/hello/invoke`, { method: 'POST', body: '{}', headers: { 'X-Fn-Invocation-Type': 'Sometimes' } });
  t.equal(fast.status, 436);
  const ok = await app.fetch(new Request('http://x/functions/hello/invoke', { method: 'POST', body: '{"name":"hono"}' }));
  t.equal(ok.status, 200);
  t.match(await ok.json(), { message: 'Hello, hono!' });
});
