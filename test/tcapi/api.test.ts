/**
 * TencentCloud API 3.0 at `POST /` (issue 11 §4) through the real gateway, with the official SDK from
 * npm as the client (real TC3-HMAC-SHA256 signing): the envelope, the signature checks, unknown actions
 * and versions, and the actions that need no function catalog — Invoke, InvokeFunction,
 * GetFunctionLogs, GetRequestStatus, the async event actions and PutTotalConcurrencyConfig — each with
 * good and bad input. The catalog's actions are in lifecycle.test.ts.
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { API_VERSION, callAction, codeOf, commonClient, eventually, KEY, rawCall, sdkClient } from './client.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/tcapi/${name}`, import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const gateway = await startTestGateway(t, {
  functions: {
    hello: {
      src: fixture('basic'),
      runtime: 'Nodejs18.15',
      timeout: 10,
      // A user's own POST / (API gateway): the API takes only requests naming an X-TC-Action.
      events: [{ apigw: { parameters: { endpoints: [{ path: '/', method: 'POST' }] } } }],
    },
    // Never runs (no concurrency): its async events stay queued.
    parked: { src: fixture('basic'), runtime: 'Nodejs18.15', reservedConcurrency: 0 },
  },
});
const client = sdkClient(gateway.url);

/** What a real Node.js JSON round trip of the fixture's result gives (the expected RetMsg, parsed). */
const expectedResult = (event: unknown): unknown => JSON.parse(JSON.stringify({ ok: true, code: 'v1', event }));

