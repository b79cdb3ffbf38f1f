// A full disk under the data dir (a small tmpfs, filled up): /healthz says unhealthy, an async accept
// fails with a clear 503 naming the cause, and once space is back both recover with nothing accepted lost.
import { AUTH_HEADERS, TEST_CREDENTIALS } from '../helpers/gateway.ts';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { stringify } from 'yaml';
import { INVOCATION_TYPE_HEADER } from '../../gateway/invoke-api.ts';
import { silentLogger } from '../../gateway/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { WRITE_CHECK_TTL_MS } from '../../store/sqlite-store.ts';

const root = mkdtempSync(join(tmpdir(), 'fngate-full-'));
const dataDir = join(root, 'data');
const filler = join(dataDir, 'filler');
t.teardown(() => {
  try {
    execFileSync('umount', [dataDir], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
  rmSync(root, { recursive: true, force: true });
});

let mounted = false;
try {
  execFileSync('mkdir', ['-p', dataDir]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dataDir], { stdio: 'ignore' });
  mounted = true;
} catch {
  // Needs root with CAP_SYS_ADMIN (CI containers here have it).
}

/** Writes into `path` until the disk refuses more. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('full disk: unhealthy, clear accept failure, recovery without loss', { skip: mounted ? false : 'cannot mount a tmpfs (needs root)' }, async (t) => {
  writeFileSync(
    join(root, 'fngate.yml'),
    stringify({ functions: { echo: { src: fileURLToPath(new URL('../fixtures/node/echo', import.meta.url)), runtime: 'Nodejs18.15' } } }),
  );
  const gateway = await startGateway({ dir: root, dataDir, port: 0, host: '127.0.0.1', logger: silentLogger(), credentials: TEST_CREDENTIALS });
  t.teardown(() => gateway.close());
  const accept = (n: number): Promise<Response> =>
    fetch(`${gateway.url}/functions/echo/invoke`, { method: 'POST', headers: { [INVOCATION_TYPE_HEADER]: 'Event' }, body: JSON.stringify({ n }) });
  const health = async (): Promise<{ status: number; body: { status: string; store?: string } }> => {
    const response = await fetch(`${gateway.url}/healthz`);
    return { status: response.status, body: (await response.json()) as { status: string; store?: string } };
  };

  t.equal((await health()).status, 200, 'healthy on an empty disk');
  const before: string[] = [];
  for (let n = 0; n < 5; n++) {
    const response = await accept(n);
    t.equal(response.status, 202);
    before.push(response.headers.get('x-scf-request-id')!);
  }

  fillDisk(filler);
  await pause(WRITE_CHECK_TTL_MS + 100);
  const full = await health();
  t.equal(full.status, 503, 'unhealthy while the store cannot write');
  t.equal(full.body.status, 'unhealthy');
  t.match(full.body.store, /full/i, `names the cause: ${full.body.store}`);

  const refused = await accept(99);
  const body = (await refused.json()) as { errorMessage: string };
  t.equal(refused.status, 503, 'the accept fails: nothing was stored');
  t.match(body.errorMessage, /could not be stored: .*full/i, body.errorMessage);
  t.notMatch(body.errorMessage, /undefined/);

  rmSync(filler);
  await pause(WRITE_CHECK_TTL_MS + 100);
  t.equal((await health()).status, 200, 'healthy again once space is back');
  t.equal((await accept(100)).status, 202, 'accepts again');
  const listed = await fetch(`${gateway.url}/async-events?function=echo&limit=100`, { headers: AUTH_HEADERS });
  const events = new Map(((await listed.json()) as { events: Array<{ RequestId: string; status: string }> }).events.map((event) => [event.RequestId, event.status]));
  for (const requestId of before) t.ok(events.has(requestId), `accepted before the disk filled: ${requestId} is kept (${events.get(requestId)})`);
});
