/** The function lifecycle over REST against a real gateway: functions, versions, aliases, layers, namespaces, bad input. */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';
import { createFunction, jsonCall, nodeHandler, putCode, zipOf } from '../helpers/lifecycle.ts';

const gateway = await startTestGateway(t, { functions: {} });

t.test('create, invoke, new code, new configuration: new requests run the new state', async (t) => {
  const code = (tag: string) => zipOf(nodeHandler(`{ code: '${tag}', greeting: process.env.GREETING, version: context.function_version, memory: context.memory_limit_in_mb }`));
  const created = await createFunction(gateway, 'counter', code('one'), { memorySize: 256, timeout: 5, environment: { GREETING: 'hi' } });
  const view = (await created.json()) as any;
  t.equal(created.status, 201, JSON.stringify(view));
  t.match(view, { namespace: 'default', name: 'counter', version: '$LATEST', origin: 'api', memorySize: 256, timeout: 5, environment: { GREETING: 'hi' }, handler: 'index.main_handler' });
  t.match(view.codeSha256, /^[0-9a-f]{64}$/);
  t.same((await gateway.invoke('counter')).json, { code: 'one', greeting: 'hi', version: '$LATEST', memory: 256 });

  const updated = await putCode(gateway, 'counter', code('two'));
  t.equal(updated.status, 200);
  t.not(((await updated.json()) as any).codeSha256, view.codeSha256, 'new code, new hash');
  t.same((await gateway.invoke('counter')).json, { code: 'two', greeting: 'hi', version: '$LATEST', memory: 256 });

  const patched = await jsonCall(gateway, 'PATCH', '/functions/counter', { environment: { GREETING: 'hello' }, memorySize: 512 });
  t.equal(patched.status, 200, JSON.stringify(patched.json));
  t.same((await gateway.invoke('counter')).json, { code: 'two', greeting: 'hello', version: '$LATEST', memory: 512 });

  const listed = await jsonCall(gateway, 'GET', '/functions');
  t.ok(listed.json.functions.some((fn: { name: string }) => fn.name === 'counter'), 'GET /functions lists it');

  t.equal((await jsonCall(gateway, 'DELETE', '/functions/counter')).status, 200);
  t.equal((await gateway.invoke('counter')).status, 435, 'deleted: not found');
});

t.test('publish: a version keeps running the code and configuration it was published with', async (t) => {
  t.equal((await createFunction(gateway, 'versioned', zipOf(nodeHandler(`'v1 ' + context.function_version + ' ' + context.memory_limit_in_mb`)))).status, 201);
  const published = await jsonCall(gateway, 'POST', '/functions/versioned/versions', { description: 'first' });
  t.equal(published.status, 201);
  t.match(published.json, { version: '1', description: 'first', memorySize: 128 });
  await putCode(gateway, 'versioned', zipOf(nodeHandler(`'v2 ' + context.function_version + ' ' + context.memory_limit_in_mb`)));
  await jsonCall(gateway, 'PATCH', '/functions/versioned', { memorySize: 256 });
  t.equal((await gateway.invoke('versioned')).json, 'v2 $LATEST 256');
  const one = await gateway.invoke('versioned', {}, { qualifier: '1' });
  t.equal(one.json, 'v1 1 128', 'version 1: its own code, its own memory size, and it says so');
  t.equal((await gateway.invoke('versioned', {}, { qualifier: '7' })).status, 442);
  const list = await jsonCall(gateway, 'GET', '/functions/versioned/versions');
  t.same(list.json.items.map((item: { version: string }) => item.version), ['$LATEST', '1']);
  t.equal(list.json.total, 2);
});

