// net, tls and dns in Node.js isolates, through the real gateway against servers this test starts. The
// expected value of every case is what real Node returns running the same handler (test/fixtures/node/net)
// in this process. Then what only fngate has: listening refused, the socket cap, pending work and
// callbackWaitsForEmptyEventLoop, sockets reused across invocations and closed with the instance.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { requireTool } from '../helpers/toolchain.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/node/${name}/`, import.meta.url));
const require = createRequire(import.meta.url);
type Handler = (event: Record<string, unknown>) => Promise<unknown>;
const realNode = require(`${fixture('net')}index.js`) as { main_handler: Handler };

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

/** Every connection any server of this test accepted, so the test can tell when they close. */
const accepted = new Set<net.Socket>();
function track(socket: net.Socket): void {
  accepted.add(socket);
  socket.on('close', () => accepted.delete(socket));
  socket.on('error', () => {});
}

const echoPort = await listen(
  net.createServer({ allowHalfOpen: true }, (socket) => {
    track(socket);
    socket.pipe(socket);
  }),
);
// "send N\n": N bytes of a pattern, then end.
const sendPort = await listen(
  net.createServer((socket) => {
    track(socket);
    socket.once('data', (line) => {
      const size = Number(/^send (\d+)/.exec(String(line))![1]);
      const block = Buffer.alloc(256 * 1024);
      for (let i = 0; i < block.length; i++) block[i] = (i * 31) & 255;
      let sent = 0;
      const more = (): void => {
        while (sent < size) {
          const piece = block.subarray(0, Math.min(block.length, size - sent));
          sent += piece.length;
          if (!socket.write(piece)) return void socket.once('drain', more);
        }
        socket.end();
      };
      more();
    });
  }),
);
// Reads everything, answers with the byte count once the client ends.
const sinkPort = await listen(
  net.createServer({ allowHalfOpen: true }, (socket) => {
    track(socket);
    let total = -'sink\n'.length;
    socket.on('data', (chunk) => (total += chunk.length));
    socket.on('end', () => socket.end(`${total}\n`));
  }),
);
/** A port nothing listens on (a server's, closed). */
const closedPort = await (async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
})();

const gateway = await startTestGateway(t, {
  functions: {
    net: { src: fixture('net'), runtime: 'Nodejs18.15', timeout: 30, memorySize: 256 },
    sockets: { src: fixture('net-pending'), runtime: 'Nodejs18.15', timeout: 2, memorySize: 256 },
    unrefed: { src: fixture('net-pending'), runtime: 'Nodejs18.15', timeout: 2, memorySize: 256 },
    listener: { src: fixture('net-pending'), runtime: 'Nodejs18.15', timeout: 2 },
    flood: { src: fixture('net-pending'), runtime: 'Nodejs18.15', timeout: 60, memorySize: 256 },
    hello: { src: fixture('hello'), runtime: 'Nodejs18.15' },
  },
});

/** The function's answer and real Node's answer to `event`. */
async function both(event: Record<string, unknown>): Promise<[unknown, unknown]> {
  const [ours, node] = await Promise.all([gateway.invoke('net', event), realNode.main_handler(event)]);
  if (ours.status !== 200) throw new Error(`the function failed: ${ours.text}`);
  return [ours.json, JSON.parse(JSON.stringify(node))];
}

t.test('TCP client sockets behave as in Node', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['echo: events in order, data, counters', { case: 'echo', port: echoPort }],
    ['connect(options), new Socket().connect, createConnection', { case: 'forms', port: echoPort }],
    ['ECONNREFUSED with errno, syscall, address, port', { case: 'refused', port: closedPort }],
    ['ENOTFOUND for a name that does not resolve', { case: 'notFound' }],
    ['a bad port throws ERR_SOCKET_BAD_PORT', { case: 'badPort' }],
    ['8 MB download with a pausing reader', { case: 'download', port: sendPort, size: 8 * 1024 * 1024 }],
    ['4 MB upload: write() returns false, drain follows', { case: 'upload', port: sinkPort }],
    ['setTimeout on an idle socket', { case: 'timeout', port: echoPort }],
    ['isIP, isIPv4, isIPv6', { case: 'isIP' }],
    ['dns: lookup forms, promises, a resolver error', { case: 'dns', port: closedPort }],
  ];
  for (const [title, event] of cases) {
    const [ours, node] = await both(event);
    t.same(ours, node, title);
  }
});

