/**
 * The custom runtime's HTTP Runtime API (SPEC §3) on its own: a RuntimeApiServer bound to a
 * RuntimeApiSession, driven by a plain HTTP client the way bootstraps drive it.
 */
import { request as httpRequest } from 'node:http';
import t, { type Test } from 'tap';
import { FnError } from '../../gateway/errors.ts';
import { RUNTIME_API_PATHS, RuntimeApiServer, errorData } from '../../runtimes/custom/runtime-api-server.ts';
import { RuntimeApiSession, type Invocation } from '../../runtimes/subprocess/runtime-api.ts';

interface Reply {
  status: number;
  body: string;
  /** Header names exactly as sent, lowercase or not. */
  rawHeaders: Record<string, string>;
}

type Call = (method: string, path: string, body?: string, headers?: Record<string, string>) => Promise<Reply>;

async function setUp(t: Test): Promise<{ session: RuntimeApiSession; server: RuntimeApiServer; call: Call }> {
  const session = new RuntimeApiSession();
  const server = await RuntimeApiServer.start({ memoryMb: 256, timeoutMs: 3000 });
  server.connect(session, { onFatal: () => {}, onProtocolError: () => {} });
  t.teardown(() => server.close());
  const call: Call = (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port: server.port, method, path, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const rawHeaders: Record<string, string> = {};
          for (let i = 0; i < response.rawHeaders.length; i += 2) rawHeaders[response.rawHeaders[i]!] = response.rawHeaders[i + 1]!;
          resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString('utf8'), rawHeaders });
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  return { session, server, call };
}

const invocation = (requestId: string, payload = '{"key":"välue"}'): Invocation => ({
  requestId,
  payload,
  deadline: Date.now() + 3000,
  context: {},
});

/** How long the simulated bootstrap initialises before it posts ready. */
const INIT_DELAY_MS = 120;

/** A curl-style form post: what `curl -d "$RESPONSE"` sends. */
const form = { 'content-type': 'application/x-www-form-urlencoded' };

t.test('ready: the first counts, repeats answer 200 and change nothing', async (t) => {
  const setUpAt = performance.now();
  const { session, call } = await setUp(t);
  t.equal(session.state, 'initializing');
  // The bootstrap's own initialisation takes a while before it says ready; initFunctionMs must show it.
  await new Promise((resolve) => setTimeout(resolve, INIT_DELAY_MS));
  const first = await call('POST', RUNTIME_API_PATHS.ready, ' ', form);
  const readyAt = performance.now();
  t.equal(first.status, 200);
  t.equal(first.body, '', 'an empty body: curl prints it into the log');
  const timings = await session.whenReady();
  t.ok(timings.initFunctionMs! >= INIT_DELAY_MS - 1, `initFunctionMs ${timings.initFunctionMs} covers the ${INIT_DELAY_MS} ms before ready`);
  t.ok(timings.initFunctionMs! <= readyAt - setUpAt, `initFunctionMs ${timings.initFunctionMs} is no longer than the time since the server started`);
  t.equal((await call('POST', RUNTIME_API_PATHS.ready, ' ', form)).status, 200);
  t.equal(session.state, 'idle');
});

t.test('next long-polls until an event, with the SCF headers exactly as named', async (t) => {
  const { session, call } = await setUp(t);
  await call('POST', RUNTIME_API_PATHS.ready);
  const polled = call('GET', RUNTIME_API_PATHS.next);
  // Nothing is answered while no invocation exists (well past any default keep-alive or header timeout here).
  const early = await Promise.race([polled.then(() => 'answered'), new Promise((resolve) => setTimeout(resolve, 300, 'waiting'))]);
  t.equal(early, 'waiting');
  const result = session.invoke(invocation('req-1'));
  const reply = await polled;
  t.equal(reply.status, 200);
  t.equal(reply.body, '{"key":"välue"}');
  t.equal(reply.rawHeaders.request_id, 'req-1');
  t.equal(reply.rawHeaders.memory_limit_in_mb, '256');
  t.equal(reply.rawHeaders.time_limit_in_ms, '3000');
  t.match(reply.rawHeaders['content-type'], /application\/json/);
  t.equal((await call('POST', RUNTIME_API_PATHS.response, '{"ok":true}', form)).status, 200);
  t.equal(await result, '{"ok":true}');
});

t.test('a repeated next within one invocation returns the same event; concurrent polls all get it', async (t) => {
  const { session, call } = await setUp(t);
  const polls = [call('GET', RUNTIME_API_PATHS.next), call('GET', RUNTIME_API_PATHS.next)];
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(session.state, 'idle', 'polling for work implies ready');
  const result = session.invoke(invocation('req-2'));
  const [a, b] = await Promise.all(polls);
  t.equal(a!.rawHeaders.request_id, 'req-2');
  t.equal(b!.rawHeaders.request_id, 'req-2');
  const again = await call('GET', RUNTIME_API_PATHS.next);
  t.equal(again.rawHeaders.request_id, 'req-2');
  t.equal(again.body, a!.body);
  await call('POST', RUNTIME_API_PATHS.response, 'ok');
  await result;
  // The next poll waits for the next invocation.
  const later = call('GET', RUNTIME_API_PATHS.next);
  const second = session.invoke(invocation('req-3', '[1]'));
  t.equal((await later).rawHeaders.request_id, 'req-3');
  await call('POST', RUNTIME_API_PATHS.response, '2');
  t.equal(await second, '2');
});