t.test('aliases route to versions; an aliased version cannot be deleted; version numbers are not reused', async (t) => {
  await createFunction(gateway, 'aliased', zipOf(nodeHandler(`'a1'`)));
  await jsonCall(gateway, 'POST', '/functions/aliased/versions');
  await putCode(gateway, 'aliased', zipOf(nodeHandler(`'a2'`)));
  t.equal((await jsonCall(gateway, 'POST', '/functions/aliased/versions')).json.version, '2');

  let answer = await jsonCall(gateway, 'PUT', '/functions/aliased/aliases/prod', { version: '1', description: 'live' });
  t.equal(answer.status, 200, JSON.stringify(answer.json));
  t.match(answer.json, { name: 'prod', functionName: 'aliased', version: '1', additionalVersionWeights: [], description: 'live' });
  t.equal((await gateway.invoke('aliased', {}, { qualifier: 'prod' })).json, 'a1');

  // Weight 1: every request goes to the additional version; the split itself is the deploy part's to prove.
  answer = await jsonCall(gateway, 'PUT', '/functions/aliased/aliases/prod', { additionalVersionWeights: [{ version: '2', weight: 1 }] });
  t.match(answer.json, { version: '1', additionalVersionWeights: [{ version: '2', weight: 1 }], description: 'live' });
  t.equal((await gateway.invoke('aliased', {}, { qualifier: 'prod' })).json, 'a2');
  answer = await jsonCall(gateway, 'PUT', '/functions/aliased/aliases/prod', { version: '2', additionalVersionWeights: [] });
  t.equal((await jsonCall(gateway, 'GET', '/functions/aliased/aliases/prod')).json.version, '2');
  t.same((await jsonCall(gateway, 'GET', '/functions/aliased/aliases')).json.items.map((item: { name: string }) => item.name), ['prod']);

  answer = await jsonCall(gateway, 'DELETE', '/functions/aliased/versions/2');
  t.equal(answer.status, 409);
  t.match(answer.json, { statusCode: 409, errorMessage: 'version 2 of function aliased cannot be deleted: alias prod routes to it' });
  t.equal((await gateway.invoke('aliased', {}, { qualifier: '2' })).json, 'a2', 'refused: version 2 still runs');

  t.equal((await jsonCall(gateway, 'DELETE', '/functions/aliased/versions/1')).status, 200);
  t.equal((await gateway.invoke('aliased', {}, { qualifier: '1' })).status, 442);
  t.equal((await jsonCall(gateway, 'POST', '/functions/aliased/versions')).json.version, '3', 'not 1 again');

  t.equal((await jsonCall(gateway, 'PUT', '/functions/aliased/aliases/beta', { version: '9' })).status, 442, 'an alias to a version that is not there');
  t.equal((await jsonCall(gateway, 'PUT', '/functions/aliased/aliases/beta', { version: '3', additionalVersionWeights: [{ version: '3', weight: 0.5 }] })).status, 436);
  t.equal((await jsonCall(gateway, 'PUT', '/functions/aliased/aliases/beta', { version: '3', additionalVersionWeights: [{ version: '2', weight: 1.5 }] })).status, 436);
  t.equal((await jsonCall(gateway, 'DELETE', '/functions/aliased/aliases/prod')).status, 200);
  t.equal((await gateway.invoke('aliased', {}, { qualifier: 'prod' })).status, 442);
  t.equal((await jsonCall(gateway, 'GET', '/functions/aliased/aliases/prod')).status, 442);
  t.equal((await jsonCall(gateway, 'DELETE', '/functions/aliased/aliases/prod')).status, 442);
});

t.test('writes run one at a time: concurrent publishes get distinct numbers, a concurrent create of one name succeeds once', async (t) => {
  const zip = zipOf(nodeHandler(`'raced'`));
  const creates = await Promise.all([createFunction(gateway, 'raced', zip), createFunction(gateway, 'raced', zip)]);
  t.same(creates.map((response) => response.status).sort(), [201, 409]);
  const publishes = await Promise.all(Array.from({ length: 4 }, () => jsonCall(gateway, 'POST', '/functions/raced/versions')));
  t.same(publishes.map((answer) => answer.json.version).sort(), ['1', '2', '3', '4']);
});

