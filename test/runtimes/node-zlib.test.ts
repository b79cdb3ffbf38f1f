// The isolate's `zlib` through the real gateway, against real Node (the same handler runs on the host), and
// a zlib bomb: inflating 256 MB of zeros in a 128 MB function fails with Node's ERR_BUFFER_TOO_LARGE while
// the gateway keeps serving.
import { createRequire } from 'node:module';
import { createGzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/node/zlib', import.meta.url));
const require = createRequire(import.meta.url);
const onHost = require(`${FIXTURE}/index.js`) as { main_handler(event: unknown): Promise<Record<string, unknown>> };

const gateway = await startTestGateway(t, {
  functions: {
    zlib: { src: FIXTURE, runtime: 'Nodejs18.15', memorySize: 128, timeout: 30 },
    hello: { src: fileURLToPath(new URL('../fixtures/node/hello', import.meta.url)), runtime: 'Nodejs18.15' },
  },
});

/** `megabytes` MB of zeros, gzipped as a stream (never held whole). */
async function gzipBomb(megabytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => parts.push(chunk));
  const ended = new Promise((resolve) => gzip.on('end', resolve));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < megabytes; i++) if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve));
  gzip.end();
  await ended;
  return Buffer.concat(parts);
}

t.test('gzip, deflate, raw, unzip, brotli: sync, callback, promisified and stream forms equal real Node', async (t) => {
  const response = await gateway.invoke('zlib', { run: 'all' });
  t.equal(response.status, 200, response.text);
  const expected = JSON.parse(JSON.stringify(await onHost.main_handler({ run: 'all' }))) as Record<string, unknown>;
  t.ok(Object.keys(expected).length >= 18);
  for (const [key, value] of Object.entries(expected)) t.same(response.json[key], value, key);
  t.match(response.json.badInput, { code: 'Z_DATA_ERROR', errno: -3, message: 'incorrect header check' });
});

t.test('a zlib bomb is a RangeError ERR_BUFFER_TOO_LARGE, bounded by the function memory; the gateway keeps serving', async (t) => {
  const bomb = await gzipBomb(256);
  const pending = gateway.invoke('zlib', { run: 'bomb', bomb: bomb.toString('base64') });
  const other = await gateway.invoke('hello', {});
  t.equal(other.status, 200, 'another function answers meanwhile');
  const response = await pending;
  t.equal(response.status, 200, response.text);
  t.match(response.json.sync, { name: 'RangeError', code: 'ERR_BUFFER_TOO_LARGE' });
  t.match(response.json.sync.message, /^Cannot create a Buffer larger than \d+ bytes$/);
  t.ok(Number(/(\d+) bytes/.exec(response.json.sync.message)![1]) <= 128 * 1024 * 1024, 'the bound is the function memory');
  t.same(response.json.callback, { name: 'RangeError', code: 'ERR_BUFFER_TOO_LARGE' });
  const expected = JSON.parse(JSON.stringify(await onHost.main_handler({ run: 'bomb', bomb: (await gzipBomb(1)).toString('base64') }))) as Record<string, unknown>;
  t.same(response.json.limited, expected.limited, 'maxOutputLength as in Node');
});