t.test('the first response or error is final; later posts are 400 and change nothing', async (t) => {
  const { session, call } = await setUp(t);
  await call('POST', RUNTIME_API_PATHS.ready);
  const result = session.invoke(invocation('req-4'));
  await call('GET', RUNTIME_API_PATHS.next);
  t.equal((await call('POST', RUNTIME_API_PATHS.response, '"first"')).status, 200);
  for (const path of [RUNTIME_API_PATHS.response, RUNTIME_API_PATHS.error]) {
    const late = await call('POST', path, '"second"');
    t.equal(late.status, 400, path);
    t.match(JSON.parse(late.body), { errorMessage: /already answered/ });
  }
  t.equal(await result, '"first"');

  const failed = session.invoke(invocation('req-5')).then(() => undefined, (e: FnError) => e);
  await call('GET', RUNTIME_API_PATHS.next);
  t.equal((await call('POST', RUNTIME_API_PATHS.error, 'parse event error', form)).status, 200);
  t.equal((await call('POST', RUNTIME_API_PATHS.response, '"too late"')).status, 400);
  const error = await failed;
  t.equal(error?.code, 'USER_CODE_EXCEPTION');
  t.equal(error?.status, 430);
  t.equal(error?.message, 'parse event error', 'the body is the message');
  t.equal(error?.stackTrace, 'parse event error');
});

t.test('a response with no invocation in flight is 400', async (t) => {
  const { call } = await setUp(t);
  t.equal((await call('POST', RUNTIME_API_PATHS.response, '{}')).status, 400);
  t.equal((await call('POST', RUNTIME_API_PATHS.error, 'x')).status, 400);
});

t.test('bodies are taken raw: JSON passes as is, anything else becomes a JSON string', async (t) => {
  const { session, call } = await setUp(t);
  await call('POST', RUNTIME_API_PATHS.ready);
  const cases: Array<[string, string]> = [
    ['{"a": [1, 2]}', '{"a": [1, 2]}'],
    ["Echoing request: '{\"key1\":\"value1\"}'", JSON.stringify("Echoing request: '{\"key1\":\"value1\"}'")],
    ['a=1&b=two+words', '"a=1&b=two+words"'],
    ['', '""'],
    [' ', '" "'],
    ['42', '42'],
    ['héllo 🚀', '"héllo 🚀"'],
  ];
  for (const [body, expected] of cases) {
    const result = session.invoke(invocation(`req-${expected.length}`));
    await call('GET', RUNTIME_API_PATHS.next);
    await call('POST', RUNTIME_API_PATHS.response, body, form);
    t.equal(await result, expected, JSON.stringify(body));
  }
});

t.test('a JSON error document keeps its type and trace', async (t) => {
  t.same(errorData('{"errorMessage":"boom","errorType":"ValueError","stackTrace":["at a","at b"]}'), {
    message: 'boom',
    errorType: 'ValueError',
    stackTrace: 'at a\nat b',
  });
  t.same(errorData('{"errorMessage":"boom","stackTrace":"trace"}'), { message: 'boom', errorType: undefined, stackTrace: 'trace' });
  t.same(errorData('{"other":1}'), { message: '{"other":1}', stackTrace: '{"other":1}' });
  t.same(errorData(''), { message: 'the function reported an error without a message', stackTrace: '' });
});

t.test('init/error fails the start with 443', async (t) => {
  const { session, call } = await setUp(t);
  t.equal((await call('POST', RUNTIME_API_PATHS.initError, 'config missing')).status, 200);
  const error = await session.whenReady().then(() => undefined, (e: FnError) => e);
  t.equal(error?.code, 'USER_CODE_LOAD_ERROR');
  t.equal(error?.message, 'config missing');
  t.equal((await call('POST', RUNTIME_API_PATHS.initError, 'again')).status, 400);
});

t.test('unknown paths are 404, wrong methods 405', async (t) => {
  const { call } = await setUp(t);
  t.equal((await call('GET', '/runtime/nothing')).status, 404);
  const wrong = await call('POST', RUNTIME_API_PATHS.next);
  t.equal(wrong.status, 405);
  t.equal(wrong.rawHeaders.allow ?? wrong.rawHeaders.Allow, 'GET');
  t.equal((await call('GET', RUNTIME_API_PATHS.ready)).status, 405);
});

t.test('a poll open when the session ends is answered 410; close cuts open polls', async (t) => {
  const { session, server, call } = await setUp(t);
  const poll = call('GET', RUNTIME_API_PATHS.next);
  await new Promise((resolve) => setTimeout(resolve, 50));
  session.terminate(new FnError('CANCELLED', 'closed'));
  t.equal((await poll).status, 410);
  const hanging = call('GET', RUNTIME_API_PATHS.next);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const closedAt = performance.now();
  await server.close();
  t.ok(performance.now() - closedAt < 500, 'close does not wait for the poll');
  // Already terminated: answered 410 at once, or cut by close.
  await hanging.then(
    (reply) => t.equal(reply.status, 410),
    (error: Error) => t.match(error.message, /socket hang up|ECONNRESET/),
  );
});