t.test('layers stack under /opt in binding order; a bound layer version cannot be deleted', async (t) => {
  const publish = (name: string, files: Record<string, string>) =>
    jsonCall(gateway, 'POST', `/layers/${name}/versions`, { zipFile: zipOf(files).toString('base64'), compatibleRuntimes: ['Nodejs18.15'], description: `layer ${name}` });
  const first = await publish('first', { 'shared.txt': 'from first', 'first.txt': 'only first' });
  t.equal(first.status, 201, JSON.stringify(first.json));
  t.match(first.json, { name: 'first', version: 1, compatibleRuntimes: ['Nodejs18.15'] });
  t.equal((await publish('second', { 'shared.txt': 'from second', 'second.txt': 'only second' })).json.version, 1);
  const reader = nodeHandler(
    `(() => { const fs = require('fs'); return { shared: fs.readFileSync('/opt/shared.txt', 'utf8'), first: fs.readFileSync('/opt/first.txt', 'utf8'), second: fs.readFileSync('/opt/second.txt', 'utf8') }; })()`,
  );
  const created = await createFunction(gateway, 'layered', zipOf(reader), { layers: [{ name: 'first', version: 1 }, { name: 'second', version: 1 }] });
  t.equal(created.status, 201);
  t.same((await gateway.invoke('layered')).json, { shared: 'from first', first: 'only first', second: 'only second' });
  await jsonCall(gateway, 'PATCH', '/functions/layered', { layers: [{ name: 'second', version: 1 }, { name: 'first', version: 1 }] });
  t.equal((await gateway.invoke('layered')).json.shared, 'from second', 'the first bound layer wins');

  const refused = await jsonCall(gateway, 'DELETE', '/layers/first/versions/1');
  t.equal(refused.status, 409);
  t.match(refused.json.errorMessage, /layer first version 1 is bound to layered \(\$LATEST\)/);
  t.equal((await publish('first', { 'shared.txt': 'first, again' })).json.version, 2);
  t.same((await jsonCall(gateway, 'GET', '/layers/first/versions')).json.items.map((item: { version: number }) => item.version), [2, 1]);
  t.match((await jsonCall(gateway, 'GET', '/layers?compatibleRuntime=Nodejs18.15')).json.items, [{ name: 'first', version: 2 }, { name: 'second', version: 1 }]);
  t.equal((await jsonCall(gateway, 'GET', '/layers/first/versions/9')).status, 404);
  t.equal((await jsonCall(gateway, 'PATCH', '/functions/layered', { layers: [{ name: 'missing', version: 1 }] })).status, 404);
  const six = Array.from({ length: 6 }, () => ({ name: 'first', version: 1 }));
  t.match((await jsonCall(gateway, 'PATCH', '/functions/layered', { layers: six })).json, { statusCode: 436, errorMessage: /6 layers bound, over the limit of 5/ });
  t.equal((await publish('bad_', { 'a.txt': 'a' })).status, 436, 'layer names end with a letter or digit');
});

t.test('namespaces: functions live in one; default and non-empty ones cannot be deleted', async (t) => {
  t.equal((await jsonCall(gateway, 'POST', '/namespaces', { name: 'staging', description: 'pre-prod' })).status, 201);
  t.equal((await jsonCall(gateway, 'POST', '/namespaces', { name: 'staging' })).status, 409);
  t.match((await jsonCall(gateway, 'POST', '/namespaces', { name: 'bad name' })).json, { statusCode: 436, errorMessage: /namespace "bad name" is invalid/ });
  t.equal((await createFunction(gateway, 'inside', zipOf(nodeHandler(`context.namespace`)), { namespace: 'staging' })).status, 201);
  t.equal((await gateway.invoke('inside', {}, { namespace: 'staging' })).json, 'staging');
  t.equal((await gateway.invoke('inside')).status, 435, 'not in default');
  t.equal((await createFunction(gateway, 'nowhere', zipOf(nodeHandler('1')), { namespace: 'missing' })).status, 404);
  const busy = await jsonCall(gateway, 'DELETE', '/namespaces/staging');
  t.equal(busy.status, 409);
  t.match(busy.json.errorMessage, /namespace staging holds 1 function\(s\) \(inside\)/);
  t.equal((await jsonCall(gateway, 'DELETE', '/namespaces/default')).status, 436);
  t.equal((await jsonCall(gateway, 'DELETE', '/functions/inside?namespace=staging')).status, 200);
  t.equal((await jsonCall(gateway, 'DELETE', '/namespaces/staging')).status, 200);
  t.equal((await jsonCall(gateway, 'DELETE', '/namespaces/staging')).status, 404);
  t.notOk((await jsonCall(gateway, 'GET', '/namespaces')).json.items.some((item: { name: string }) => item.name === 'staging'));
});

