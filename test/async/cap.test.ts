/**
 * The default cap of 100,000 pending events per function, refused through HTTP. The queue is filled
 * through the store directly (fast), then the gateway starts on that data dir and takes it over.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { silentLogger } from '../../gateway/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { openStore } from '../../store/index.ts';
import type { NewAsyncEvent } from '../../store/queue-statements.ts';
import { AsyncClient, fixture } from './client.ts';
import { TEST_CREDENTIALS } from '../helpers/gateway.ts';

const CAP = 100_000;

t.test('the 100,001st pending event is refused with 432 and the queued ones are untouched', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fngate-cap-'));
  const dataDir = join(root, 'data');
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(
    join(root, 'fngate.yml'),
    // reservedConcurrency 0: nothing runs, so the queue stays full.
    stringify({ functions: { capped: { src: fixture('echo'), runtime: 'Nodejs18.15', reservedConcurrency: 0 } } }),
  );

  const store = await openStore({ dataDir });
  const now = Date.now();
  const events: NewAsyncEvent[] = Array.from({ length: CAP }, (_, i) => ({
    requestId: `pre-${i}`,
    namespace: 'default',
    functionName: 'capped',
    qualifier: '$LATEST',
    source: 'invoke',
    payload: `{"i":${i}}`,
    enqueuedAt: now,
  }));
  await store.queue.insert(events);
  await store.close();

  const gateway = await startGateway({ dir: root, dataDir, port: 0, host: '127.0.0.1', logger: silentLogger(), credentials: TEST_CREDENTIALS });
  t.teardown(() => gateway.close());
  const client = new AsyncClient(gateway.url);
  t.match(await client.queues(), [{ functionName: 'capped', pending: CAP }]);

  const refused = await client.invokeAsync('capped', { one: 'too many' });
  t.equal(refused.status, 432);
  t.equal(refused.headers.get('x-scf-error-type'), 'AsyncQueueFull');
  t.match(refused.json, { statusCode: 432, errorMessage: /full: 100000 of 100000 pending events/, requestId: refused.headers.get('x-scf-request-id') });
  t.equal((await client.request('GET', `/async-events/${refused.json.requestId}`)).status, 404, 'the refused event was not stored');

  t.match(await client.queues(), [{ functionName: 'capped', pending: CAP }], 'nothing queued was affected');
  t.match(await client.event('pre-0'), { status: 'queued', event: { i: 0 } });
  t.match(await client.event(`pre-${CAP - 1}`), { status: 'queued' });
});
