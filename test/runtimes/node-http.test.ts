// http and https in Node.js isolates, through the real gateway against servers this test starts. The
// expected value of every case is what real Node returns running the same handler
// (test/fixtures/node/http) in this process. Then the measurement behind bridging per request
// (runtimes/node/builtins/http/host.ts), and pending-work semantics of requests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { requireTool } from '../helpers/toolchain.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/node/${name}/`, import.meta.url));
const require = createRequire(import.meta.url);
type Handler = (event: Record<string, unknown>) => Promise<unknown>;
const realNode = require(`${fixture('http')}index.js`) as { main_handler: Handler };
/** The folder holding the project's node_modules (after the worktree's symlink): a layer for functions
 * that use npm packages (http-parser-js for the measurement). */
const PACKAGES_LAYER = dirname(realpathSync(fileURLToPath(new URL('../../node_modules', import.meta.url))));

function pattern(size: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 31) & 255;
  return body;
}
const BIG = pattern(20 * 1024 * 1024);

const routes: http.RequestListener = (req, res) => {
  const url = new URL(req.url!, 'http://x');
  if (url.pathname === '/json') {
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.setHeader('X-Dup', ['1', '2']);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ hello: 'world', method: req.method, remotePort: url.searchParams.has('port') ? req.socket.remotePort : undefined }));
  } else if (url.pathname === '/echo') {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, body })));
  } else if (url.pathname === '/redirect') {
    res.writeHead(302, { Location: '/json' }).end();
  } else if (url.pathname === '/slow') {
    const timer = setTimeout(() => res.end('late'), 2000);
    res.on('close', () => clearTimeout(timer));
  } else if (url.pathname === '/big') {
    const size = Number(url.searchParams.get('size') ?? BIG.length);
    res.setHeader('Content-Length', size);
    res.end(BIG.subarray(0, size));
  } else if (url.pathname === '/gzip') {
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Encoding', 'gzip');
    res.end(gzipSync(JSON.stringify({ zipped: true })));
  } else if (url.pathname === '/small') {
    res.end('hello');
  } else if (url.pathname === '/sink') {
    let total = 0;
    req.on('data', (chunk: Buffer) => (total += chunk.length));
    req.on('end', () => res.end(String(total)));
  } else {
    res.writeHead(404).end('not here');
  }
};

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

const httpPort = await listen(http.createServer(routes));
const closedPort = await (async () => {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
})();

const gateway = await startTestGateway(t, {
  functions: {
    http: { src: fixture('http'), runtime: 'Nodejs18.15', timeout: 30, memorySize: 256 },
    measure: { src: fixture('http-measure'), runtime: 'Nodejs18.15', timeout: 60, memorySize: 256, layers: [{ name: 'packages', version: 1 }] },
    clients: { src: fixture('http-clients'), runtime: 'Nodejs18.15', timeout: 30, memorySize: 256, layers: [{ name: 'packages', version: 1 }] },
    flood: { src: fixture('http-pending'), runtime: 'Nodejs18.15', timeout: 60, memorySize: 256 },
    pending: { src: fixture('http-pending'), runtime: 'Nodejs18.15', timeout: 3, memorySize: 256 },
  },
  layers: { packages: { 1: PACKAGES_LAYER } },
});

async function both(event: Record<string, unknown>, name = 'http', handler = realNode.main_handler): Promise<[unknown, unknown]> {
  const [ours, node] = await Promise.all([gateway.invoke(name, event), handler(event)]);
  if (ours.status !== 200) throw new Error(`the function failed: ${ours.text}`);
  return [ours.json, JSON.parse(JSON.stringify(node))];
}