t.test('bad input is refused with a message naming what is wrong, and leaves nothing behind', async (t) => {
  const cases: Array<[string, Buffer, Record<string, unknown>, number, RegExp]> = [
    ['1bad', zipOf(nodeHandler('1')), {}, 436, /function name "1bad" is invalid: it must be 2-60 characters/],
    ['bad-', zipOf(nodeHandler('1')), {}, 436, /function name "bad-" is invalid/],
    ['memory', zipOf(nodeHandler('1')), { memorySize: 100 }, 436, /memory size 100 MB is not one SCF offers/],
    ['timeout', zipOf(nodeHandler('1')), { timeout: 1000 }, 436, /timeout 1000 s is out of range: 1 to 900 s/],
    ['runtime', zipOf(nodeHandler('1')), { runtime: 'Cobol85' }, 436, /unsupported runtime "Cobol85"/],
    ['unknownkey', zipOf(nodeHandler('1')), { color: 'blue' }, 436, /color/],
    ['slip', zipOf({ ...nodeHandler('1'), '../evil.js': 'x' }), {}, 436, /function slip: zip entry "\.\.\/evil\.js" points out of the code folder/],
    ['absolute', zipOf({ ...nodeHandler('1'), '/etc/evil': 'x' }), {}, 436, /zip entry "\/etc\/evil" points out of the code folder/],
    ['linkout', zipOf(nodeHandler('1'), { 'passwd': '../../../etc/passwd' }), {}, 436, /zip entry "passwd" is a symlink to \.\.\/\.\.\/\.\.\/etc\/passwd, which points out of the code folder/],
    ['linkabs', zipOf(nodeHandler('1'), { 'passwd': '/etc/passwd' }), {}, 436, /symlink to \/etc\/passwd/],
    ['notzip', Buffer.from('this is not a zip'), {}, 436, /function notzip: not a readable zip/],
  ];
  for (const [name, zip, settings, status, message] of cases) {
    const response = await createFunction(gateway, name, zip, settings);
    const body = (await response.json()) as any;
    t.equal(response.status, status, `${name}: ${JSON.stringify(body)}`);
    t.match(body.errorMessage, message, name);
    t.equal((await gateway.invoke(name)).status, 435, `${name} was not created`);
  }
  t.equal((await createFunction(gateway, 'linkin', zipOf(nodeHandler('1'), { 'same.js': 'index.js' }))).status, 201, 'a symlink inside the code is fine');
  t.equal((await createFunction(gateway, 'linkin', zipOf(nodeHandler('1')))).status, 409, 'the name is taken');

  // 60 MB of incompressible data, stored: a real zip over SCF's 50 MB upload limit.
  const big = Buffer.from(zipSync({ 'index.js': Buffer.from(nodeHandler('1')['index.js']!), 'blob.bin': [randomBytes(60 * 1024 * 1024), { level: 0 }] }));
  const tooBig = await putCode(gateway, 'linkin', big);
  const tooBigBody = (await tooBig.json()) as any;
  t.equal(tooBig.status, 436);
  t.match(tooBigBody.errorMessage, new RegExp(`function linkin: the zip is ${big.length} bytes \\(60\\.0 MB\\), over the 50 MB limit for a zip sent with the request`));

  t.equal((await putCode(gateway, 'missing', zipOf(nodeHandler('1')))).status, 435);
  t.equal((await jsonCall(gateway, 'POST', '/functions/missing/versions')).status, 435);
  t.equal((await jsonCall(gateway, 'GET', '/functions/missing/versions')).status, 435);
  t.equal((await jsonCall(gateway, 'DELETE', '/functions/missing')).status, 435);
  t.equal((await jsonCall(gateway, 'DELETE', '/functions/linkin/versions/4')).status, 442);
  t.equal((await jsonCall(gateway, 'DELETE', '/functions/linkin/versions/$LATEST')).status, 436);
  t.equal((await jsonCall(gateway, 'GET', '/functions/linkin/aliases/nope')).status, 442);

  const codeDir = join(gateway.config.root, '.fngate', 'code');
  t.same(readdirSync(codeDir).filter((name) => name.startsWith('.tmp-')), [], 'no half-extracted folder left');
});

t.test('the lifecycle routes need the credentials and are in the OpenAPI document', async (t) => {
  const open = await fetch(`${gateway.url}/functions`, { method: 'POST', body: '{}' });
  t.equal(open.status, 401);
  const document = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown }>> };
  for (const [path, method] of [
    ['/functions', 'post'],
    ['/functions/{name}/code', 'put'],
    ['/functions/{name}/versions', 'post'],
    ['/functions/{name}/aliases/{alias}', 'put'],
    ['/namespaces', 'post'],
    ['/layers/{layer}/versions', 'post'],
  ] as const) {
    t.ok(document.paths[path]?.[method]?.security, `${method.toUpperCase()} ${path} is documented and needs credentials`);
  }
});
