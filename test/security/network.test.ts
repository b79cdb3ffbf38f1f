// Sandboxes' network (issue 9 §2) through the real gateway: a Python function and a web function reach a
// TCP and a UDP server this test runs on the host's loopback (at host.fngate.internal / 10.0.2.2) and
// resolve a name through the sandbox's resolver (10.0.2.3 → pasta → a tiny DNS responder of this test,
// configured as the gateway's `sandboxNetwork.dns`); with `hostLoopback: false` none of that reaches the
// host; no function reaches the gateway itself; pasta ends with its instance.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { requireTool } from '../helpers/toolchain.ts';
import { descendantsMentioning, isRunning, waitFor } from './helpers.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/security/${name}`, import.meta.url));
/** The name the test's DNS responder answers, and with what. */
const TEST_NAME = 'db.fngate-test.example';
const TEST_ADDRESS = '192.0.2.77';

/** A web function (Node server) that runs the same probes as the Python fixture, over HTTP. */
function webProbe(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fngate-netweb-'));
  // The sandbox's user reads the code as "others".
  chmodSync(dir, 0o755);
  const server = `
const http = require('http'), net = require('net'), dgram = require('dgram'), dns = require('dns'), fs = require('fs');
const ops = {
  connect: (e) => new Promise((done) => {
    const s = net.connect({ host: e.host, port: e.port, timeout: 2000 });
    s.once('connect', () => s.write('ping'));
    s.once('data', (d) => { done({ reply: String(d) }); s.destroy(); });
    s.once('timeout', () => { done({ error: 'timeout' }); s.destroy(); });
    s.once('error', (err) => done({ error: err.code || err.message }));
  }),
  udp: (e) => new Promise((done) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => { done({ error: 'timeout' }); s.close(); }, 2000);
    s.once('message', (m) => { clearTimeout(timer); done({ reply: String(m) }); s.close(); });
    s.send('ping', e.port, e.host);
  }),
  resolve: (e) => new Promise((done) => dns.lookup(e.name, { family: 4, all: true }, (err, list) =>
    done(err ? { error: err.code } : { addresses: list.map((a) => a.address).sort() }))),
  cat: (e) => ({ text: fs.readFileSync(e.path, 'utf8') }),
};
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', async () => {
    const event = JSON.parse(body || '{}');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(await ops[event.op](event)));
  });
}).listen(9000, '0.0.0.0');
`;
  writeFileSync(join(dir, 'server.js'), server);
  writeFileSync(join(dir, 'scf_bootstrap'), '#!/bin/sh\nexec node server.js\n', { mode: 0o755 });
  return dir;
}

