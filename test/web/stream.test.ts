import { createHash } from 'node:crypto';
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { NEEDS_SANDBOX, openWebSocket, request, webFixture } from './helpers.ts';

const MB = 1024 * 1024;
const SIZE = 50 * MB;
/** The download is bigger: a body held whole would show four times over the bound, not just past it. */
const DOWNLOAD_SIZE = 4 * SIZE;
/**
 * The gateway must not hold the body: its live memory may grow by this much at most while the body
 * passes (6–8 MB measured for the 200 MB download), where a body held whole adds all of its 50 or 200 MB.
 */
const MAX_GROWTH = 20 * MB;

const gateway = await startTestGateway(t, {
  functions: {
    // 300 s: the 200 MB download, sampled with a full collection each time, took over 60 s under CI's load.
    webstream: { src: webFixture('node'), runtime: 'Nodejs18.15', type: 'web', timeout: 300, instanceConcurrency: 10 },
    shortws: { src: webFixture('node'), runtime: 'Nodejs18.15', type: 'web', timeout: 1 },
  },
});

// Every chunk that passes leaves a garbage Buffer behind until the next scavenge; collecting before each
// sample measures what the gateway holds, not what it has not yet freed.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const SAMPLE_MS = 10;

/** Peak growth of this process's live memory (gateway and client share it) while `work` runs. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; rss: number; heap: number }> {
  gc();
  const base = process.memoryUsage();
  let rss = 0;
  let heap = 0;
  const sample = (): void => {
    // A full collection before each sample: growth is then what is alive, not garbage a busy machine has
    // not collected yet (scavenges alone let promoted buffers pile up: 20–31 MB of churn).
    gc();
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss - base.rss);
    heap = Math.max(heap, now.heapUsed + now.arrayBuffers - base.heapUsed - base.arrayBuffers);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  try {
    const result = await work();
    sample();
    return { result, rss, heap };
  } finally {
    clearInterval(timer);
  }
}

const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

t.before(async () => {
  // Start the instance, and warm both sides' allocators and the gateway's HTTP client (undici: its first
  // requests compile and tier up its parser, a one-off ~20 MB of RSS), outside the measurements.
  if (!NEEDS_SANDBOX.skip) for (let i = 0; i < 20; i++) await request(gateway.url, '/web/webstream/warm');
});

t.test('a 50 MB chunked upload streams through to the server', NEEDS_SANDBOX, async (t) => {
  const chunk = Buffer.alloc(64 * 1024, 'fngate-upload-');
  const expected = createHash('sha256');
  for (let sent = 0; sent < SIZE; sent += chunk.length) expected.update(chunk);
  const { result, rss, heap } = await peakGrowth(
    () =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = http.request(`${gateway.url}/web/webstream/upload`, { method: 'POST', agent: false }, (res) => {
          let text = '';
          res.on('data', (data) => (text += data));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        });
        req.on('error', reject);
        let sent = 0;
        const pump = (): void => {
          while (sent < SIZE) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          req.end();
        };
        pump();
      }),
  );
  t.equal(result.status, 200);
  t.same(result.body, { bytes: SIZE, sha256: expected.digest('hex'), chunked: 'chunked' }, 'every byte arrived, chunked');
  t.comment(`upload: peak RSS growth ${mb(rss)}, heap+buffers ${mb(heap)}`);
  t.ok(rss < MAX_GROWTH, `RSS grew ${mb(rss)}`);
  t.ok(heap < MAX_GROWTH, `heap and buffers grew ${mb(heap)}`);
});

t.test('a 200 MB download streams: the first bytes arrive before the server has written it all', NEEDS_SANDBOX, async (t) => {
  const { result, rss, heap } = await peakGrowth(
    () =>
      new Promise<{ bytes: number; chunked: boolean; stateAtFirstByte: any }>((resolve, reject) => {
        http
          .get(`${gateway.url}/web/webstream/download?mb=${DOWNLOAD_SIZE / MB}`, { agent: false }, (res) => {
            let bytes = 0;
            let stateAtFirstByte: any;
            res.once('data', (first: Buffer) => {
              bytes += first.length;
              res.pause();
              // Ask the server (another request on the same instance) how far it got.
              void request(gateway.url, '/web/webstream/download-state').then((state) => {
                stateAtFirstByte = state.json;
                res.on('data', (data: Buffer) => (bytes += data.length));
                res.resume();
              }, reject);
            });
            res.on('end', () => resolve({ bytes, chunked: res.headers['transfer-encoding'] === 'chunked', stateAtFirstByte }));
            res.on('error', reject);
          })
          .on('error', reject);
      }),
  );
  t.equal(result.bytes, DOWNLOAD_SIZE, `all ${mb(DOWNLOAD_SIZE)} arrived`);
  t.ok(result.chunked, 'passed on with chunked encoding');
  t.match(result.stateAtFirstByte, { started: true, finished: false }, 'the server was still writing');
  t.ok(result.stateAtFirstByte.bytes < DOWNLOAD_SIZE / 2, `the server had written ${mb(result.stateAtFirstByte.bytes)} when the first bytes arrived`);
  t.comment(`download: peak RSS growth ${mb(rss)}, heap+buffers ${mb(heap)}`);
  t.ok(rss < MAX_GROWTH, `RSS grew ${mb(rss)}`);
  t.ok(heap < MAX_GROWTH, `heap and buffers grew ${mb(heap)}`);
});

t.test('a WebSocket upgrade is passed through (path and host routing)', NEEDS_SANDBOX, async (t) => {
  for (const [path, headers] of [
    ['/web/webstream/ws', {}],
    ['/ws', { Host: 'webstream.default.localhost' }],
  ] as const) {
    const ws = await openWebSocket(gateway.url, path, headers);
    t.equal(ws.status, 101, ws.head);
    t.ok(ws.accepted, 'Sec-WebSocket-Accept matches the key');
    const requestId = /^x-scf-request-id: (\S+)$/im.exec(ws.head)?.[1];
    t.match(requestId, /^[0-9a-f-]{36}$/, 'the 101 carries X-Scf-Request-Id');
    t.match(ws.head, new RegExp(`x-seen-request-id: ${requestId}`, 'i'), 'the server saw the same id');
    t.equal(await ws.send('hello'), 'echo: hello');
    t.equal(await ws.send('second frame'), 'echo: second frame');
    await ws.close();
  }
});

t.test('a WebSocket lives at most the function timeout', NEEDS_SANDBOX, async (t) => {
  const ws = await openWebSocket(gateway.url, '/web/shortws/ws');
  t.equal(ws.status, 101);
  t.equal(await ws.send('ping'), 'echo: ping');
  const started = performance.now();
  await t.rejects(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await ws.send('too late');
  });
  t.ok(performance.now() - started < 3000);
});

t.test('upgrade requests for other routes are refused', NEEDS_SANDBOX, async (t) => {
  const ws = await openWebSocket(gateway.url, '/functions');
  t.equal(ws.status, 404);
  const unknown = await openWebSocket(gateway.url, '/web/missing/ws');
  t.equal(unknown.status, 435);
  t.match(unknown.head, /x-scf-error-type: FunctionNotFound/i);
});