if (requireTool(t, 'openssl', 'openssl')) {
  const dir = mkdtempSync(join(tmpdir(), 'fngate-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const tlsPort = await listen(
    tls.createServer({ key, cert, ALPNProtocols: ['x-echo'] }, (socket) => {
      track(socket);
      socket.once('data', (data) => socket.end(`pong:${data}`));
    }),
  );
  // Plain until "STARTTLS\n", then TLS over the same connection.
  const starttlsPort = await listen(
    net.createServer((socket) => {
      track(socket);
      socket.once('data', () => {
        socket.write('OK\n');
        const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
        secure.on('error', () => {});
        secure.once('data', (data) => secure.end(`secured:${data}`));
      });
    }),
  );

  t.test('TLS client sockets behave as in Node', async (t) => {
    const [ours, node] = await both({ case: 'tls', port: tlsPort, ca: cert });
    t.same(ours, node, 'trusted by ca, refused without, tolerated with rejectUnauthorized false');
    t.equal((ours as Array<{ authorized: boolean }>)[0].authorized, true, 'the first attempt is authorized');
    const [upgraded, nodeUpgraded] = await both({ case: 'starttls', port: starttlsPort, ca: cert });
    t.same(upgraded, nodeUpgraded, 'STARTTLS: tls.connect({ socket }) over an open connection');
  });
}

/** Connections the echo server holds right now from the given local ports (the function's side). */
function openFrom(port: number): boolean {
  return [...accepted].some((socket) => socket.remotePort === port && !socket.destroyed);
}

async function until(condition: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

t.test('an open socket is pending work, as in Node; everything closes with the instance', async (t) => {
  const before = accepted.size;
  const started = Date.now();
  const waiting = await gateway.invoke('sockets', { case: 'open', port: echoPort, wait: true });
  t.equal(waiting.status, 433, `with callbackWaitsForEmptyEventLoop the open socket keeps the invocation to its timeout: ${waiting.text}`);
  t.ok(Date.now() - started >= 1900, 'it ended at the 2 s timeout');
  t.ok(await until(() => accepted.size === before), 'the timed-out instance closed its socket on the host');

  const quick = Date.now();
  const returned = await gateway.invoke('sockets', { case: 'open', port: echoPort, wait: false });
  t.equal(returned.status, 200, returned.text);
  t.ok(Date.now() - quick < 1500, 'callbackWaitsForEmptyEventLoop = false answers at once');
  t.equal(accepted.size, before + 1, 'and the socket stays open on the warm instance');

  const unrefed = await gateway.invoke('unrefed', { case: 'open', port: echoPort, wait: true, unref: true });
  t.equal(unrefed.status, 200, `an unref()ed socket is not pending work: ${unrefed.text}`);
  const again = await gateway.invoke('sockets', { case: 'open', port: echoPort, wait: true });
  t.equal(again.status, 433, 'the socket left open by an earlier invocation still keeps the loop busy, as on SCF');
});

t.test('a socket opened at module scope is reused by later invocations of the warm instance', async (t) => {
  const first = await gateway.invoke('sockets', { case: 'reuse', port: echoPort, n: 1 });
  const second = await gateway.invoke('sockets', { case: 'reuse', port: echoPort, n: 2 });
  t.equal(first.status, 200, first.text);
  t.match(first.json, { fresh: true, echo: 'ping 1' });
  t.match(second.json, { fresh: false, localPort: first.json.localPort, echo: 'ping 2' }, 'the same connection answers the second time');
  t.ok(openFrom(first.json.localPort), 'the server still holds it between invocations');
});

t.test('listening is refused with a clear error', async (t) => {
  const response = await gateway.invoke('listener', { case: 'listen' });
  t.equal(response.status, 200, response.text);
  for (const refused of response.json) {
    t.equal(refused.code, 'EACCES');
    t.match(refused.message, /a function may not listen/);
  }
});

t.test('at most 1000 open sockets per instance: the next fails with EMFILE; 10,000 connects leave the gateway responsive', async (t) => {
  const capped = await gateway.invoke('flood', { case: 'many', port: echoPort, count: 1001 });
  t.equal(capped.status, 200, capped.text);
  t.same(capped.json.codes, { EMFILE: 1 }, 'the 1,001st socket fails');
  t.equal(capped.json.connected, 1000);
  t.match(capped.json.firstError, { code: 'EMFILE', errno: -24, syscall: 'connect', address: '127.0.0.1', port: echoPort, message: `connect EMFILE 127.0.0.1:${echoPort} - Local (undefined:undefined)` });

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const flood = gateway.invoke('flood', { case: 'many', port: echoPort, count: 10_000 });
  const latencies: number[] = [];
  let floodDone = false;
  void flood.then(() => (floodDone = true));
  while (!floodDone) {
    const at = performance.now();
    const hello = await gateway.invoke('hello', {});
    latencies.push(performance.now() - at);
    t.equal(hello.status, 200, 'another function answers during the flood');
  }
  const flooded = await flood;
  loopDelay.disable();
  t.comment(`gateway event loop during the flood: max delay ${(loopDelay.max / 1e6).toFixed(0)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms; hello median ${latencies.sort((a, b) => a - b)[latencies.length >> 1]!.toFixed(0)} ms`);
  t.equal(flooded.status, 200, flooded.text);
  t.equal(flooded.json.connected + (flooded.json.codes.EMFILE ?? 0), 10_000, 'every connect got an answer');
  t.ok(flooded.json.codes.EMFILE >= 9000, `at least 9,000 clear EMFILE errors (${JSON.stringify(flooded.json.codes)})`);
  t.ok(loopDelay.max / 1e6 < 1000, `the gateway's event loop was never blocked for a second (longest ${(loopDelay.max / 1e6).toFixed(0)} ms; slowest hello ${Math.max(...latencies).toFixed(0)} ms over ${latencies.length} calls)`);
  t.ok(await until(() => accepted.size < 10), 'all the sockets were closed again');
});
