/**
 * The web route's HTTP exchange on undici's client (gateway/web-exchange.ts): how bodies are framed
 * upstream, chunked and bodiless responses, headers both ways, an upstream connection cut mid-body, and
 * keep-alive reuse of the handed-over connections.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import t from 'tap';
import { AUTH_HEADERS, startTestGateway } from '../helpers/gateway.ts';
import { NEEDS_SANDBOX, request, webFixture } from './helpers.ts';

const gateway = await startTestGateway(t, {
  functions: {
    exch: { src: webFixture('node'), runtime: 'Nodejs18.15', type: 'web', timeout: 30, instanceConcurrency: 10 },
  },
});

const sha256 = (body: Buffer | string): string => createHash('sha256').update(body).digest('hex');

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** ms from sending to each body chunk's arrival. */
  arrivals: number[];
  error?: string;
}

/** One request on a connection of its own; a cut response resolves with what arrived and the error. */
function raw(path: string, options: { method?: string; body?: Buffer | string; chunked?: boolean } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(`${gateway.url}${path}`, { method: options.method ?? 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const arrivals: number[] = [];
      const done = (error?: string): void =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), arrivals, error });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        arrivals.push(performance.now() - started);
      });
      res.on('end', () => done());
      res.on('error', (error) => done(error.message));
      res.on('aborted', () => done('aborted'));
    });
    req.on('error', reject);
    if (options.chunked) {
      // Written in two parts after the head: node:http frames it chunked (no Content-Length).
      req.write(options.body!.slice(0, 10));
      setTimeout(() => req.end(options.body!.slice(10)), 50);
    } else req.end(options.body);
  });
}

t.test('request bodies reach the server whole and framed: small, empty, none, chunked', NEEDS_SANDBOX, async (t) => {
  const small = Buffer.from(JSON.stringify({ name: 'small', pad: 'x'.repeat(3000) }));
  const sized = await raw('/web/exch/echo', { method: 'POST', body: small });
  t.equal(sized.status, 200);
  const echoed = JSON.parse(sized.body.toString());
  t.same(
    { bytes: echoed.bytes, sha256: echoed.sha256, contentLength: echoed.contentLength, transferEncoding: echoed.transferEncoding },
    { bytes: small.length, sha256: sha256(small), contentLength: String(small.length), transferEncoding: null },
  );

  const empty = JSON.parse((await raw('/web/exch/echo', { method: 'POST', body: '' })).body.toString());
  t.same([empty.bytes, empty.contentLength, empty.transferEncoding], [0, '0', null], 'an empty POST says Content-Length: 0');

  const get = JSON.parse((await raw('/web/exch/echo')).body.toString());
  t.same([get.bytes, get.contentLength, get.transferEncoding], [0, null, null], 'a GET has no body framing');

  const large = Buffer.alloc(300 * 1024, 'large-body-');
  const streamed = JSON.parse((await raw('/web/exch/echo', { method: 'PUT', body: large })).body.toString());
  t.same([streamed.bytes, streamed.sha256, streamed.contentLength], [large.length, sha256(large), String(large.length)], 'a larger body streams with its length');

  const parts = Buffer.from('chunked body in two parts');
  const chunked = JSON.parse((await raw('/web/exch/echo', { method: 'POST', body: parts, chunked: true })).body.toString());
  t.same([chunked.bytes, chunked.sha256], [parts.length, sha256(parts)], 'a chunked body arrives whole');
  // Still arriving when the exchange starts: chunked upstream too; already all there (a loaded machine
  // that started the exchange late): sent with its length. Either is the same message.
  t.ok(
    chunked.transferEncoding === 'chunked' ? chunked.contentLength === null : chunked.contentLength === String(parts.length),
    `framed as ${chunked.transferEncoding ?? `Content-Length ${chunked.contentLength}`}`,
  );
});

t.test('a chunked response streams part by part, with the end-to-end headers only', NEEDS_SANDBOX, async (t) => {
  const GAP_MS = 600;
  const response = await raw(`/web/exch/chunks?n=3&ms=${GAP_MS}`);
  t.equal(response.status, 200);
  t.equal(response.body.toString(), 'part 0;part 1;part 2;');
  t.equal(response.headers['transfer-encoding'], 'chunked');
  // The first part left before the server wrote the last: it was not held until the end.
  t.ok(response.arrivals.at(-1)! - response.arrivals[0]! > GAP_MS, `parts arrived at ${response.arrivals.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  t.same(response.headers['set-cookie'], ['a=1', 'b=2'], 'both Set-Cookie headers, in order');
  t.equal(response.headers['x-private'], undefined, 'the header named by Connection is dropped');
  t.match(response.headers['x-scf-request-id'], /^[0-9a-f-]{36}$/);
});

t.test('HEAD, 204 and 304 answers pass without a body', NEEDS_SANDBOX, async (t) => {
  const head = await raw('/web/exch/status?code=200', { method: 'HEAD' });
  t.same([head.status, head.headers['content-length'], head.body.length], [200, '5', 0], 'HEAD: the length of the body it would have');
  const get = await raw('/web/exch/status?code=200');
  t.equal(get.body.toString(), 'hello');
  for (const code of [204, 304]) {
    const answer = await raw(`/web/exch/status?code=${code}`);
    t.same([answer.status, answer.headers['x-status'], answer.body.length, answer.error], [code, String(code), 0, undefined], `${code}`);
  }
});

t.test('a server that cuts its connection mid-body: the client is cut, the gateway and the instance serve on', NEEDS_SANDBOX, async (t) => {
  const before = await request(gateway.url, '/web/exch/who');
  const cut = await raw('/web/exch/cut');
  t.equal(cut.status, 200, 'the head had gone out');
  t.ok(cut.body.length < 1000, `the client got ${cut.body.length} of the 1000 bytes promised`);
  t.ok(cut.error, `and a cut connection (${cut.error})`);
  const after = await request(gateway.url, '/web/exch/who');
  t.equal(after.status, 200, after.text);
  t.equal(after.json.pid, before.json.pid, 'the same server: its process lives, the instance was kept');
  const instances = (await request(gateway.url, '/functions/exch/instances', { headers: { ...AUTH_HEADERS } })).json.instances;
  t.equal(instances.length, 1);
});

t.test('requests one after another reuse one upstream connection', NEEDS_SANDBOX, async (t) => {
  const peers: string[] = [];
  for (let i = 0; i < 5; i++) peers.push(JSON.parse((await raw('/web/exch/echo', { method: 'POST', body: `n${i}` })).body.toString()).peer);
  t.equal(new Set(peers).size, 1, `one connection carried them: ${peers.join(' ')}`);
});