t.test('http client requests behave as in Node', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['GET: events in order, status, headers, body', { case: 'get', port: httpPort }],
    ['POST with end(body), PUT with write() and end(), a URL with credentials', { case: 'post', port: httpPort }],
    ['404, 302 (not followed), HEAD', { case: 'statuses', port: httpPort }],
    ['ECONNREFUSED', { case: 'refused', port: closedPort }],
    ['setTimeout, then destroy in the timeout: socket hang up', { case: 'timeout', port: httpPort }],
    ['destroyed right after end()', { case: 'abortEarly', port: httpPort }],
    ['20 MB streamed download with pauses', { case: 'download', port: httpPort, size: BIG.length }],
    ['4 MB streamed upload with backpressure', { case: 'upload', port: httpPort }],
    ['keep-alive agent: the second request reuses the socket', { case: 'keepAlive', port: httpPort }],
    ['STATUS_CODES, METHODS, header validation, globalAgent', { case: 'constants' }],
  ];
  for (const [title, event] of cases) {
    const [ours, node] = await both(event);
    t.same(ours, node, title);
  }
});

if (requireTool(t, 'openssl', 'openssl')) {
  const dir = mkdtempSync(join(tmpdir(), 'fngate-https-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const httpsPort = await listen(https.createServer({ key, cert }, routes));

  t.test('https requests behave as in Node: trusted by ca, refused without, tolerated with rejectUnauthorized false', async (t) => {
    const [ours, node] = await both({ case: 'https', port: httpsPort, ca: cert });
    t.same(ours, node);
    t.equal((ours as Array<{ status: number }>)[0].status, 200, 'the trusted request succeeded');
  });
}

t.test('a finished request is no pending work; one in flight is, as in Node', async (t) => {
  const started = Date.now();
  const done = await gateway.invoke('pending', { case: 'keepAlive', port: httpPort });
  t.equal(done.status, 200, `a keep-alive connection left idle does not hold the invocation: ${done.text}`);
  t.ok(Date.now() - started < 2500, 'it answered before the 3 s timeout');
  const at = Date.now();
  const inFlight = await gateway.invoke('pending', { case: 'inFlight', port: httpPort });
  t.equal(inFlight.status, 200, inFlight.text);
  t.ok(Date.now() - at >= 1900, `after the callback the invocation waited for the slow response (${Date.now() - at} ms)`);
});

t.test('at most 1000 requests in flight per instance: the next fails with EMFILE; a socket path names no host socket (ENOENT)', async (t) => {
  const response = await gateway.invoke('flood', { case: 'many', port: httpPort, count: 1001 });
  t.equal(response.status, 200, response.text);
  t.same(response.json, { ok: 1000, codes: { EMFILE: 1 }, socketPath: 'ENOENT' });
});

t.test('measurement: requests bridged to the host vs HTTP parsed in the isolate on a bridged socket', async (t) => {
  const run = async (way: string, path: string, count: number) => {
    const response = await gateway.invoke('measure', { way, port: httpPort, path, count });
    t.equal(response.status, 200, response.text);
    return response.json as { ms: number; bytes: number; perSecond: number };
  };
  const small = { bridged: await run('bridged', '/small', 100), sockets: await run('sockets', '/small', 100) };
  t.equal(small.bridged.bytes, small.sockets.bytes, 'both read every small body');
  const big = { bridged: await run('bridged', '/big', 1), sockets: await run('sockets', '/big', 1) };
  t.equal(big.bridged.bytes, BIG.length, 'bridged: the whole 20 MB');
  t.equal(big.sockets.bytes, BIG.length, 'in the isolate: the whole 20 MB');
  t.comment(`small GETs/s: bridged ${small.bridged.perSecond}, parsed in the isolate ${small.sockets.perSecond}; 20 MB: bridged ${big.bridged.ms} ms, parsed in the isolate ${big.sockets.ms} ms`);
});

t.test('axios and node-fetch@2 from npm work unchanged, as in real Node', async (t) => {
  const clients = require(`${fixture('http-clients')}index.js`) as { main_handler: Handler };
  const base = `http://127.0.0.1:${httpPort}`;
  for (const library of ['axios', 'fetch']) {
    const [ours, node] = await both({ case: library, base }, 'clients', clients.main_handler);
    t.same(ours, node, library);
  }
});
