/** Timer triggers (SCF cron) and internal topics (CMQ and CKafka shapes). */
import t from 'tap';
import type { EnqueueItem } from '../../gateway/async/dispatcher.ts';
import type { DeployedFunction } from '../../gateway/registry.ts';
import { parseScfCron, TimerTriggers } from '../../gateway/triggers/timer.ts';
import { TopicBus } from '../../gateway/triggers/topics.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { AsyncClient, fixture } from './client.ts';
import { ManualClock, waitFor } from './helpers.ts';

const ticks = (expression: string, from: string, count: number): string[] => {
  const cron = parseScfCron(expression);
  const out: string[] = [];
  let at: Date | undefined = new Date(from);
  while (out.length < count && (at = cron.next(at)) !== undefined) out.push(at.toISOString());
  return out;
};

t.test('SCF cron: seconds, year, ? and L, day OR weekday', async (t) => {
  const cases: Array<[string, string, string[]]> = [
    ['*/1 * * * * * *', '2026-01-01T00:00:00Z', ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z']],
    ['*/5 * * * * * *', '2026-01-01T00:00:03Z', ['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:10.000Z']],
    ['1/10 * * * * * *', '2026-01-01T00:00:00Z', ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:11.000Z']],
    ['0 0 2 1 * * *', '2026-01-15T00:00:00Z', ['2026-02-01T02:00:00.000Z', '2026-03-01T02:00:00.000Z']],
    ['0 15 10 ? * MON-FRI *', '2026-01-02T11:00:00Z', ['2026-01-05T10:15:00.000Z', '2026-01-06T10:15:00.000Z']],
    ['0 0 12 * * ? 2028', '2026-06-01T00:00:00Z', ['2028-01-01T12:00:00.000Z', '2028-01-02T12:00:00.000Z']],
    ['0 0 0 1 1 * 2027-2099/2', '2026-06-01T00:00:00Z', ['2027-01-01T00:00:00.000Z', '2029-01-01T00:00:00.000Z']],
    ['0 0 0 L * *', '2026-02-01T00:00:00Z', ['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z']],
    ['0 0 10 ? * 5L *', '2026-01-01T00:00:00Z', ['2026-01-30T10:00:00.000Z', '2026-02-27T10:00:00.000Z']],
    // Day and weekday both set: either matches (1st of the month, or a Sunday).
    ['0 0 0 1 * 0 *', '2026-02-27T00:00:00Z', ['2026-03-01T00:00:00.000Z', '2026-03-08T00:00:00.000Z']],
    ['30 * * * *', '2026-01-01T00:00:00Z', ['2026-01-01T00:30:00.000Z', '2026-01-01T01:30:00.000Z']],
    ['0 0 0 1 1 * 2025', '2026-01-01T00:00:00Z', []],
  ];
  for (const [expression, from, expected] of cases) t.same(ticks(expression, from, 2), expected, expression);
  for (const bad of ['* * * *', '0 0 0 10W * * *', '0 0 0 * * * 1969', '0 0 0 * * * 20x6', '61 * * * * * *']) {
    t.throws(() => parseScfCron(bad), `${bad} is refused`);
  }
});

function fakeFunction(name: string, events: unknown[]): DeployedFunction {
  return { config: { namespace: 'default', name, events }, version: '$LATEST' } as unknown as DeployedFunction;
}

t.test('timer triggers: one async event per tick, Time without ms, stopped on close', async (t) => {
  const clock = new ManualClock(Date.parse('2019-02-21T11:48:58.500Z'));
  const queued: EnqueueItem[] = [];
  const timers = new TimerTriggers({
    dispatcher: { enqueue: async (items) => void queued.push(...items) },
    clock,
    logger: { warn: () => {} },
  });
  timers.start([
    fakeFunction('ticker', [
      { timer: { name: 'every-second', parameters: { cronExpression: '* * * * * * *', enable: true, argument: 'hello' } } },
      { timer: { name: 'off', parameters: { cronExpression: '* * * * * * *', enable: false } } },
    ]),
  ]);
  t.match(timers.list(), [{ name: 'every-second', nextTick: '2019-02-21T11:48:59Z' }]);
  clock.advance(1500);
  await waitFor(() => queued.length === 2, 'two ticks');
  t.same(JSON.parse(queued[0]!.payload), { Type: 'Timer', TriggerName: 'every-second', Time: '2019-02-21T11:48:59Z', Message: 'hello' });
  t.equal(JSON.parse(queued[1]!.payload).Time, '2019-02-21T11:49:00Z');
  t.match(queued[0], { functionName: 'ticker', qualifier: '$LATEST', source: 'timer:every-second', requestId: /^[0-9a-f-]{36}$/ });
  timers.close();
  clock.advance(10_000);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(queued.length, 2, 'no ticks after close');

  const broken = new TimerTriggers({ dispatcher: { enqueue: async () => {} }, clock, logger: { warn: () => {} } });
  t.throws(
    () => broken.start([fakeFunction('bad', [{ timer: { name: 't1', parameters: { cronExpression: 'every day', enable: true } } }])]),
    { message: /function "bad": timer trigger "t1": cron expression "every day"/ },
  );
});

t.test('topics: CMQ one record per event, CKafka batches of maxMsgNum with offsets', async (t) => {
  const queued: EnqueueItem[] = [];
  let offsetsWritten: ReadonlyArray<[string, number]> = [];
  const bus = new TopicBus({
    dispatcher: {
      enqueue: async (items, offsets = []) => {
        queued.push(...items);
        offsetsWritten = offsets;
      },
    },
    appId: '1250000000',
  });
  bus.start(
    [
      fakeFunction('onOrder', [{ cmq: { name: 'orders-trigger', parameters: { name: 'orders', enable: true } } }]),
      fakeFunction('onClick', [{ ckafka: { parameters: { topic: 'clicks', maxMsgNum: 3, enable: true } } }]),
    ],
    new Map([['clicks', 10]]),
  );
  const order = await bus.publish('orders', [{ msgBody: 'Hello from CMQ!', msgTag: 'tag1,tag2' }]);
  t.equal(queued.length, 1);
  const cmq = JSON.parse(queued[0]!.payload);
  t.same(Object.keys(cmq.Records[0].CMQ), ['type', 'topicOwner', 'topicName', 'subscriptionName', 'publishTime', 'msgId', 'requestId', 'msgBody', 'msgTag']);
  t.match(cmq.Records[0].CMQ, {
    type: 'topic',
    topicOwner: 1250000000,
    topicName: 'orders',
    subscriptionName: 'orders-trigger',
    publishTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    msgId: '0',
    requestId: /^\d{1,19}$/,
    msgBody: 'Hello from CMQ!',
    msgTag: 'tag1, tag2',
  });
  // scf-go-lib's CMQMessage: every field a string except topicOwner (int64).
  for (const [key, value] of Object.entries(cmq.Records[0].CMQ)) t.equal(typeof value, key === 'topicOwner' ? 'number' : 'string', `CMQ.${key}`);
  t.not(cmq.Records[0].CMQ.requestId, queued[0]!.requestId, "CMQ's request id is its own, not the invocation's");
  t.match(order, { topic: 'orders', messages: [{ msgId: '0', offset: 0 }], deliveries: [{ function: 'onOrder', kind: 'cmq', messages: 1 }] });

  queued.length = 0;
  const clicks = await bus.publish('clicks', Array.from({ length: 7 }, (_, i) => ({ msgBody: `click ${i}`, ...(i === 0 ? { msgKey: 'k0' } : {}) })));
  t.same(queued.map((item) => JSON.parse(item.payload).Records.length), [3, 3, 1]);
  t.same(JSON.parse(queued[0]!.payload).Records[0], { Ckafka: { topic: 'clicks', partition: 0, offset: 10, msgKey: 'k0', msgBody: 'click 0' } });
  t.same(JSON.parse(queued[2]!.payload).Records[0], { Ckafka: { topic: 'clicks', partition: 0, offset: 16, msgKey: 'None', msgBody: 'click 6' } });
  t.same(offsetsWritten, [['clicks', 17]], 'the next offset is committed with the events');
  t.equal(clicks.deliveries.length, 3);
  t.match(queued[0], { source: 'ckafka:clicks', functionName: 'onClick' });

  queued.length = 0;
  const nobody = await bus.publish('void', [{ msgBody: 'x' }]);
  t.same(nobody.deliveries, []);
  t.match(bus.list(), [{ topic: 'clicks', nextOffset: 17 }, { topic: 'orders', nextOffset: 1 }, { topic: 'void', nextOffset: 1 }]);
});

t.test('through the gateway: a timer firing every second, topics delivering to Node functions', async (t) => {
  const node = (extra: Record<string, unknown>) => ({ src: fixture('echo'), runtime: 'Nodejs18.15', ...extra });
  const gateway = await startTestGateway(t, {
    functions: {
      ticker: node({ events: [{ timer: { name: 'every-second', parameters: { cronExpression: '*/1 * * * * * *', enable: true, argument: 'tick' } } }] }),
      onOrder: node({ events: [{ cmq: { parameters: { name: 'orders' } } }] }),
      onClick: node({ events: [{ ckafka: { parameters: { topic: 'clicks', maxMsgNum: 4 } } }] }),
      both: node({ events: [{ cmq: { parameters: { name: 'clicks' } } }] }),
    },
  });
  const client = new AsyncClient(gateway.url);

  await waitFor(() => true, 'start');
  // Generous: on a loaded machine the first ticks wait for the functions' instances to start.
  const deadline = Date.now() + 30_000;
  let tickEvents: any[] = [];
  while (Date.now() < deadline) {
    tickEvents = await client.list('function=ticker&status=succeeded');
    if (tickEvents.length >= 2) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.ok(tickEvents.length >= 2, `${tickEvents.length} ticks ran`);
  const tick = await client.event(tickEvents[0].RequestId);
  t.match(tick, { source: 'timer:every-second', event: { Type: 'Timer', TriggerName: 'every-second', Message: 'tick', Time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ } });
  t.same(tick.result, { got: tick.event });
  // scf-go-lib's TimerEvent: exactly these four strings.
  t.same(Object.entries(tick.event).map(([key, value]) => [key, typeof value]).sort(), [['Message', 'string'], ['Time', 'string'], ['TriggerName', 'string'], ['Type', 'string']]);

  const one = await client.request('POST', '/topics/orders/messages', { msgBody: 'order 1', msgTag: ['new'] });
  t.equal(one.status, 202);
  const orderEvent = await client.waitFor(one.json.deliveries[0].requestId);
  t.match(orderEvent, { status: 'succeeded', function: 'onOrder', source: 'cmq:orders', event: { Records: [{ CMQ: { topicName: 'orders', msgBody: 'order 1', msgTag: 'new', topicOwner: 1250000000 } }] } });

  const batch = await client.request('POST', '/topics/clicks/messages', { messages: Array.from({ length: 6 }, (_, i) => ({ msgBody: `c${i}`, msgKey: `k${i}` })) });
  t.equal(batch.status, 202);
  const kafka = batch.json.deliveries.filter((d: any) => d.kind === 'ckafka');
  const cmq = batch.json.deliveries.filter((d: any) => d.kind === 'cmq');
  t.same(kafka.map((d: any) => d.messages), [4, 2], 'CKafka: batches of maxMsgNum');
  t.equal(cmq.length, 6, 'CMQ: one event per message');
  const firstBatch = await client.waitFor(kafka[0].requestId);
  t.same(firstBatch.event.Records.map((r: any) => r.Ckafka.offset), [0, 1, 2, 3]);
  t.match(firstBatch.event.Records[0], { Ckafka: { topic: 'clicks', partition: 0, msgKey: 'k0', msgBody: 'c0' } });
  for (const delivery of [...kafka, ...cmq]) t.equal((await client.waitFor(delivery.requestId)).status, 'succeeded');

  t.equal((await client.request('POST', '/topics/clicks/messages', { msgBody: 7 })).status, 436);
  t.equal((await client.request('POST', '/topics/clicks/messages', { messages: [] })).status, 436);
  t.equal((await client.request('POST', '/topics/clicks/messages', '{')).status, 400);
  const listed = (await client.request('GET', '/topics')).json.topics;
  t.match(listed, [{ topic: 'clicks', nextOffset: 6 }, { topic: 'orders', nextOffset: 1 }]);
});