/** A DNS responder for one name (A record), on a loopback address of its own at port 53. */
async function dnsResponder(t: Test): Promise<string> {
  const address = `127.53.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
  const socket: UdpSocket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    // Header (12 bytes), then the question: labels up to a zero byte, type and class (4 bytes).
    let end = 12;
    while (query[end] !== 0 && end < query.length) end += query[end]! + 1;
    const question = query.subarray(12, end + 5);
    const labels: string[] = [];
    for (let i = 12; i < end; i += query[i]! + 1) labels.push(query.subarray(i + 1, i + 1 + query[i]!).toString());
    const known = labels.join('.').toLowerCase() === TEST_NAME && question.readUInt16BE(question.length - 4) === 1;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(known ? 0x8180 : 0x8183, 2); // response, recursion available; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(known ? 1 : 0, 6);
    const answer = known
      ? Buffer.concat([Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]), Buffer.from(TEST_ADDRESS.split('.').map(Number))])
      : Buffer.alloc(0);
    socket.send(Buffer.concat([header, question, answer]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(53, address, resolve));
  t.teardown(() => socket.close());
  return address;
}

async function hostServers(t: Test): Promise<{ tcp: number; udp: number }> {
  const tcp = createServer((socket) => socket.once('data', () => socket.end('pong')));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  t.teardown(() => tcp.close());
  const udp = createSocket('udp4');
  udp.on('message', (_message, peer) => udp.send('pong', peer.port, peer.address));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  t.teardown(() => udp.close());
  return { tcp: (tcp.address() as AddressInfo).port, udp: udp.address().port };
}

/** The pasta processes of this test's gateways (pasta's command line names the pid file it writes). */
/** This process's pastas (its gateways' instances'): other test files run sandboxes of their own meanwhile. */
const pastas = (): number[] => descendantsMentioning(process.pid, '--config-net').filter(isRunning);
/** Every pasta seen running for this file's instances: each must end, also one its parent no longer holds. */
const seenPastas = new Set<number>();

if (requireTool(t, 'python3', 'python3') && requireTool(t, 'pasta', 'passt') && requireTool(t, 'bwrap', 'bubblewrap')) {
  const webDir = webProbe();
  t.teardown(() => rmSync(webDir, { recursive: true, force: true }));
  const functions = {
    python: { src: fixture('hostile'), runtime: 'Python3.9', timeout: 10 },
    web: { src: webDir, runtime: 'Nodejs18.15', type: 'web', timeout: 10 },
  };
  const probe = async (gateway: TestGateway, name: string, event: Record<string, unknown>): Promise<any> => {
    const response =
      name === 'web'
        ? await fetch(`${gateway.url}/web/web/`, { method: 'POST', body: JSON.stringify(event) }).then(async (r) => ({ status: r.status, text: await r.text() }))
        : await gateway.invoke(name, event);
    t.equal(response.status, 200, `${name} ran: ${response.text}`);
    return JSON.parse(response.text);
  };

  t.test('with the host loopback mapped (the default)', async (t) => {
    const dns = await dnsResponder(t);
    const ports = await hostServers(t);
    const gateway = await startTestGateway(t, { gateway: { sandboxNetwork: { dns: [dns] } }, functions });
    for (const name of ['python', 'web']) {
      t.same(await probe(gateway, name, { op: 'connect', host: 'host.fngate.internal', port: ports.tcp }), { reply: 'pong' }, `${name}: TCP to the host's loopback`);
      t.same(await probe(gateway, name, { op: 'connect', host: '10.0.2.2', port: ports.tcp }), { reply: 'pong' }, `${name}: …also by address`);
      t.same(await probe(gateway, name, { op: 'udp', host: '10.0.2.2', port: ports.udp }), { reply: 'pong' }, `${name}: UDP to the host's loopback`);
      t.match(await probe(gateway, name, { op: 'connect', host: '127.0.0.1', port: ports.tcp }), { error: /refused|ECONNREFUSED/i }, `${name}: its own 127.0.0.1 is not the host's`);
      t.match(await probe(gateway, name, { op: 'cat', path: '/etc/resolv.conf' }), { text: /^nameserver 10\.0\.2\.3$/m }, `${name}: resolv.conf names pasta's resolver`);
      t.same(await probe(gateway, name, { op: 'resolve', name: TEST_NAME }), { addresses: [TEST_ADDRESS] }, `${name}: a name resolves through the configured DNS`);
    }
    const gatewayPort = new URL(gateway.url).port;
    for (const path of ['/functions', '/healthz', '/functions/python/invoke']) {
      const seen = await probe(gateway, 'python', { op: 'http', url: `http://host.fngate.internal:${gatewayPort}${path}` });
      t.match(seen, { error: /reset|refused|closed|RemoteDisconnected|BadStatusLine/i }, `${path}: the connection to the gateway fails (${JSON.stringify(seen)})`);
    }
    const web = await probe(gateway, 'web', { op: 'connect', host: '10.0.2.2', port: Number(gatewayPort) });
    t.notOk(web.reply, `the web function gets nothing from the gateway either (${JSON.stringify(web)})`);
    for (const pid of pastas()) seenPastas.add(pid);
    t.ok(seenPastas.size > 0, 'pasta runs for the live instances');
  });

  t.test('with hostLoopback: false the host is out of reach; name resolution still works', async (t) => {
    const dns = await dnsResponder(t);
    const ports = await hostServers(t);
    const gateway = await startTestGateway(t, { gateway: { sandboxNetwork: { hostLoopback: false, dns: [dns] } }, functions });
    for (const name of ['python', 'web']) {
      t.notOk((await probe(gateway, name, { op: 'connect', host: '10.0.2.2', port: ports.tcp })).reply, `${name}: no TCP to the host's loopback`);
      t.notOk((await probe(gateway, name, { op: 'udp', host: '10.0.2.2', port: ports.udp })).reply, `${name}: no UDP to the host's loopback`);
      t.ok((await probe(gateway, name, { op: 'resolve', name: 'host.fngate.internal' })).error, `${name}: host.fngate.internal is not defined`);
      t.same(await probe(gateway, name, { op: 'resolve', name: TEST_NAME }), { addresses: [TEST_ADDRESS] }, `${name}: DNS still works`);
    }
  });

  t.test('no pasta is left once the gateways and their instances ended', async (t) => {
    // Both gateways above closed in their teardowns (tap runs them before the next subtest).
    const left = (): number[] => [...seenPastas, ...pastas()].filter(isRunning);
    t.ok(await waitFor(() => left().length === 0, 10_000), `no pasta runs (${left().join(', ')})`);
  });
}