t.test('every answer is HTTP 200 with the envelope; a POST / without X-TC-Action goes on to the other routes', async (t) => {
  const good = await rawCall(gateway.url, { action: 'Invoke', body: { FunctionName: 'hello', ClientContext: '{"n":1}' } });
  t.equal(good.status, 200);
  t.match(good.json.Response.RequestId, UUID);
  t.equal(good.json.Response.Result.InvokeResult, 0);
  t.same(JSON.parse(good.json.Response.Result.RetMsg), expectedResult({ n: 1 }));

  const bad = await rawCall(gateway.url, { action: 'Invoke', body: { FunctionName: 'hello' }, secretKey: 'not-the-key' });
  t.equal(bad.status, 200, 'an auth failure is HTTP 200 too');
  t.equal(bad.json.Response.Error.Code, 'AuthFailure.SignatureFailure');
  t.type(bad.json.Response.Error.Message, 'string');
  t.match(bad.json.Response.RequestId, UUID);

  const plain = await fetch(`${gateway.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"via":"apigw"}' });
  t.equal(plain.status, 200);
  const served = (await plain.json()) as { ok: boolean; event: { httpMethod: string; body: string } };
  t.match(served, { ok: true, event: { httpMethod: 'POST', body: '{"via":"apigw"}' } }, "without X-TC-Action, POST / is the user's API gateway endpoint");
});

t.test('signatures: wrong key, unknown SecretId, stale or future timestamp, SKIP, another service, none', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  t.equal(await codeOf(callAction(client, 'GetAsyncEventStatus', { InvokeRequestId: 'nope' })), 'ResourceNotFound.AsyncEvent', 'the signed SDK call gets through');
  t.equal(await codeOf(callAction(sdkClient(gateway.url, { secretKey: 'wrong' }), 'Invoke', { FunctionName: 'hello' })), 'AuthFailure.SignatureFailure');
  t.equal(await codeOf(callAction(sdkClient(gateway.url, { secretId: 'AKIDunknown' }), 'Invoke', { FunctionName: 'hello' })), 'AuthFailure.SecretIdNotFound');
  t.equal(await codeOf(callAction(client, 'Invoke', { FunctionName: 'hello' }, { skipSign: true })), 'AuthFailure.InvalidAuthorization', 'Authorization: SKIP');
  const body = { FunctionName: 'hello' };
  const stale = await rawCall(gateway.url, { action: 'Invoke', body, timestamp: now - 301 });
  t.equal(stale.json.Response.Error.Code, 'AuthFailure.SignatureExpire', 'signed 301 s ago');
  const future = await rawCall(gateway.url, { action: 'Invoke', body, timestamp: now + 400 });
  t.equal(future.json.Response.Error.Code, 'AuthFailure.SignatureExpire', 'signed 400 s ahead');
  const recent = await rawCall(gateway.url, { action: 'Invoke', body, timestamp: now - 200 });
  t.equal(recent.json.Response.Result?.InvokeResult, 0, 'signed 200 s ago is within the window');
  const otherService = await rawCall(gateway.url, { action: 'Invoke', body, service: 'cvm' });
  t.equal(otherService.json.Response.Error.Code, 'AuthFailure.SignatureFailure', 'a scope for another service');
  const scf = await rawCall(gateway.url, { action: 'Invoke', body, service: 'scf' });
  t.equal(scf.json.Response.Result?.InvokeResult, 0, 'the scope `scf` is this endpoint too');
  const none = await rawCall(gateway.url, { action: 'Invoke', body, authorization: '' });
  t.equal(none.json.Response.Error.Code, 'AuthFailure.InvalidAuthorization');
  const tampered = await rawCall(gateway.url, {
    action: 'Invoke',
    body: JSON.stringify({ FunctionName: 'hello' }),
    authorization: (await signedHeader({ FunctionName: 'other' })).authorization,
  });
  t.equal(tampered.json.Response.Error.Code, 'AuthFailure.SignatureFailure', 'a body other than the signed one');
});

/** The Authorization the SDK's signer gives for `body` now (to send it with another body). */
async function signedHeader(body: Record<string, unknown>): Promise<{ authorization: string }> {
  const signModule = (await import('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js')) as unknown as { default: any };
  const Sign = 'sign3' in signModule.default ? signModule.default : signModule.default.default;
  const url = `${gateway.url}/`;
  const authorization: string = Sign.sign3({
    method: 'POST', url, payload: Buffer.from(JSON.stringify(body)), timestamp: Math.floor(Date.now() / 1000), service: new URL(url).hostname.split('.')[0],
    secretId: KEY.secretId, secretKey: KEY.secretKey, multipart: false, boundary: '', headers: { 'Content-Type': 'application/json' },
  });
  return { authorization };
}

t.test('unknown action, unknown API version, a body that is not a JSON object', async (t) => {
  t.equal(await codeOf(callAction(client, 'NoSuchAction', {})), 'InvalidAction');
  t.equal(await codeOf(callAction(client, 'constructor', {})), 'InvalidAction', 'no inherited property is an action');
  t.equal(await codeOf(commonClient(gateway.url, '2017-03-12').request('ListAsyncEvents', { FunctionName: 'hello' })), 'NoSuchVersion');
  t.equal(await codeOf(commonClient(gateway.url, API_VERSION).request('ListAsyncEvents', { FunctionName: 'hello' })), 'ok', 'the CommonClient with the right version');
  const notJson = await rawCall(gateway.url, { action: 'Invoke', body: 'FunctionName=hello' });
  t.equal(notJson.json.Response.Error.Code, 'InvalidParameterValue.Param');
  const array = await rawCall(gateway.url, { action: 'Invoke', body: '[1]' });
  t.equal(array.json.Response.Error.Code, 'InvalidParameterValue.Param');
});

t.test('Invoke: Result, LogType Tail, a failing function, bad input', async (t) => {
  const event = { name: 'fngate', list: [1, 2, 3] };
  const answer = await client.Invoke({ FunctionName: 'hello', ClientContext: JSON.stringify(event) });
  const result = answer.Result!;
  t.match(result.FunctionRequestId, UUID);
  t.same(JSON.parse(result.RetMsg!), expectedResult(event));
  t.equal(result.ErrMsg, '');
  t.equal(result.InvokeResult, 0);
  t.equal(result.Log, '', 'no log without LogType Tail');
  t.ok(result.Duration! > 0, 'Duration in ms');
  t.ok(result.BillDuration! >= Math.floor(result.Duration!) && result.BillDuration! <= Math.ceil(result.Duration!) + 1, 'BillDuration is Duration rounded up');
  t.ok(result.MemUsage! > 0, 'MemUsage in bytes');
  t.not(result.FunctionRequestId, answer.RequestId, 'the invocation has its own request ID');

  const tail = (await client.Invoke({ FunctionName: 'hello', ClientContext: '{"tail":true}', LogType: 'Tail' })).Result!;
  t.match(tail.Log, new RegExp(`START RequestId: ${tail.FunctionRequestId}`));
  t.match(tail.Log, /tcapi fixture got \{"tail":true\}/);
  t.match(tail.Log, new RegExp(`END RequestId: ${tail.FunctionRequestId}`));
  t.match(tail.Log, /Report RequestId/);

  const failed = (await client.Invoke({ FunctionName: 'hello', ClientContext: JSON.stringify({ fail: 'boom-4711' }) })).Result!;
  t.equal(failed.InvokeResult, -1);
  t.equal(failed.RetMsg, '');
  const scfError = JSON.parse(failed.ErrMsg!);
  t.equal(scfError.statusCode, 430, 'the SCF error object: user code exception');
  t.match(scfError.errorMessage, /boom-4711/);
  t.equal(scfError.requestId, failed.FunctionRequestId);

  const empty = (await client.Invoke({ FunctionName: 'hello' })).Result!;
  t.same(JSON.parse(empty.RetMsg!), expectedResult({}), 'no ClientContext is the event {}');

  t.equal(await codeOf(client.Invoke({ FunctionName: 'nope' })), 'ResourceNotFound.Function');
  t.equal(await codeOf(client.Invoke({ FunctionName: 'hello', Namespace: 'elsewhere' })), 'ResourceNotFound.Function');
  t.equal(await codeOf(client.Invoke({ FunctionName: 'hello', Qualifier: '7' })), 'ResourceNotFound.Version', 'Qualifier passed through: no version 7');
  t.equal(await codeOf(client.Invoke({ FunctionName: 'hello', Qualifier: 'prod' })), 'ResourceNotFound.Alias', 'no alias prod');
  t.equal(await codeOf(client.Invoke({ FunctionName: 'hello', Qualifier: '$LATEST' })), 'ok');
  t.equal(await codeOf(callAction(client, 'Invoke', {})), 'MissingParameter');
  t.equal(await codeOf(callAction(client, 'Invoke', { FunctionName: 42 })), 'InvalidParameterValue.FunctionName');
  t.equal(await codeOf(client.Invoke({ FunctionName: 'hello', ClientContext: '{not json' })), 'InvalidParameterValue.Param');
  t.equal(await codeOf(client.Invoke({ FunctionName: 'hello', InvocationType: 'Sometimes' })), 'InvalidParameterValue.InvocationType');
  t.equal(await codeOf(client.Invoke({ FunctionName: 'hello', LogType: 'All' })), 'InvalidParameterValue.LogType');
  const tooBig = JSON.stringify({ pad: 'x'.repeat(200 * 1024) });
  t.equal(await codeOf(client.Invoke({ FunctionName: 'hello', InvocationType: 'Event', ClientContext: tooBig })), 'RequestSizeLimitExceeded', 'over the 128 KB async limit');
});

t.test('InvokeFunction: the synchronous form, its event in Event', async (t) => {
  const result = (await client.InvokeFunction({ FunctionName: 'hello', Event: '{"via":"InvokeFunction"}', LogType: 'Tail' })).Result!;
  t.same(JSON.parse(result.RetMsg!), expectedResult({ via: 'InvokeFunction' }));
  t.match(result.Log, /tcapi fixture got \{"via":"InvokeFunction"\}/);
  t.equal(await codeOf(client.InvokeFunction({ FunctionName: 'nope' })), 'ResourceNotFound.Function');
  t.equal(await codeOf(client.InvokeFunction({ FunctionName: 'hello', Event: 'nope' })), 'InvalidParameterValue.Param');
});

t.test('Invoke Event → the async queue: ListAsyncEvents and GetAsyncEventStatus follow it to FINISHED', async (t) => {
  const accepted = (await client.Invoke({ FunctionName: 'hello', InvocationType: 'Event', ClientContext: '{"async":1}' })).Result!;
  t.match(accepted.FunctionRequestId, UUID);
  t.equal(accepted.InvokeResult, 0);
  const id = accepted.FunctionRequestId!;
  const finished = await eventually(async () => {
    const status = (await client.GetAsyncEventStatus({ InvokeRequestId: id })).Result!;
    return status.Status === 'FINISHED' ? status : undefined;
  });
  t.same(finished, { InvokeRequestId: id, Status: 'FINISHED', StatusCode: 200 });
  const listed = await client.ListAsyncEvents({ FunctionName: 'hello', InvokeRequestId: id });
  t.equal(listed.TotalCount, 1);
  t.match(listed.EventList[0], { InvokeRequestId: id, InvokeType: 'invoke', Qualifier: '$LATEST', Status: 'FINISHED' });
  t.match(listed.EventList[0]!.StartTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  t.match(listed.EventList[0]!.EndTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  const status = await client.GetRequestStatus({ FunctionName: 'hello', FunctionRequestId: id });
  t.match(status.Data![0], { RequestId: id, RetCode: 0 }, 'the async run has a request record');
  t.equal((await client.ListAsyncEvents({ FunctionName: 'hello', Status: ['FINISHED'] })).TotalCount! >= 1, true);
  t.equal((await client.ListAsyncEvents({ FunctionName: 'hello', Status: ['ABORTED'], InvokeRequestId: id })).TotalCount, 0);
});

t.test('TerminateAsyncEvent, and the async actions with bad input', async (t) => {
  const id = (await client.Invoke({ FunctionName: 'parked', InvocationType: 'Event', ClientContext: '{}' })).Result!.FunctionRequestId!;
  t.match((await client.GetAsyncEventStatus({ InvokeRequestId: id })).Result, { InvokeRequestId: id, Status: 'RUNNING' }, 'queued counts as running');
  const running = await client.ListAsyncEvents({ FunctionName: 'parked', Status: ['RUNNING'] });
  t.ok(running.EventList.some((event) => event.InvokeRequestId === id));
  const pending = await client.GetRequestStatus({ FunctionName: 'parked', FunctionRequestId: id });
  t.match(pending.Data![0], { RequestId: id, RetCode: 1 }, 'RetCode 1: running');

  t.equal(await codeOf(client.TerminateAsyncEvent({ FunctionName: 'hello', InvokeRequestId: id })), 'ResourceNotFound.AsyncEvent', "another function's event");
  await client.TerminateAsyncEvent({ FunctionName: 'parked', InvokeRequestId: id });
  t.equal((await client.GetAsyncEventStatus({ InvokeRequestId: id })).Result!.Status, 'ABORTED');
  t.equal(await codeOf(client.TerminateAsyncEvent({ FunctionName: 'parked', InvokeRequestId: id })), 'FailedOperation.AsyncEventStatus', 'already final');
  t.equal(await codeOf(client.TerminateAsyncEvent({ FunctionName: 'parked', InvokeRequestId: 'no-such-id' })), 'ResourceNotFound.AsyncEvent');
  t.equal(await codeOf(callAction(client, 'TerminateAsyncEvent', { FunctionName: 'parked' })), 'MissingParameter');
  t.equal(await codeOf(client.GetAsyncEventStatus({ InvokeRequestId: 'no-such-id' })), 'ResourceNotFound.AsyncEvent');
  t.equal(await codeOf(callAction(client, 'GetAsyncEventStatus', {})), 'MissingParameter');
  t.equal(await codeOf(callAction(client, 'ListAsyncEvents', {})), 'MissingParameter');
  t.equal(await codeOf(client.ListAsyncEvents({ FunctionName: 'parked', Status: ['SLEEPING'] })), 'InvalidParameterValue.Status');
  t.equal(await codeOf(client.ListAsyncEvents({ FunctionName: 'parked', Limit: 1000 })), 'InvalidParameterValue.Limit');
  t.equal(await codeOf(client.ListAsyncEvents({ FunctionName: 'parked', Order: 'SIDEWAYS' })), 'InvalidParameterValue.Order');
});

t.test('GetFunctionLogs and GetRequestStatus: one entry per invocation, filters, bad input', async (t) => {
  const ok = (await client.Invoke({ FunctionName: 'hello', ClientContext: '{"log":"ok"}' })).Result!;
  const failed = (await client.Invoke({ FunctionName: 'hello', ClientContext: '{"fail":"logged-failure"}' })).Result!;

  const one = await client.GetFunctionLogs({ FunctionName: 'hello', FunctionRequestId: ok.FunctionRequestId });
  t.equal(one.TotalCount, 1);
  const entry = one.Data![0]!;
  t.match(entry, { FunctionName: 'hello', RequestId: ok.FunctionRequestId, RetCode: 0, InvokeFinished: 1 });
  t.match(entry.StartTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  t.match(entry.Log, new RegExp(`START RequestId: ${ok.FunctionRequestId}`));
  t.match(entry.Log, /tcapi fixture got \{"log":"ok"\}/);

  const failures = await client.GetFunctionLogs({ FunctionName: 'hello', Filter: { RetCode: 'not0' }, Limit: 100 });
  t.ok(failures.Data!.some((log) => log.RequestId === failed.FunctionRequestId));
  t.notOk(failures.Data!.some((log) => log.RequestId === ok.FunctionRequestId), 'not0 keeps failures only');
  t.ok(failures.Data!.every((log) => log.RetCode === 430));
  const userErrors = await client.GetFunctionLogs({ FunctionName: 'hello', Filter: { RetCode: 'UserCodeException' }, Limit: 100 });
  t.equal(userErrors.TotalCount, failures.TotalCount, 'the failures here are all user code exceptions');

  const all = await client.GetFunctionLogs({ FunctionName: 'hello', Limit: 100, Order: 'asc', OrderBy: 'start_time' });
  const times = all.Data!.map((log) => log.StartTime!);
  t.same(times, [...times].sort(), 'ascending start times');
  t.equal((await client.GetFunctionLogs({ FunctionName: 'hello', Limit: 1, Offset: 1 })).Data!.length, 1, 'a page of one');
  t.equal((await client.GetFunctionLogs({ FunctionName: 'hello', StartTime: '2000-01-01 00:00:00', EndTime: '2000-01-02 00:00:00' })).TotalCount, 0, 'a time range with nothing');
  t.equal((await client.GetFunctionLogs({ FunctionName: 'hello', Qualifier: '3' })).TotalCount, 0, 'no invocation of version 3');

  const status = await client.GetRequestStatus({ FunctionName: 'hello', FunctionRequestId: failed.FunctionRequestId! });
  t.match(status.Data![0], { RequestId: failed.FunctionRequestId, RetCode: -1 });
  t.match(status.Data![0]!.RetMsg, /logged-failure/);
  t.same((await client.GetRequestStatus({ FunctionName: 'hello', FunctionRequestId: 'no-such-request' })).Data, []);
  t.same((await client.GetRequestStatus({ FunctionName: 'parked', FunctionRequestId: ok.FunctionRequestId! })).Data, [], "another function's request");

  t.equal(await codeOf(callAction(client, 'GetFunctionLogs', {})), 'MissingParameter');
  t.equal(await codeOf(client.GetFunctionLogs({ FunctionName: 'hello', Order: 'up' })), 'InvalidParameterValue.Order');
  t.equal(await codeOf(client.GetFunctionLogs({ FunctionName: 'hello', Limit: -1 })), 'InvalidParameterValue.Limit');
  t.equal(await codeOf(client.GetFunctionLogs({ FunctionName: 'hello', Filter: { RetCode: 'sometimes' } })), 'InvalidParameterValue.RetCode');
  t.equal(await codeOf(client.GetFunctionLogs({ FunctionName: 'hello', StartTime: 'yesterday' })), 'InvalidParameterValue.StartTime');
  t.equal(await codeOf(callAction(client, 'GetRequestStatus', { FunctionName: 'hello' })), 'MissingParameter');
});

t.test('PutTotalConcurrencyConfig sets the gateway-wide limit', async (t) => {
  t.teardown(() => client.PutTotalConcurrencyConfig({ TotalConcurrencyMem: 128_000 }));
  await client.PutTotalConcurrencyConfig({ TotalConcurrencyMem: 128 });
  const slow = client.Invoke({ FunctionName: 'hello', ClientContext: '{"sleepMs":1500}' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const refused = (await client.Invoke({ FunctionName: 'hello', ClientContext: '{}' })).Result!;
  t.equal(refused.InvokeResult, -1, 'one slot, taken: the second call is refused');
  t.equal(JSON.parse(refused.ErrMsg!).statusCode, 432);
  t.equal((await slow).Result!.InvokeResult, 0);
  await client.PutTotalConcurrencyConfig({ TotalConcurrencyMem: 128_000 });
  const calls = await Promise.all([1, 2, 3].map(() => client.Invoke({ FunctionName: 'hello', ClientContext: '{"sleepMs":300}' })));
  t.same(calls.map((call) => call.Result!.InvokeResult), [0, 0, 0], 'room again');
  t.equal(await codeOf(client.PutTotalConcurrencyConfig({ TotalConcurrencyMem: 0 })), 'InvalidParameterValue.TotalConcurrencyMem');
  t.equal(await codeOf(callAction(client, 'PutTotalConcurrencyConfig', {})), 'MissingParameter');
});
