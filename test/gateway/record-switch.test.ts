/** gateway.recordInvocations: on (the default) every invocation leaves a record and its framed log; off, nothing. */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';

const hello = fileURLToPath(new URL('../fixtures/node/hello', import.meta.url));

for (const recordInvocations of [true, false]) {
  t.test(`recordInvocations: ${recordInvocations}`, async (t) => {
    const gateway = await startTestGateway(t, {
      gateway: { recordInvocations },
      functions: { hello: { src: hello, runtime: 'Nodejs18.15' } },
    });
    const sync = await gateway.invoke('hello', { name: 'sync' });
    t.equal(sync.status, 200, sync.text);
    t.same(sync.json, { hello: 'sync' }, 'the invocation itself is the same either way');
    const accepted = await gateway.invoke('hello', { name: 'async' }, { headers: { 'X-Fn-Invocation-Type': 'Event' } });
    t.equal(accepted.status, 202, accepted.text);
    const asyncId = accepted.requestId!;
    // The async event runs; its status lives in the queue, not in the records.
    let status = '';
    for (const deadline = Date.now() + 20_000; status !== 'succeeded' && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const answer = await gateway.api(`/async-events/${asyncId}`);
      status = answer.ok ? ((await answer.json()) as { status: string }).status : '';
    }
    t.equal(status, 'succeeded', 'the async event ran');
    const { store } = gateway.services;
    await store.flush();
    for (const requestId of [sync.requestId!, asyncId]) {
      const lines = await gateway.logs('hello', requestId);
      if (recordInvocations) {
        t.ok(store.getRecord(requestId), `${requestId}: recorded`);
        t.ok(lines.includes(`END RequestId: ${requestId}`), `${requestId}: its framed log is kept`);
      } else {
        t.equal(store.getRecord(requestId), undefined, `${requestId}: no record`);
        t.same(lines, [], `${requestId}: no log lines`);
      }
    }
  });
}
