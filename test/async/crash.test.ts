/**
 * No accepted event is lost: the gateway runs as a child process (`fngate serve`), takes async events
 * under load, is SIGKILLed mid-way (accepting and executing), and restarts on the same data dir. Every
 * request ID that got a 202 must reach a final state. Delivery is at-least-once: an event running at
 * the kill runs again once its lease has passed.
 *
 * The first run executes slowly (500 ms per event, 4 at a time), so at the kill most accepted events
 * are queued and a few are running under a lease; the restart runs them fast.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { stringify } from 'yaml';
import { AsyncClient, fixture, FINAL_STATUSES } from './client.ts';
import { TEST_CREDENTIALS } from '../helpers/gateway.ts';

const BIN = fileURLToPath(new URL('../../bin/fngate.js', import.meta.url));
/** Events sent in the first run; the kill comes once KILL_AFTER of them were accepted. */
const SEND = 9_000;
const KILL_AFTER = 5_000;
const CONCURRENCY = 64;

interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
}

function startChild(dir: string, dataDir: string): Promise<Child> {
  // detached: the child leads a process group, so a kill reaches the re-executed node (bin/fngate.js
  // starts itself again with --no-node-snapshot) and everything it started.
  const child = spawn(process.execPath, [BIN, 'serve', dir, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // The token AsyncClient presents (management routes need credentials).
    env: { ...process.env, FNGATE_API_TOKEN: TEST_CREDENTIALS.apiToken },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway not ready in 60 s:\n${output}`)), 60_000);
    const onData = (): void => {
      const match = /fngate ready on .*\((http:\/\/[^)]+)\)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ process: child, url: match[1]!, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before it was ready:\n${output}`));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

t.test('SIGKILL under load loses no accepted event', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fngate-crash-'));
  const dataDir = join(root, 'data');
  const manifest = (sleepMs: number, reservedConcurrency: number): string =>
    stringify({
      functions: {
        echo: { src: fixture('env-sleep'), runtime: 'Nodejs18.15', reservedConcurrency, environment: { variables: { SLEEP_MS: sleepMs } } },
      },
    });
  writeFileSync(join(root, 'fngate.yml'), manifest(500, 4));
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    await Promise.all(children.map(stopChild));
    rmSync(root, { recursive: true, force: true });
  });

  const first = await startChild(root, dataDir);
  children.push(first.process);
  const firstExit = new Promise<void>((resolve) => first.process.once('exit', () => resolve()));
  const client = new AsyncClient(first.url);
  const accepted: string[] = [];
  let refused = 0;
  let failed = 0;
  let sent = 0;
  let killed = false;
  let killing = false;
  // Once enough are accepted (requests keep coming), wait until the database file itself holds an
  // attempt claimed under a lease (claims are written in periodic flushes, so the API showing one is not
  // enough), then kill: the kill then lands mid-accept and mid-execution.
  const killSoon = async (): Promise<void> => {
    const watcher = new Database(join(dataDir, 'fngate.db'), { readonly: true });
    const running = watcher.prepare(`SELECT count(*) AS n FROM async_events WHERE status = 'running'`);
    try {
      while ((running.get() as { n: number }).n === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      watcher.close();
    }
    killed = true;
    killGroup(first.process, 'SIGKILL');
  };
  let killer: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (!killed && sent < SEND) {
      const n = sent++;
      try {
        const response = await client.invokeAsync('echo', { n });
        if (response.status === 202) accepted.push(response.json.RequestId);
        else refused++;
      } catch {
        failed++; // the connection died with the gateway: not accepted
      }
      if (!killing && accepted.length >= KILL_AFTER) {
        killing = true;
        killer = killSoon();
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await killer;
  await firstExit;
  t.equal(first.process.signalCode, 'SIGKILL', 'the gateway was killed');
  t.ok(accepted.length >= KILL_AFTER, `${accepted.length} events accepted before the kill (${failed} requests cut off, ${refused} refused)`);
  t.equal(refused, 0, 'nothing was refused');

  // What the kill left behind, read from the database file before the restart.
  const db = new Database(join(dataDir, 'fngate.db'), { readonly: true });
  const left = Object.fromEntries(
    (db.prepare(`SELECT status, count(*) AS n FROM async_events GROUP BY status`).all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]),
  );
  db.close();
  t.ok((left.queued ?? 0) > KILL_AFTER / 2, `${left.queued} events were queued at the kill`);
  t.ok((left.running ?? 0) > 0, `${left.running} were running under a lease`);

  writeFileSync(join(root, 'fngate.yml'), manifest(0, 16));
  const second = await startChild(root, dataDir);
  children.push(second.process);
  const after = new AsyncClient(second.url);

  const deadline = Date.now() + 120_000;
  for (;;) {
    const queue = (await after.queues()).find((q) => q.functionName === 'echo');
    if (queue?.pending === 0) break;
    if (Date.now() > deadline) throw new Error(`still pending after 120 s: ${JSON.stringify(queue)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const statuses = new Map<string, number>();
  const missing: string[] = [];
  let interrupted = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < accepted.length) {
        const id = accepted[next++]!;
        const event = await after.event(id);
        if (!event?.status) {
          missing.push(id);
          continue;
        }
        statuses.set(event.status, (statuses.get(event.status) ?? 0) + 1);
        if (event.attempts.some((a: any) => a.outcome === 'interrupted')) interrupted++;
      }
    }),
  );
  t.same(missing, [], 'every accepted request ID is in the store');
  t.same([...statuses.keys()].filter((status) => !FINAL_STATUSES.has(status)), [], 'every one is final');
  t.equal(statuses.get('succeeded'), accepted.length, `all ${accepted.length} succeeded`);
  t.ok(interrupted > 0, `${interrupted} were running under a lease at the kill and ran again after it`);
});
