/**
 * Cold starts from spare isolates (runtimes/node/spares.ts): a spare is made and its shim set up before
 * any function is known, so what makes an instance its function's (configuration, host hooks, entry
 * files) must arrive at start and reach that instance only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createHostLink, type InstanceHooks } from '../../runtimes/node/bridge.ts';
import { NodeInstance } from '../../runtimes/node/instance.ts';
import { IsolateSpares } from '../../runtimes/node/spares.ts';
import type { FunctionModules } from '../../runtimes/node/virtual-modules.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { invoke, nodeSpec } from '../helpers/node-instances.ts';

const fixture = fileURLToPath(new URL('../fixtures/node/cold-globals', import.meta.url));
/** How long the spares sit before the function that takes one starts. */
const SPARE_AGE_MS = 1000;

interface Seen {
  leaked: string | null;
  name: string;
  greeting: string | null;
  argv1: string;
  processStartedAt: number;
  performanceOrigin: number;
}

t.test('functions started from spares see their own configuration and nothing of each other', async (t) => {
  const gateway = await startTestGateway(t, {
    functions: {
      first: { src: fixture, runtime: 'Nodejs18.15', environment: { variables: { GREETING: 'from first' } } },
      second: { src: fixture, runtime: 'Nodejs18.15', environment: { variables: { GREETING: 'from second' } } },
      third: { src: fixture, runtime: 'Nodejs18.15' },
    },
  });
  const seen = async (name: string): Promise<Seen> => {
    const response = await gateway.invoke(name);
    t.equal(response.status, 200, response.text);
    return response.json as unknown as Seen;
  };
  const first = await seen('first');
  t.match(first, { leaked: null, name: 'first', greeting: 'from first', argv1: '/var/user/index.js' });
  t.equal((await seen('first')).leaked, 'first', 'a warm instance keeps its globals');
  const second = await seen('second');
  t.match(second, { leaked: null, name: 'second', greeting: 'from second' }, "the next function's isolate has none of the first's globals or variables");
  // The spares the first starts took are made again meanwhile; the third function takes one of them.
  await new Promise((resolve) => setTimeout(resolve, SPARE_AGE_MS));
  // Its instance starts after the request is sent; its spare was made at least SPARE_AGE_MS before.
  const sentAt = Date.now();
  const third = await seen('third');
  t.match(third, { leaked: null, name: 'third', greeting: null });
  t.ok(third.processStartedAt >= sentAt, `process.uptime() counts from the function's start, not the spare's (started ${third.processStartedAt - sentAt} ms after the request was sent)`);
  t.ok(third.performanceOrigin >= sentAt, `performance.timeOrigin too (${third.performanceOrigin - sentAt} ms after)`);
});

t.test("a deployment's entry files are read once; a new deployment reads them again", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fngate-cold-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const write = (answer: string): void => writeFileSync(join(dir, 'index.js'), `exports.main_handler = async () => ${JSON.stringify(answer)};`);
  const spares = new IsolateSpares(0);
  const answerOf = async (spec: ReturnType<typeof nodeSpec>): Promise<unknown> => {
    const instance = new NodeInstance(spec, spares);
    t.teardown(() => instance.close());
    await instance.start();
    return invoke(instance);
  };
  write('first code');
  const deployed = nodeSpec('cold-globals', { codeDir: dir });
  t.equal(await answerOf(deployed), 'first code');
  write('second code');
  t.equal(await answerOf(deployed), 'first code', 'instances of one deployment run the code it was deployed with');
  t.equal(await answerOf({ ...deployed }), 'second code', 'a redeploy (a new spec) reads the code again');
});

t.test('a host link serves one instance', async (t) => {
  const link = createHostLink();
  const calls: string[] = [];
  const hooks = new Proxy({} as InstanceHooks, { get: (_target, name) => () => calls.push(String(name)) });
  const resolver: FunctionModules = { resolve: () => ({ code: 'MODULE_NOT_FOUND', message: 'none' }), syntaxLocation: () => null };
  link.died();
  t.same(calls, [], 'nothing is reached before an instance is attached');
  link.attach(hooks, resolver);
  link.died();
  t.same(calls, ['died']);
  t.throws(() => link.attach(hooks, resolver), /already serves an instance/);
});
