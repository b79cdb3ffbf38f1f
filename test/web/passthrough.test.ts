/**
 * The passthrough hot path with connections handed over by the bridge (runtimes/web/bridge-process.ts):
 * keep-alive reuse under concurrency, and a client that goes away mid-stream gives its slot back.
 */
import http from 'node:http';
import t, { type Test } from 'tap';
import { AUTH_HEADERS, startTestGateway } from '../helpers/gateway.ts';
import { NEEDS_SANDBOX, request, webFixture } from './helpers.ts';

// One instance, one request at a time: a slot that is not given back shows as 432 on the next request.
const gateway = await startTestGateway(t, {
  functions: {
    single: { src: webFixture('node'), runtime: 'Nodejs18.15', type: 'web', timeout: 30, reservedConcurrency: 1, instanceConcurrency: 1 },
    shared: { src: webFixture('node'), runtime: 'Nodejs18.15', type: 'web', timeout: 30, instanceConcurrency: 50 },
  },
});

const instances = async (name: string): Promise<Array<{ id: string }>> =>
  (await request(gateway.url, `/functions/${name}/instances`, { headers: { ...AUTH_HEADERS } })).json.instances;

/** The next request to `single` is answered (not 432) by the same server process within `ms`. */
async function servedAgain(t: Test, pid: number, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  let last = await request(gateway.url, '/web/single/after');
  while (last.status === 432 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await request(gateway.url, '/web/single/after');
  }
  t.equal(last.status, 200, last.text);
  t.equal(last.json.pid, pid, 'the same server served it: the instance was kept');
}

t.test('keep-alive connections from the bridge carry many concurrent requests', NEEDS_SANDBOX, async (t) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const one = (i: number): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${gateway.url}/web/shared/n/${i}?q=${i}`, { method: 'POST', agent, headers: { 'content-type': 'text/plain' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(`body ${i}`);
    });
  for (let round = 0; round < 3; round++) {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => one(round * 40 + i)));
    t.same(answers.map((a) => a.status), answers.map(() => 200), `round ${round}: all 200`);
    t.same(answers.map((a) => a.body.url), answers.map((_, i) => `/n/${round * 40 + i}?q=${round * 40 + i}`), 'each request reached the server with its own path');
  }
  agent.destroy();
  t.equal((await instances('shared')).length, 1, 'one instance served them all');
});

t.test('clients connecting at once while a pasta maps the host loopback are each checked and served', NEEDS_SANDBOX, async (t) => {
  // The gateway asks the kernel's socket table whether each new connection is a sandbox's pasta
  // (runtimes/sandbox/peer.ts), one read for every connection accepted meanwhile: none may be left waiting.
  const one = (i: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${gateway.url}/web/shared/fresh/${i}`, { method: 'GET', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => one(i)));
  t.same(statuses, statuses.map(() => 200), 'every fresh connection was served');
});

t.test('a client that aborts a download mid-stream frees the instance', NEEDS_SANDBOX, async (t) => {
  const warm = await request(gateway.url, '/web/single/warm');
  t.equal(warm.status, 200);
  const pid = warm.json.pid as number;
  const received = await new Promise<number>((resolve, reject) => {
    // 500 MB: far more than the pipes and socket buffers hold, so the server is still writing.
    const req = http.get(`${gateway.url}/web/single/download?mb=500`, { agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > 1024 * 1024) {
          req.destroy();
          resolve(bytes);
        }
      });
    });
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
  });
  t.ok(received > 1024 * 1024, 'the download was streaming when the client left');
  await servedAgain(t, pid);
  const state = await request(gateway.url, '/web/single/download-state');
  t.equal(state.json.finished, false, 'the server stopped writing: its connection was cut too');
});

t.test('a client that aborts an upload mid-stream frees the instance', NEEDS_SANDBOX, async (t) => {
  const pid = (await request(gateway.url, '/web/single/warm')).json.pid as number;
  await new Promise<void>((resolve) => {
    const req = http.request(`${gateway.url}/web/single/upload`, { method: 'POST', agent: false });
    req.on('error', () => undefined);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const pump = (): void => {
      while (sent < 4 * 1024 * 1024) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      // Half way through a chunked body: the client goes away.
      req.destroy();
      resolve();
    };
    pump();
  });
  await servedAgain(t, pid);
});

t.test('a client that goes away in the middle of a small body (collected before sending) frees the instance', NEEDS_SANDBOX, async (t) => {
  const pid = (await request(gateway.url, '/web/single/warm')).json.pid as number;
  await new Promise<void>((resolve) => {
    // 1,000 bytes announced (a body the gateway collects and sends in one write), 10 sent, then gone.
    const req = http.request(`${gateway.url}/web/single/echo`, { method: 'POST', agent: false, headers: { 'content-length': '1000' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(10, 'x'), () =>
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200),
    );
  });
  await servedAgain(t, pid);
});

/** Polls `read` until two reads `ms` apart agree (the writer is held back) or `limitMs` passes. */
async function settledValue(read: () => Promise<number>, ms = 500, limitMs = 10_000): Promise<{ value: number; settled: boolean }> {
  const deadline = performance.now() + limitMs;
  let last = await read();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const next = await read();
    if (next === last) return { value: next, settled: true };
    last = next;
  }
  return { value: last, settled: false };
}

const MB = 1024 * 1024;
/** What the sockets and stream buffers between client and server may hold; a body held in the gateway is all 500 MB. */
const IN_FLIGHT_BOUND = 100 * MB;

t.test('a client that stops reading a download holds the server back: the gateway does not buffer it', NEEDS_SANDBOX, async (t) => {
  const req = http.get(`${gateway.url}/web/shared/download?mb=500`, { agent: false });
  req.on('error', () => undefined);
  const response = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
  t.equal(response.statusCode, 200);
  // The client reads nothing: only backpressure through the gateway stops the server.
  response.pause();
  const written = await settledValue(async () => (await request(gateway.url, '/web/shared/download-state')).json.bytes as number);
  t.ok(written.settled, `the server's writes stopped at ${(written.value / MB).toFixed(1)} MB`);
  t.ok(written.value < IN_FLIGHT_BOUND, `the server wrote ${(written.value / MB).toFixed(1)} MB of 500 before it had to wait`);
  response.resume();
  let received = 0;
  await new Promise<void>((resolve) => {
    response.on('end', resolve);
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > written.value + 10 * MB) {
        req.destroy();
        resolve();
      }
    });
  });
  t.pass('reading again lets the server go on');
});

t.test('a server that does not read an upload holds the client back: the gateway does not buffer it', NEEDS_SANDBOX, async (t) => {
  // /slow answers after 10 s and never reads the body.
  const req = http.request(`${gateway.url}/web/shared/slow?ms=10000`, { method: 'POST', agent: false });
  req.on('error', () => undefined);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  const pump = (): void => {
    while (sent < 500 * MB) {
      sent += chunk.length;
      if (!req.write(chunk)) return void req.once('drain', pump);
    }
  };
  pump();
  const accepted = await settledValue(async () => sent);
  t.ok(accepted.settled, `the client's writes stopped at ${(accepted.value / MB).toFixed(1)} MB`);
  t.ok(accepted.value < IN_FLIGHT_BOUND, `the client could send ${(accepted.value / MB).toFixed(1)} MB of 500 before it had to wait`);
  req.destroy();
});
