import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createApp } from '../../gateway/app.ts';
import { startTestGateway, type InvokeResponse } from '../helpers/gateway.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/node/${name}`, import.meta.url));

const gateway = await startTestGateway(t, {
  functions: {
    hello: { src: fixture('hello'), runtime: 'Nodejs18.15' },
    gated: { src: fixture('gate'), runtime: 'Nodejs18.15', reservedConcurrency: 10, timeout: 30 },
    other: { src: fixture('hello'), runtime: 'Nodejs18.15', namespace: 'team' },
    broken: { src: fixture('noisy-load-error'), runtime: 'Nodejs18.15' },
  },
});

const SIX_MB = 6 * 1024 * 1024;

t.test('status codes of the invoke API', async (t) => {
  const cases: Array<{ title: string; name: string; body?: string; query?: Record<string, string>; headers?: Record<string, string>; status: number; message?: RegExp }> = [
    { title: 'a JSON event', name: 'hello', body: '{"name":"fngate"}', status: 200 },
    { title: 'an empty body is the event {}', name: 'hello', body: '', status: 200 },
    { title: 'an event that is not JSON', name: 'hello', body: '{"name":', status: 400, message: /not valid JSON/ },
    { title: 'an event over 6 MB', name: 'hello', body: JSON.stringify({ pad: 'x'.repeat(SIX_MB) }), status: 406 },
    { title: 'an unknown function', name: 'nope', body: '{}', status: 435, message: /nope not found/ },
    { title: 'a function of another namespace', name: 'other', body: '{}', status: 435 },
    { title: 'the right namespace', name: 'other', body: '{}', query: { namespace: 'team' }, status: 200 },
    { title: 'an unknown qualifier', name: 'hello', body: '{}', query: { qualifier: '7' }, status: 442 },
    { title: 'an unknown invocation type', name: 'hello', body: '{}', headers: { 'X-Fn-Invocation-Type': 'Sometimes' }, status: 436 },
  ];
  for (const c of cases) {
    const response = await gateway.invoke(c.name, undefined, { body: c.body, qualifier: c.query?.qualifier, namespace: c.query?.namespace, headers: c.headers });
    t.equal(response.status, c.status, `${c.title}: ${response.text.slice(0, 200)}`);
    t.match(response.requestId, /^[0-9a-f-]{36}$/, `${c.title}: X-Scf-Request-Id`);
    if (c.status !== 200) {
      t.equal(response.json.statusCode, c.status, `${c.title}: statusCode in the body`);
      t.equal(response.json.requestId, response.requestId, `${c.title}: requestId in the body`);
      if (c.message) t.match(response.json.errorMessage, c.message, `${c.title}: message`);
    }
  }
});

t.test('the result of a sync invoke is the handler return value as JSON', async (t) => {
  const response = await gateway.invoke('hello', { name: 'tap' });
  t.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
  t.same(response.json, { hello: 'tap' });
});

t.test('200 concurrent invokes with reservedConcurrency 10: 10 run at a time, the rest get 432 at once', async (t) => {
  // Each execution waits at a gate held open by this test: executions cannot end before every
  // throttled answer is in, so the count does not depend on timing.
  let waiting: ServerResponse[] = [];
  let maxAtGate = 0;
  const gate = createServer((_request, response) => {
    waiting.push(response);
    maxAtGate = Math.max(maxAtGate, waiting.length);
  });
  await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
  t.teardown(() => gate.close());
  const gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/`;
  const throttled: InvokeResponse[] = [];
  const answers = Array.from({ length: 200 }, () =>
    gateway.invoke('gated', { gate: gateUrl }).then((response) => {
      if (response.status === 432) throttled.push(response);
      return response;
    }),
  );
  const deadline = Date.now() + 20_000;
  while (throttled.length < 190 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(throttled.length, 190, '190 throttled while 10 execute');
  t.match(throttled[0]!.json.errorMessage, /concurrency limit of 10/);
  t.equal(waiting.length, 10, 'exactly 10 executions are at the gate');
  const instances = (await (await gateway.api(`/functions/gated/instances`)).json()) as { instances: unknown[] };
  t.equal(instances.instances.length, 10, 'ten instances were started');
  for (const response of waiting) response.end('open');
  waiting = [];
  const responses = await Promise.all(answers);
  t.equal(responses.filter((r) => r.status === 200).length, 10, 'the 10 complete');
  t.equal(maxAtGate, 10, 'never more than 10 at once');
});

t.test('a load error is 443 and the output printed while loading is in that request log', async (t) => {
  const response = await gateway.invoke('broken');
  t.equal(response.status, 443, response.text);
  t.match(response.json.errorMessage, /configuration missing/);
  const lines = await gateway.logs('broken', response.requestId!);
  t.ok(lines.some((line) => line.endsWith(' loading configuration')), lines.join('\n'));
  t.ok(lines.includes(`END RequestId: ${response.requestId}`));
});

t.test('the Hono app serves the same invoke API as the listener fast path (embedding via app.fetch)', async (t) => {
  const app = createApp(gateway.services);
  const ok = await app.request('/functions/hello/invoke', { method: 'POST', body: '{"name":"hono"}' });
  t.equal(ok.status, 200);
  t.same(await ok.json(), { hello: 'hono' });
  t.match(ok.headers.get('x-scf-request-id'), /^[0-9a-f-]{36}$/);
  const bad = await app.request('/functions/hello/invoke', { method: 'POST', body: '{' });
  t.equal(bad.status, 400);
  t.equal(bad.headers.get('x-scf-error-type'), 'InvalidRequestContent');
  const missing = await app.request('/functions/nope/invoke?namespace=team', { method: 'POST', body: '{}' });
  t.equal(missing.status, 435);
});

t.test('management routes', async (t) => {
  const list = (await (await gateway.api(`/functions`)).json()) as { functions: Array<{ name: string }> };
  t.same(list.functions.map((f) => f.name).sort(), ['broken', 'gated', 'hello', 'other']);
  const one = await gateway.api(`/functions/hello`);
  t.equal(one.status, 200);
  t.match(await one.json(), { name: 'hello', runtime: 'Nodejs18.15', memorySize: 128, timeout: 3 });
  t.equal((await gateway.api(`/functions/missing`)).status, 435);
  t.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
  t.equal((await fetch(`${gateway.url}/no/such/route`)).status, 404);
  t.equal((await gateway.api(`/functions/hello/logs?limit=0`)).status, 436);
});
