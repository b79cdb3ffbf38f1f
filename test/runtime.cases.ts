/**
 * The shared runtime case suite (STYLE §2): every runtime passes it through the real gateway over HTTP.
 * A runtime provides one fixture folder per case, each behaving the same in its own language:
 *   echo    — returns the event unchanged
 *   error   — throws/raises an error whose message is "boom"
 *   timeout — loops forever when event.loop is true, else returns {"ok": true}
 *   memory  — allocates without bound when event.allocate is true, else returns {"ok": true}
 *   state   — returns {"count": n}, n counting invocations of the instance (module-level state)
 *   env     — returns {greeting, functionName, memorySize, runenv, secret} from GREETING, SCF_FUNCTIONNAME,
 *             SCF_MEMORYSIZE, TENCENTCLOUD_RUNENV, FNGATE_TEST_SECRET (null when unset)
 *   logs    — prints "line one" and "line two" on separate lines, returns "done"
 */
import { join } from 'node:path';
import type { Test } from 'tap';
import { startTestGateway } from './helpers/gateway.ts';

export interface RuntimeCaseOptions {
  /** SCF runtime name, e.g. `Nodejs18.15`. */
  runtime: string;
  /** Folder with one sub-folder per case. */
  fixtures: string;
  /** @default 'index.main_handler' */
  handler?: string;
  /** Extra keys for every function (initTimeout …). */
  extra?: Record<string, unknown>;
  /** How long past the timeout a 433 may take (process kill, isolate dispose). @default 500 */
  timeoutSlackMs?: number;
}

export const CASES = ['echo', 'error', 'timeout', 'memory', 'state', 'env', 'logs'] as const;
const TIMEOUT_S = 1;
const SECRET = 'gateway-secret-must-not-leak';

export async function runRuntimeCases(t: Test, options: RuntimeCaseOptions): Promise<void> {
  const slackMs = options.timeoutSlackMs ?? 500;
  process.env.FNGATE_TEST_SECRET = SECRET;
  const functions = Object.fromEntries(
    CASES.map((name) => [
      name,
      {
        src: join(options.fixtures, name),
        runtime: options.runtime,
        handler: options.handler ?? 'index.main_handler',
        timeout: name === 'timeout' ? TIMEOUT_S : 10,
        memorySize: 128,
        environment: { variables: name === 'env' ? { GREETING: 'hi from config' } : {} },
        ...options.extra,
      },
    ]),
  );
  const gateway = await startTestGateway(t, { functions });

  await t.test('echo returns the event unchanged', async (t) => {
    const event = { text: 'héllo 世界 🚀', nested: { list: [1, 2.5, null, true] } };
    const response = await gateway.invoke('echo', event);
    t.equal(response.status, 200, response.text);
    t.same(response.json, event);
    t.match(response.requestId, /^[0-9a-f-]{36}$/);
  });

  await t.test('a thrown error is 430 with message and stack', async (t) => {
    const response = await gateway.invoke('error');
    t.equal(response.status, 430);
    t.equal(response.json.statusCode, 430);
    t.equal(response.json.errorCode, -1);
    t.match(response.json.errorMessage, /boom/);
    t.ok(response.json.stackTrace.length > 0, 'stack trace present');
    t.equal(response.json.requestId, response.requestId);
  });

  await t.test('an endless handler is 433 within timeout + slack, then the function works again', async (t) => {
    // A warm instance first: the timeout counts the handler's run, not the cold start before it (which a
    // loaded machine can stretch by hundreds of ms).
    const warm = await gateway.invoke('timeout', {});
    t.equal(warm.status, 200, warm.text);
    const started = performance.now();
    const response = await gateway.invoke('timeout', { loop: true });
    const elapsed = performance.now() - started;
    t.equal(response.status, 433, response.text);
    t.ok(elapsed < TIMEOUT_S * 1000 + slackMs, `answered after ${elapsed.toFixed(0)} ms`);
    const next = await gateway.invoke('timeout', {});
    t.equal(next.status, 200, next.text);
    t.same(next.json, { ok: true });
  });

  await t.test('an allocation bomb is 434, the gateway stays up, the next call works', async (t) => {
    const response = await gateway.invoke('memory', { allocate: true });
    t.equal(response.status, 434, response.text);
    const health = await fetch(`${gateway.url}/healthz`);
    t.equal(health.status, 200);
    const next = await gateway.invoke('memory', {});
    t.equal(next.status, 200, next.text);
  });

  await t.test('module state is reused by later invocations of a warm instance', async (t) => {
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push((await gateway.invoke('state')).json.count);
    t.same(counts, [1, 2, 3]);
  });

  await t.test('the function sees its variables and the built-ins, not the gateway environment', async (t) => {
    const response = await gateway.invoke('env');
    t.equal(response.status, 200, response.text);
    t.same(response.json, {
      greeting: 'hi from config',
      functionName: 'env',
      memorySize: '128',
      runenv: 'SCF',
      secret: null,
    });
  });

  await t.test('logs are framed per SPEC §6 and found by request id', async (t) => {
    const response = await gateway.invoke('logs');
    t.equal(response.status, 200, response.text);
    t.same(response.json, 'done');
    const id = response.requestId!;
    const lines = await gateway.logs('logs', id);
    t.equal(lines[0], `START RequestId: ${id}`);
    const escapedId = id.replace(/-/g, '\\-');
    const user = lines.filter((line) => new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${escapedId} `).test(line));
    t.same(user.map((line) => line.split(' ').slice(2).join(' ')), ['line one', 'line two']);
    t.ok(lines.includes(`END RequestId: ${id}`), 'END line');
    t.match(lines.find((line) => line.startsWith('Report')), new RegExp(`^Report RequestId: ${escapedId} Duration:\\d+\\.\\d\\dms Memory:128MB MemUsage:\\d+\\.\\d\\dMB$`));
    t.match(lines.find((line) => line.startsWith('Init Report')), /Coldstart:\d+\.\d\dms PullCode:\d+\.\d\dms InitRuntime:\d+\.\d\dms InitFunction:\d+\.\d\dms/);
    const warm = await gateway.invoke('logs');
    const warmLines = await gateway.logs('logs', warm.requestId!);
    t.notOk(warmLines.some((line) => line.startsWith('Init Report')), 'no Init Report on a warm call');
  });
}
